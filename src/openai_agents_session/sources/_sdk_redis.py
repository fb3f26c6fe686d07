"""Read the sessions of the SDK's ``agents.extensions.memory.RedisSession``, read-only.

Per session a hash ``"{prefix}:{session_id}"`` (fields ``session_id``, ``created_at``,
``updated_at`` as unix seconds) and a list ``"{prefix}:{session_id}:messages"`` of compact JSON
items, oldest first. A ``"{prefix}:{session_id}:counter"`` key is named, expired and deleted by
the SDK but never written. With a TTL every key gets the same expiry, refreshed by each append.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from redis.client import NEVER_DECODE

from ..errors import ConfigurationError
from ..redis._driver import client_from_url, driver_call, refuse_cluster_node
from ..redis._scan import escape_glob, ready, scan_keys
from ._common import SESSION_COLUMNS, SourceSession, decode_all, logger, validated_ids

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    SourceRedisClient: TypeAlias = Redis | RedisCluster

__all__ = [
    "SDK_REDIS_KEY_PREFIX",
    "SdkRedisReader",
    "count_sdk_redis_sessions",
    "iter_sdk_redis_sessions",
    "open_sdk_redis",
]

SDK_REDIS_KEY_PREFIX = "agents:session"
_MESSAGES_SUFFIX = ":messages"


def _text(value: object) -> str | None:
    """A reply as text: bytes (the default) or str (``decode_responses``); None if not UTF-8."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _is_wrong_type(reply: object) -> bool:
    return isinstance(reply, Exception) and str(reply).startswith("WRONGTYPE")


def _reply(reply: object) -> object:
    """A pipeline reply, raising the driver's error unless it is a WRONGTYPE (not the SDK's)."""
    if isinstance(reply, Exception) and not _is_wrong_type(reply):
        raise reply
    return reply


def _validate_redis_options(key_prefix: object, scan_count: object) -> str:
    if not isinstance(key_prefix, str) or not key_prefix:
        raise ConfigurationError(f"key_prefix must be a non-empty str, got {key_prefix!r}")
    if isinstance(scan_count, bool) or not isinstance(scan_count, int) or scan_count < 1:
        raise ConfigurationError(f"scan_count must be an int >= 1, got {scan_count!r}")
    return key_prefix


async def _candidates(
    client: SourceRedisClient,
    key_prefix: str,
    session_ids: Sequence[str] | None,
    scan_count: int,
) -> AsyncIterator[list[str]]:
    """Pages of session ids that may be SDK sessions under ``key_prefix``, each id once.

    Found by their messages list, the one key every non-empty SDK session has. SCAN may
    return a key twice (while the server resizes its table), so the keys seen are remembered.
    """
    if session_ids is not None:
        ids = sorted(set(validated_ids(session_ids)))
        for start in range(0, len(ids), scan_count):
            yield ids[start : start + scan_count]
        return
    head = len(key_prefix) + 1
    pattern = f"{escape_glob(key_prefix)}:*{_MESSAGES_SUFFIX}"
    seen: set[bytes] = set()
    async for keys in scan_keys(client, pattern, count=scan_count):
        page: list[str] = []
        for key in keys:
            raw = key if isinstance(key, bytes) else str(key).encode("utf-8", "surrogateescape")
            if raw in seen:
                continue
            seen.add(raw)
            name = _text(raw)
            if name is None:
                logger.warning("skipped Redis key %r: its name is not UTF-8", raw)
                continue
            page.append(name[head : -len(_MESSAGES_SUFFIX)])
        if page:
            yield page


def _owned(key_prefix: str, session_id: str, recorded_id: object) -> bool:
    """Whether the messages list belongs to ``session_id`` under ``key_prefix``.

    ``a:b:c:messages`` is session ``b:c`` of prefix ``a`` or session ``c`` of prefix ``a:b``;
    the hash the SDK writes beside it records which. Without a hash, the key decides.
    """
    if recorded_id is None or _is_wrong_type(recorded_id):
        return True
    if _text(recorded_id) == session_id:
        return True
    logger.debug(
        "Redis key %r belongs to session %r of a longer prefix; not listed",
        f"{key_prefix}:{session_id}{_MESSAGES_SUFFIX}",
        recorded_id,
    )
    return False


def _unix_seconds(value: object) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


