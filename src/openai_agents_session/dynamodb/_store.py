"""DynamoDBSessionStore: find, inspect, copy, export and import the sessions of one table.

What each operation costs, by AWS's rules (a strongly consistent read is 1 RCU per 4 KB, an
eventually consistent one half that; a write 1 WCU per KB, 2 inside a transaction):

- ``list_sessions`` / ``count_sessions``: one parallel Scan of the whole table, messages
  included (0.5 RCU per 4 KB of the table); see ``_scan``.
- ``owner_page``: one Query of the owner index, more only when entries were filtered out
  (see ``_owners``); eventually consistent.
- ``get_metadata``: one consistent GetItem of META (1 RCU); ``set_metadata``: that read and
  one UpdateItem of META (1 WCU, more for an owned session: the index entry is rewritten).
- ``info``: one consistent Query of the whole session (1 RCU per 4 KB of it), the size
  being the sum of its items' sizes as DynamoDB counts them.
- ``export_session`` and ``fork``'s read: the session's ``get_items()``, one consistent Query
  that reads META with the items (1 RCU per 4 KB of the session).
- ``import_session`` and ``fork``'s write: a consistent GetItem of the target's META, then
  one ``TransactWriteItems`` of META and every item (2 WCU per KB of the session); replacing
  a session then deletes its old items as ``clear_session`` does. A session bigger than one
  transaction (99 items, 4 MB) is staged under a lease on META, as a big append is
  (``_staging``), and published by one conditional update: readers see all of it or none.
- ``delete``: per session, a GetItem of META and ``clear_session()``.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from decimal import Decimal
from types import EllipsisType
from typing import TYPE_CHECKING, Any, cast

from aiobotocore.config import AioConfig

from .._items import encode_items, is_tool_output
from .._store import (
    DEFAULT_KEY_PREFIX,
    OwnerPage,
    SessionInfo,
    SessionMetadata,
    SessionRecord,
)
from .._validation import validate_count, validate_session_id
from ..errors import ConfigurationError, ConflictError, SessionClosedError, SessionExistsError
from ._chunks import message_rows
from ._client import OwnedClient, client_from_url, validate_client, validate_table_name
from ._driver import DynamoDBClient, mapped_errors
from ._metadata import (
    CREATED_ATTRIBUTE,
    TAGS_ATTRIBUTE,
    TITLE_ATTRIBUTE,
    metadata_from_item,
    now_us,
)
from ._owners import owner_page
from ._scan import glob_matcher, live_sessions
from ._schema import (
    ACTIVITY_ATTRIBUTE,
    ITEMS_TTL_ATTRIBUTE,
    LEASE_ATTRIBUTE,
    LEASE_UNTIL_ATTRIBUTE,
    META_SK,
    OWNER_ATTRIBUTE,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    Meta,
    check_table,
    key,
    meta_from_item,
)
from ._session import CONFLICT_BUDGET_SECONDS, ITEM_TTL_SLACK_SECONDS, DynamoDBSession
from ._staging import LEASE_TOKEN_LENGTH, fits_one_transaction, new_lease, stage
from ._updates import lease_update

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["DynamoDBSessionStore"]

# Segments of the parallel Scan that lists sessions.
DEFAULT_SCAN_SEGMENTS = 4
# How often an import re-reads the target after a write raced it.
_PUBLISH_ATTEMPTS = 8
_TOKEN_LENGTH = 36


class DynamoDBSessionStore:
    """All sessions of one table: list, inspect, delete, fork, export and import.

    Listing scans META items only (``sk = "~meta"``), in parallel segments, and never
    returns an expired session, swept or not. An owner's sessions come from the sparse owner
    index, most recently updated first. Import writes a session whole or not at all. The
    costs of each operation are in the module's docstring.
    """

    def __init__(
        self,
        dynamodb_client: DynamoDBClient,
        table_name: str,
        *,
        scan_segments: int = DEFAULT_SCAN_SEGMENTS,
    ) -> None:
        """Create a store over a client the caller owns.

        Args:
            dynamodb_client: An aiobotocore DynamoDB client; ``close()`` leaves it open.
            table_name: The table, with this library's layout (`create_table_if_not_exists`).
            scan_segments: Segments of the parallel Scan that lists sessions.

        Raises:
            ConfigurationError: An argument is not valid.
        """
        validate_client(dynamodb_client)
        self._client: DynamoDBClient | None = dynamodb_client
        self._table = validate_table_name(table_name)
        self._segments = validate_count("scan_segments", scan_segments, minimum=1)
        # Set by from_url: the store's own client, one per event loop.
        self._owned: OwnedClient | None = None
        self._checked = False  # whether the table's layout was checked
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        scan_segments: int = DEFAULT_SCAN_SEGMENTS,
        key_prefix: str | None = None,
        socket_timeout: float | None = None,
        socket_connect_timeout: float | None = None,
        **client_options: Any,
    ) -> DynamoDBSessionStore:
        """Create a store with a client of its own, released by ``close()``.

        ``open_store`` passes every store the same options, so the Redis ones that have a
        meaning here are taken too.

        Args:
            url: ``dynamodb://TABLE?region=REGION&endpoint_url=URL``, as for
                ``DynamoDBSession.from_url``.
            scan_segments: Segments of the parallel Scan that lists sessions.
            key_prefix: Only the default (or None): a DynamoDB store's namespace is its table.
            socket_timeout: Seconds to wait for a reply (botocore's ``read_timeout``).
            socket_connect_timeout: Seconds to wait for a connection (``connect_timeout``).
            **client_options: Passed to aiobotocore's ``create_client``.

        Raises:
            ConfigurationError: The URL is not a ``dynamodb://`` URL naming a table, has an
                unknown option, or ``key_prefix`` is not the default.
        """
        if key_prefix not in (None, DEFAULT_KEY_PREFIX):
            raise ConfigurationError(
                f"key_prefix {key_prefix!r} has no meaning for DynamoDB, whose sessions are "
                "those of one table; name another table in the URL instead"
            )
        if socket_timeout is not None or socket_connect_timeout is not None:
            config = AioConfig()
            if socket_timeout is not None:
                config = config.merge(AioConfig(read_timeout=socket_timeout))
            if socket_connect_timeout is not None:
                config = config.merge(AioConfig(connect_timeout=socket_connect_timeout))
            given = client_options.get("config")
            client_options["config"] = config if given is None else given.merge(config)
        table_name, owned = client_from_url(url, client_options, f"the store of table {url!r}")
        store = cls(
            cast("DynamoDBClient", None), table_name, scan_segments=scan_segments
        )  # the store opens its own client on first use
        store._owned = owned
        return store

    @property
    def table_name(self) -> str:
        """The table holding the sessions."""
        return self._table

    async def close(self) -> None:
        """Release the client if this store created it (``from_url``)."""
        if self._owned is not None and not self._closed:
            self._closed = True
            await self._owned.close()

    async def __aenter__(self) -> Self:
        await self._ready()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def list_sessions(self, pattern: str = "*") -> AsyncIterator[str]:
        """Yield the id of every live session whose id matches the glob ``pattern``.

        Each session is listed once; the order is the table's. Sessions without items,
        and expired ones not yet swept, are left out.

        Args:
            pattern: A Redis-style glob over session ids (``*``, ``?``, ``[abc]``).
        """
        client = await self._ready()
        matches = glob_matcher(pattern)
        pages = live_sessions(
            client, self._table, self._call, segments=self._segments, now=int(time.time())
        )
        async for page in pages:
            for item in page:
                session_id = item[PARTITION_KEY]["S"]
                if matches(session_id):
                    yield session_id

    async def count_sessions(self, pattern: str = "*") -> int:
        """Return how many live sessions match ``pattern`` (one parallel Scan)."""
        if pattern != "*":
            return sum([1 async for _ in self.list_sessions(pattern)])
        client = await self._ready()
        pages = live_sessions(
            client,
            self._table,
            self._call,
            segments=self._segments,
            now=int(time.time()),
            count_only=True,
        )
        return sum([len(page) async for page in pages])

    async def owner_page(
        self, owner: str, *, cursor: str | None = None, count: int = 20
    ) -> OwnerPage:
        """Return one page of an owner's live sessions, most recently updated first.

        The owner index is eventually consistent: a write of the last moment may not show
        yet (see ``_owners``).

        Raises:
            ConfigurationError: ``cursor`` is not one this store returned, ``count`` < 1,
                or the table lacks the owner index.
        """
        client = await self._ready()
        return await owner_page(client, self._table, self._call, owner, cursor=cursor, count=count)

    async def info(self, session_id: str) -> SessionInfo:
        """Return a session's item count, TTL, size and metadata; item_count 0 if it is gone.

        Reads the whole session with a consistent Query (1 RCU per 4 KB). ``size_bytes``
        counts every stored item of the session, by DynamoDB's rules; ``idle_seconds`` is
        None, DynamoDB keeping no time of last access.
        """
        client = await self._ready()
        session_id = validate_session_id(session_id)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": session_id}},
            "ConsistentRead": True,
        }
        size = 0
        meta_item: Mapping[str, Any] | None = None
        while True:
            page = await self._call(client.query(**request))
            for item in page.get("Items", []):
                size += item_size(item)
                if item[SORT_KEY]["S"] == META_SK:
                    meta_item = item
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return self._info(session_id, meta_item, size or None)

    def _info(
        self, session_id: str, meta_item: Mapping[str, Any] | None, size: int | None
    ) -> SessionInfo:
        now = int(time.time())
        meta = meta_from_item(meta_item)
        count = meta.live_count(now)
        ttl_seconds = None
        if count and meta.expires_at is not None:
            # Whole seconds left, rounded down as Redis's TTL is.
            ttl_seconds = max(0, math.floor(meta.expires_at - time.time()))
        return SessionInfo(
            session_id=session_id,
            location=f"{self._table}/{session_id}",
            item_count=count,
            ttl_seconds=ttl_seconds,
            size_bytes=size,
            idle_seconds=None,
            metadata=metadata_from_item(meta_item, now),
        )

    async def get_metadata(self, session_id: str) -> SessionMetadata:
        """Return a session's metadata (one consistent GetItem)."""
        return await (await self._session(session_id)).get_metadata()

    async def set_metadata(
        self,
        session_id: str,
        *,
        title: str | EllipsisType | None = ...,
        owner: str | EllipsisType | None = ...,
        tags: list[str] | tuple[str, ...] | EllipsisType | None = ...,
    ) -> None:
        """Set user fields of a session's metadata; omitted fields stay, None removes one.

        The session keeps its TTL.

        Raises:
            ConfigurationError: A value is of the wrong type; nothing is written.
        """
        session = await self._session(session_id)
        await session.set_metadata(title=title, owner=owner, tags=tags)

    async def delete(self, *session_ids: str) -> int:
        """Delete sessions with their metadata; return how many existed (held items)."""
        deleted = 0
        for session_id in session_ids:
            session = await self._session(session_id)
            meta_item = await self._meta_item(session_id)
            deleted += meta_from_item(meta_item).live_count(int(time.time())) > 0
            await session.clear_session()
        return deleted

    async def fork(self, source_id: str, new_id: str, *, replace: bool = False) -> int:
        """Copy a session's items, TTL and metadata to a new id; return how many items.

        The copy gets its own ``created_at`` and ``updated_at`` (now), and is listed under
        the source's owner. A missing source copies nothing and returns 0.

        Raises:
            ConfigurationError: ``new_id`` is ``source_id``.
            SessionExistsError: ``new_id`` exists and ``replace`` is False.
        """
        if validate_session_id(source_id) == validate_session_id(new_id):
            raise ConfigurationError(f"cannot fork session {source_id!r} onto itself")
        record = await self.export_session(source_id)
        if record is None:
            return 0
        copy = SessionRecord(new_id, record.items, record.ttl_seconds, record.metadata)
        if not await self._publish(copy, replace=replace, fresh_timestamps=True):
            raise SessionExistsError(f"session {new_id!r} exists; pass replace=True to overwrite")
        return len(record.items)

    async def export(self, pattern: str = "*") -> AsyncIterator[SessionRecord]:
        """Yield every matching session as a record, one session in memory at a time."""
        async for session_id in self.list_sessions(pattern):
            record = await self.export_session(session_id)
            if record is not None:
                yield record

    async def export_session(self, session_id: str) -> SessionRecord | None:
        """Return one session as a record, or None when it holds no item."""
        session = await self._session(session_id)
        items = await session.get_items()  # one Query: META, then the items
        if not items:
            return None
        info = self._info(session_id, session._meta_item, None)
        return SessionRecord(session_id, items, info.ttl_seconds, info.metadata)

    async def import_session(self, record: SessionRecord, *, replace: bool = False) -> bool:
        """Write a record as a session, whole or not at all; return whether it was written.

        One transaction writes META and every item (a session too big for one is staged
        under a lease and published by one update), so readers see nothing or all of it.
        A session that holds items is left alone (False) unless ``replace``: re-running an
        import doubles nothing. A lost reply retried within ten minutes is applied once
        (the transaction's ``ClientRequestToken``).

        Raises:
            ItemEncodeError: An item cannot be stored; nothing is written.
            ConflictError: Concurrent writers of the session won for longer than the
                conflict budget; nothing is written.
        """
        return await self._publish(record, replace=replace, fresh_timestamps=False)

    async def _publish(
        self, record: SessionRecord, *, replace: bool, fresh_timestamps: bool
    ) -> bool:
        client = await self._ready()
        session_id = validate_session_id(record.session_id)
        encoded = encode_items(record.items)
        if not encoded:
            if replace:
                await self.delete(session_id)
            return False
        digest = hashlib.sha256(b"\n".join(encoded))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONFLICT_BUDGET_SECONDS
        attempt = 0
        while not attempt or loop.time() < deadline:
            attempt += 1
            observed = await self._meta_item(session_id)
            now = time.time()
            meta = meta_from_item(observed)
            if meta.live_count(int(now)) > 0 and not replace:
                return False
            if meta.leased(int(now)):
                # A big batch or another import is being staged: wait for it to end or lapse.
                await asyncio.sleep(min(1.0, (meta.lease_until or 0) - now + 0.05))
                continue
            base = meta.next_seq
            expires_at = None if record.ttl_seconds is None else math.ceil(now) + record.ttl_seconds
            items_expire_at = None
            if expires_at is not None and record.ttl_seconds is not None:
                items_expire_at = expires_at + max(record.ttl_seconds, ITEM_TTL_SLACK_SECONDS)
            rows = [
                row
                for index, payload in enumerate(encoded)
                for row in message_rows(
                    session_id,
                    base + index,
                    payload,
                    None,
                    items_expire_at,
                    output=is_tool_output(record.items[index]),
                )
            ]
            # One token per attempt: botocore's own retries of it are applied once, and an
            # attempt after a cancelled one (whose timestamps differ) is a new request.
            token_source = f"{self._table}\0{session_id}\0{base}\0{meta.floor}\0{attempt}\0"
            token = hashlib.sha256(token_source.encode() + digest.digest()).hexdigest()
            lease: str | None = None
            actions: list[Any] = []
            if fits_one_transaction(rows):
                actions = [{"Put": {"TableName": self._table, "Item": row}} for row in rows]
            else:
                lease = await self._stage(client, session_id, meta, rows, token, expires_at)
                if lease is None:
                    await _pause(attempt)
                    continue
            update = self._publish_update(
                session_id,
                observed,
                record.metadata,
                base + len(encoded),
                base,
                expires_at,
                items_expire_at,
                fresh_timestamps,
                lease,
            )
            try:
                await self._call(
                    client.transact_write_items(
                        TransactItems=[{"Update": cast("Any", update)}, *actions],
                        ClientRequestToken=token[:_TOKEN_LENGTH],
                    )
                )
            except ConflictError:
                await _pause(attempt)
                continue
            if base > 0:
                # The old items (replaced, or of an expired session) are below the new floor.
                await (await self._session(session_id))._partition.delete_below(client, base)
            return True
        raise ConflictError(
            f"importing session {session_id!r} lost to concurrent writers for "
            f"{CONFLICT_BUDGET_SECONDS:.0f} s ({attempt} attempts); nothing was written"
        )

    async def _stage(
        self,
        client: DynamoDBClient,
        session_id: str,
        meta: Meta,
        rows: list[dict[str, Any]],
        token: str,
        expires_at: int | None,
    ) -> str | None:
        """Write ``rows`` of a session too big for one transaction under a lease on META.

        Returns the lease, for the publishing update to hold, or None when another writer
        got there first (nothing of the session is visible then).
        """
        lease_token = token[:LEASE_TOKEN_LENGTH]
        lease = new_lease(lease_token)
        take = lease_update(
            self._table,
            session_id,
            meta,
            int(time.time()),
            expires_at,
            lease=lease,
            my_lease_token=lease_token,
            abandoned_lease=None,
        )
        try:
            taking: list[Any] = [{"Update": take}]
            await self._call(client.transact_write_items(TransactItems=taking))
            await stage(
                client, self._call, self._table, session_id, rows, lease, lambda: int(time.time())
            )
        except ConflictError:
            return None
        return lease

    def _publish_update(
        self,
        session_id: str,
        observed: Mapping[str, Any] | None,
        metadata: SessionMetadata,
        next_seq: int,
        floor: int,
        expires_at: int | None,
        items_expire_at: int | None,
        fresh_timestamps: bool,
        lease: str | None = None,
    ) -> dict[str, Any]:
        """Return the Update of META that publishes a session, conditioned on ``observed``.

        With ``lease`` (the session was staged under it), the lease is the condition: it
        was taken on ``observed``, and no other write has landed since.
        """
        written_us = now_us()
        created_us = written_us
        updated_us = written_us
        if not fresh_timestamps:
            if metadata.created_at is not None:
                created_us = round(metadata.created_at * 1_000_000)
            if metadata.updated_at is not None:
                updated_us = round(metadata.updated_at * 1_000_000)
        fields: dict[str, Any] = {
            "next_seq": {"N": str(next_seq)},
            "floor": {"N": str(floor)},
            "created_at": {"N": str(created_us // 1_000_000)},
            "updated_at": {"N": str(written_us // 1_000_000)},
            CREATED_ATTRIBUTE: {"N": str(created_us)},
            ACTIVITY_ATTRIBUTE: {"N": str(updated_us)},
            TTL_ATTRIBUTE: None if expires_at is None else {"N": str(expires_at)},
            ITEMS_TTL_ATTRIBUTE: None if items_expire_at is None else {"N": str(items_expire_at)},
            OWNER_ATTRIBUTE: {"S": metadata.owner} if metadata.owner else None,
            TITLE_ATTRIBUTE: {"S": metadata.title} if metadata.title else None,
            TAGS_ATTRIBUTE: (
                {"L": [{"S": tag} for tag in metadata.tags]} if metadata.tags else None
            ),
        }
        names: dict[str, str] = {"#pk": PARTITION_KEY}
        values: dict[str, Any] = {}
        sets: list[str] = []
        removes: list[str] = []
        for index, (attribute, value) in enumerate(fields.items()):
            names[f"#a{index}"] = attribute
            if value is None:
                removes.append(f"#a{index}")
            else:
                values[f":a{index}"] = value
                sets.append(f"#a{index} = :a{index}")
        if lease is not None:
            names["#lease"], names["#lease_until"] = LEASE_ATTRIBUTE, LEASE_UNTIL_ATTRIBUTE
            values[":lease"] = {"S": lease}
            removes += ["#lease", "#lease_until"]
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        if lease is not None:
            condition = "#lease = :lease"
            del names["#pk"]
        elif not observed:
            condition = "attribute_not_exists(#pk)"
        else:
            # Whatever was read is what is replaced: a write since then cancels the import.
            names["#next"], names["#floor"] = "next_seq", "floor"
            meta = meta_from_item(observed)
            if "next_seq" in observed:
                values[":next"], values[":floor"] = (
                    {"N": str(meta.next_seq)},
                    {"N": str(meta.floor)},
                )
                condition = "attribute_exists(#pk) AND #next = :next AND #floor = :floor"
            else:
                condition = "attribute_exists(#pk) AND attribute_not_exists(#next)"
                del names["#floor"]
        return {
            "TableName": self._table,
            "Key": key(session_id, META_SK),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    async def _meta_item(self, session_id: str) -> Mapping[str, Any] | None:
        client = await self._ready()
        reply = await self._call(
            client.get_item(
                TableName=self._table, Key=key(session_id, META_SK), ConsistentRead=True
            )
        )
        item: Mapping[str, Any] | None = reply.get("Item")
        return item

    async def _session(self, session_id: str) -> DynamoDBSession:
        return DynamoDBSession(session_id, await self._ready(), self._table)

    async def _ready(self) -> DynamoDBClient:
        """Return the client: the caller's, or the store's own for the running loop."""
        if self._closed:
            raise SessionClosedError(f"the store of table {self._table!r} was closed")
        if self._owned is not None:
            self._client = await self._owned.get()
        assert self._client is not None  # the caller's, or from_url's
        if not self._checked:
            # Once (concurrent first calls go ahead): a missing table, or one of 0.1.0, is
            # named rather than listed as empty.
            self._checked = True
            try:
                await check_table(self._client, self._table)
            except BaseException:
                self._checked = False
                raise
        return self._client

    async def _call(self, request: Awaitable[Any]) -> Any:
        with mapped_errors():
            return await request


async def _pause(attempt: int) -> None:
    await asyncio.sleep(min(0.1, 0.002 * 2**attempt))


def item_size(item: Mapping[str, Any]) -> int:
    """Return an item's size as DynamoDB counts it: names plus values, in bytes."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "B":
        return len(content)
    if kind == "N":
        # About one byte per two significant digits, plus one.
        digits = Decimal(content).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode()) + _value_size(element) for name, element in content.items()
        )
    if kind == "SS":
        return sum(len(str(element).encode()) for element in content)
    if kind == "NS":
        return sum(_value_size({"N": element}) for element in content)
    return sum(len(element) for element in content)  # BS
