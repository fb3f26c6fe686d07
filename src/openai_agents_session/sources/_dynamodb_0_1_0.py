"""Read the sessions of openai-agents-session 0.1.0's ``DynamoDBSession`` table.

0.1.0 kept one item per session: partition key ``session_id`` (S), ``conversation_data`` (S,
the whole history as one JSON list), ``updated_at`` and ``ttl`` (N, unix seconds, ``ttl``
only with a TTL). It never filtered expired items on read, so DynamoDB's lazy sweeper left
them visible for up to days: here they are skipped and counted. A blob that is not a JSON
list is skipped with a warning and counted; it never ends the scan.

The table is read with a parallel, strongly consistent Scan (a write made just before the
migration is seen), each segment paginated with ``LastEvaluatedKey``; at most one page per
segment and a bounded queue of sessions are held in memory. Nothing here writes to the table
except :meth:`V010DynamoDBReader.delete`, which only removes an item still as it was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

try:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession
except ImportError as exc:
    from .._optional import missing

    raise missing("aiobotocore", "dynamodb") from exc

from ..dynamodb._driver import error_code, mapped_errors
from ..errors import ConfigurationError, ConflictError
from ._common import SourceSession, logger
from ._dynamodb_0_1_0_url import parse_v010_dynamodb_url

if TYPE_CHECKING:
    from agents import TResponseInputItem

    from ..dynamodb._driver import DynamoDBClient

__all__ = [
    "V010DynamoDBReader",
    "V010ScanCounts",
    "V010Session",
    "count_v010_dynamodb_sessions",
    "decode_v010_item",
    "iter_v010_dynamodb_sessions",
    "open_v010_dynamodb",
]

# What 0.1.0 named its key and attributes.
PARTITION_KEY = "session_id"
DATA_ATTRIBUTE = "conversation_data"
UPDATED_ATTRIBUTE = "updated_at"
TTL_ATTRIBUTE = "ttl"
DEFAULT_SEGMENTS = 4
# Sessions decoded ahead of the consumer; with one page per segment, the memory bound.
_QUEUE_SESSIONS = 32
# How much of a corrupt blob a warning quotes.
_LOGGED_CHARS = 120
_TIMEOUT_SECONDS = 10.0


@dataclass
class V010ScanCounts:
    """Items of the table that were read but not yielded."""

    expired: int = 0
    """Sessions whose ``ttl`` had passed (0.1.0 still returned them)."""
    corrupt: int = 0
    """Items whose ``conversation_data`` or ``session_id`` 0.1.0 could not have read."""


@dataclass(frozen=True)
class V010Session:
    """One live session of the table, with the attributes it had when read."""

    session: SourceSession
    read_as: Mapping[str, Any]
    """``updated_at`` and ``conversation_data`` as read, the condition of a delete."""


def _number(attribute: object) -> float | None:
    if not isinstance(attribute, Mapping) or not isinstance(attribute.get("N"), str):
        return None
    try:
        value = float(attribute["N"])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _corrupt(counts: V010ScanCounts, session_id: object, reason: str, data: object) -> None:
    counts.corrupt += 1
    shown = data[:_LOGGED_CHARS] if isinstance(data, str) else data
    logger.warning("skipped 0.1.0 session %r: %s; stored: %r", session_id, reason, shown)


def decode_v010_item(
    item: Mapping[str, Any], *, now: float, counts: V010ScanCounts
) -> V010Session | None:
    """Decode one item as 0.1.0 read it; None (and counted) if expired or corrupt.

    Items are ``json.loads`` of the blob, exactly what 0.1.0's ``get_items()`` returned; an
    element that is not a JSON object is left out with a warning and counted in
    ``skipped_items``. A missing blob is an empty session, as 0.1.0 read it.
    """
    session_id = item.get(PARTITION_KEY, {}).get("S")
    blob = item.get(DATA_ATTRIBUTE, {"S": "[]"}).get("S")
    if not isinstance(session_id, str):
        _corrupt(counts, item.get(PARTITION_KEY), "its session_id is not a string", None)
        return None
    expires_at = _number(item.get(TTL_ATTRIBUTE))
    if expires_at is not None and expires_at <= now:
        counts.expired += 1
        return None
    if not isinstance(blob, str):
        _corrupt(counts, session_id, f"{DATA_ATTRIBUTE} is not a string", item.get(DATA_ATTRIBUTE))
        return None
    try:
        values = json.loads(blob)
    except (ValueError, RecursionError) as exc:
        _corrupt(counts, session_id, f"{DATA_ATTRIBUTE} is not JSON: {exc}", blob)
        return None
    if not isinstance(values, list):
        _corrupt(counts, session_id, f"{DATA_ATTRIBUTE} is a JSON {type(values).__name__}", blob)
        return None
    items = [value for value in values if isinstance(value, dict)]
    skipped = len(values) - len(items)
    if skipped:
        logger.warning(
            "skipped %d element(s) of 0.1.0 session %r that are not JSON objects",
            skipped,
            session_id,
        )
    session = SourceSession(
        session_id=session_id,
        items=cast("list[TResponseInputItem]", items),
        ttl_seconds=None if expires_at is None else max(1, math.ceil(expires_at - now)),
        updated_at=_number(item.get(UPDATED_ATTRIBUTE)),
        skipped_items=skipped,
    )
    read_as = {name: item[name] for name in (UPDATED_ATTRIBUTE, DATA_ATTRIBUTE) if name in item}
    return V010Session(session, read_as)


def _check_segments(segments: object) -> int:
    if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= 1000:
        raise ConfigurationError(f"segments must be an int from 1 to 1000, got {segments!r}")
    return segments


async def _scan_segment(
    client: DynamoDBClient,
    table: str,
    segment: int,
    segments: int,
    on_page: Callable[[Mapping[str, Any]], Awaitable[None]],
    request: Callable[[], dict[str, Any]],
) -> None:
    """Scan one segment page by page, following ``LastEvaluatedKey`` to its end."""
    start: Mapping[str, Any] | None = None
    while True:
        options = request()
        if start is not None:
            options["ExclusiveStartKey"] = start
        with mapped_errors():
            reply = await client.scan(
                TableName=table, Segment=segment, TotalSegments=segments, **options
            )
        await on_page(reply)
        start = reply.get("LastEvaluatedKey")
        if not start:
            return


async def iter_v010_dynamodb_sessions(
    client: DynamoDBClient,
    table: str,
    *,
    counts: V010ScanCounts | None = None,
    segments: int = DEFAULT_SEGMENTS,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[V010Session]:
    """Stream the live sessions of a 0.1.0 table, in no particular order.

    Args:
        client: An aiobotocore DynamoDB client.
        table: The 0.1.0 table.
        counts: Filled with the expired and corrupt items passed over.
        segments: Parallel Scan segments, each scanned by a task of its own.
        clock: Unix time, to tell expired sessions.

    Yields:
        Each session with its items, remaining TTL and ``updated_at``.

    Raises:
        ConfigurationError: ``segments`` is not valid.
        BackendError: DynamoDB refused a Scan (a missing table, say).
    """
    segments = _check_segments(segments)
    found = counts if counts is not None else V010ScanCounts()
    queue: asyncio.Queue[V010Session | BaseException | None] = asyncio.Queue(_QUEUE_SESSIONS)

    async def page(reply: Mapping[str, Any]) -> None:
        now = clock()
        for item in reply.get("Items", []):
            decoded = decode_v010_item(item, now=now, counts=found)
            if decoded is not None:
                await queue.put(decoded)

    async def scan(segment: int) -> None:
        try:
            await _scan_segment(
                client, table, segment, segments, page, lambda: {"ConsistentRead": True}
            )
        except Exception as exc:
            await queue.put(exc)
        else:
            await queue.put(None)

    tasks = [asyncio.ensure_future(scan(segment)) for segment in range(segments)]
    try:
        running = segments
        while running:
            value = await queue.get()
            if value is None:
                running -= 1
            elif isinstance(value, BaseException):
                raise value
            else:
                yield value
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def count_v010_dynamodb_sessions(
    client: DynamoDBClient,
    table: str,
    *,
    segments: int = DEFAULT_SEGMENTS,
    clock: Callable[[], float] = time.time,
) -> int:
    """Count the items :func:`iter_v010_dynamodb_sessions` reads that have not expired.

    A ``Select=COUNT`` Scan: no blob crosses the network, but DynamoDB still bills every
    item it reads. Corrupt blobs are counted too (only decoding tells them).
    """
    segments = _check_segments(segments)
    total = 0

    def request() -> dict[str, Any]:
        return {
            "Select": "COUNT",
            "ConsistentRead": True,
            "FilterExpression": "attribute_not_exists(#ttl) OR #ttl > :now",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":now": {"N": str(int(clock()))}},
        }

    async def add(reply: Mapping[str, Any]) -> None:
        nonlocal total
        total += int(reply.get("Count", 0))

    await asyncio.gather(
        *(
            _scan_segment(client, table, segment, segments, add, request)
            for segment in range(segments)
        )
    )
    return total


async def delete_v010_session(client: DynamoDBClient, table: str, read: V010Session) -> bool:
    """Delete a session's item only if it is still as it was read; return whether it was.

    The condition is ``updated_at`` and the whole blob: 0.1.0 stamps ``updated_at`` in whole
    seconds, so a rewrite within the second of the read has the same ``updated_at``.
    """
    conditions: list[str] = []
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    for index, name in enumerate((UPDATED_ATTRIBUTE, DATA_ATTRIBUTE)):
        names[f"#a{index}"] = name
        if name in read.read_as:
            conditions.append(f"#a{index} = :v{index}")
            values[f":v{index}"] = read.read_as[name]
        else:
            conditions.append(f"attribute_not_exists(#a{index})")
    request: dict[str, Any] = {
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    try:
        with mapped_errors():
            await client.delete_item(
                TableName=table, Key={PARTITION_KEY: {"S": read.session.session_id}}, **request
            )
    except ConflictError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


class V010DynamoDBReader:
    """A 0.1.0 table over a client of its own; ``close()`` (or ``async with``) releases it."""

    def __init__(
        self,
        table: str,
        client: contextlib.AbstractAsyncContextManager[DynamoDBClient],
        *,
        segments: int = DEFAULT_SEGMENTS,
    ) -> None:
        self.table = table
        self.counts = V010ScanCounts()
        self._factory = client
        self._segments = _check_segments(segments)
        self._stack = contextlib.AsyncExitStack()
        self._client: DynamoDBClient | None = None

    async def __aenter__(self) -> V010DynamoDBReader:
        with mapped_errors():
            self._client = await self._stack.enter_async_context(self._factory)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _ready(self) -> DynamoDBClient:
        if self._client is None:
            raise ConfigurationError("enter the reader (async with) before reading")
        return self._client

    async def count(self) -> int:
        """Return how many unexpired items the table holds."""
        return await count_v010_dynamodb_sessions(
            self._ready(), self.table, segments=self._segments
        )

    def sessions(self) -> AsyncIterator[V010Session]:
        """Yield every live session; expired and corrupt ones are counted in ``counts``."""
        return iter_v010_dynamodb_sessions(
            self._ready(), self.table, counts=self.counts, segments=self._segments
        )

    async def delete(self, read: V010Session) -> bool:
        """Delete a session if it is unchanged since ``read``; return whether it was."""
        return await delete_v010_session(self._ready(), self.table, read)

    async def close(self) -> None:
        """Release the client."""
        self._client = None
        with mapped_errors():
            await self._stack.aclose()


def open_v010_dynamodb(
    url: str,
    *,
    profile: str | None = None,
    segments: int = DEFAULT_SEGMENTS,
    timeout_seconds: float = _TIMEOUT_SECONDS,
    **client_options: Any,
) -> V010DynamoDBReader:
    """Open a 0.1.0 table for reading: ``dynamodb-0.1.0://TABLE?region=..&endpoint_url=..``.

    Credentials, and the region when the URL has none, come from the standard AWS chain
    (environment, ``profile``, instance role), never from the URL.

    Args:
        url: The table's URL; ``endpoint_url`` is percent-encoded.
        profile: The AWS profile to read credentials and region from.
        segments: Parallel Scan segments.
        timeout_seconds: Connect and read timeout of each call.
        **client_options: Passed to aiobotocore's ``create_client``.

    Raises:
        ConfigurationError: The URL is not valid.
    """
    table, options = parse_v010_dynamodb_url(url)
    if "region" in options:
        client_options.setdefault("region_name", options["region"])
    if "endpoint_url" in options:
        client_options.setdefault("endpoint_url", options["endpoint_url"])
    client_options.setdefault(
        "config",
        AioConfig(
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"mode": "standard"},
        ),
    )
    with mapped_errors():
        factory = AioSession(profile=profile).create_client("dynamodb", **client_options)
    return V010DynamoDBReader(table, factory, segments=segments)