async def iter_sdk_redis_sessions(
    client: SourceRedisClient,
    *,
    key_prefix: str = SDK_REDIS_KEY_PREFIX,
    session_ids: Sequence[str] | None = None,
    scan_count: int = 500,
) -> AsyncIterator[SourceSession]:
    """Stream the sessions the SDK's ``RedisSession`` stored under ``key_prefix``.

    Sessions are found with SCAN (never KEYS) on every primary, in SCAN's order, and read one
    at a time: the list, its TTL and the metadata hash in one round trip per session. Keys
    of a sibling prefix are never matched, glob characters in the prefix included.

    Args:
        client: A ``redis.asyncio`` client or ``RedisCluster`` over the SDK's data.
        key_prefix: The SDK's ``key_prefix`` option.
        session_ids: Read only these sessions; missing ones are left out.
        scan_count: The COUNT hint of each SCAN call.

    Yields:
        Each session with its items, the remaining TTL of its list (None if it has none)
        and the creation and update times of its hash.

    Raises:
        ConfigurationError: An option is not valid.
    """
    key_prefix = _validate_redis_options(key_prefix, scan_count)

    await ready(client)
    raw_bytes = {NEVER_DECODE: True}
    async for page in _candidates(client, key_prefix, session_ids, scan_count):
        for session_id in page:
            meta_key = f"{key_prefix}:{session_id}"
            messages_key = meta_key + _MESSAGES_SUFFIX
            pipe = client.pipeline(transaction=False)
            pipe.execute_command("HMGET", meta_key, *SESSION_COLUMNS, **raw_bytes)
            pipe.execute_command("LRANGE", messages_key, 0, -1, **raw_bytes)
            pipe.execute_command("PTTL", messages_key)
            replies = await driver_call(
                client, pipe.execute(raise_on_error=False), key=messages_key
            )
            meta, payloads, pttl = (_reply(reply) for reply in replies)
            if _is_wrong_type(payloads):
                logger.warning("skipped Redis key %r: it is not a list", messages_key)
                continue
            fields = cast("list[object]", [None] * 3 if _is_wrong_type(meta) else meta)
            if not _owned(key_prefix, session_id, fields[0]):
                continue
            remaining_ms = int(cast("int", pttl))
            if not payloads or remaining_ms == -2:
                continue  # gone: expired or deleted since it was listed
            items, skipped = decode_all(
                cast("list[bytes]", payloads), repr(messages_key), session_id
            )
            yield SourceSession(
                session_id=session_id,
                items=items,
                ttl_seconds=None if remaining_ms < 0 else max(1, math.ceil(remaining_ms / 1000)),
                created_at=_unix_seconds(fields[1]),
                updated_at=_unix_seconds(fields[2]),
                skipped_items=skipped,
            )


async def count_sdk_redis_sessions(
    client: SourceRedisClient,
    *,
    key_prefix: str = SDK_REDIS_KEY_PREFIX,
    session_ids: Sequence[str] | None = None,
    scan_count: int = 500,
) -> int:
    """Count the sessions :func:`iter_sdk_redis_sessions` yields, without reading items.

    One SCAN pass plus one pipelined round trip per page of keys found.

    Raises:
        ConfigurationError: An option is not valid.
    """
    key_prefix = _validate_redis_options(key_prefix, scan_count)

    await ready(client)
    total = 0
    async for page in _candidates(client, key_prefix, session_ids, scan_count):
        pipe = client.pipeline(transaction=False)
        for session_id in page:
            meta_key = f"{key_prefix}:{session_id}"
            pipe.execute_command("TYPE", meta_key + _MESSAGES_SUFFIX)
            pipe.execute_command("HGET", meta_key, "session_id")
        executed = await driver_call(client, pipe.execute(raise_on_error=False), key=key_prefix)
        replies = [_reply(reply) for reply in executed]
        for index, session_id in enumerate(page):
            key_type, recorded_id = replies[2 * index], replies[2 * index + 1]
            if _text(key_type) == "list" and _owned(key_prefix, session_id, recorded_id):
                total += 1
    return total


class SdkRedisReader:
    """The SDK's ``RedisSession`` data at one URL and prefix, over a client of its own.

    Built by :func:`open_sdk_redis`; ``close()`` (or ``async with``) releases the client.
    """

    def __init__(self, client: SourceRedisClient, key_prefix: str) -> None:
        self._client = client
        self.key_prefix = _validate_redis_options(key_prefix, 1)

    async def count(self) -> int:
        """Return how many sessions :meth:`sessions` will yield."""
        return await count_sdk_redis_sessions(self._client, key_prefix=self.key_prefix)

    def sessions(self) -> AsyncIterator[SourceSession]:
        """Yield every session, in SCAN's order."""
        return iter_sdk_redis_sessions(self._client, key_prefix=self.key_prefix)

    async def close(self) -> None:
        """Release the client."""
        await driver_call(self._client, self._client.aclose(), key=self.key_prefix)

    async def __aenter__(self) -> SdkRedisReader:
        try:
            await refuse_cluster_node(self._client)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def open_sdk_redis(
    url: str, *, key_prefix: str = SDK_REDIS_KEY_PREFIX, **client_options: Any
) -> SdkRedisReader:
    """Open the SDK's Redis data at ``url`` (``redis+cluster://`` for a cluster) for reading.

    Entering the reader (``async with``) refuses a plain URL naming a cluster node.

    Raises:
        ConfigurationError: The URL or the prefix is not valid.
    """
    key_prefix = _validate_redis_options(key_prefix, 1)
    try:
        client = client_from_url(url, **client_options)
    except ConfigurationError:
        raise
    except ValueError as exc:
        raise ConfigurationError(f"invalid Redis URL: {exc}") from exc
    return SdkRedisReader(client, key_prefix)
