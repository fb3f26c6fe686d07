"""RedisSessionStore: find, inspect, copy, export and import the sessions under one prefix."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from .._items import decode_valid, encode_items
from .._store import (
    OwnedSession,
    OwnerPage,
    SessionInfo,
    SessionMetadata,
    SessionRecord,
)
from .._validation import validate_session_id
from ..errors import ConfigurationError, SessionExistsError
from ._driver import (
    NoTouch,
    RedisClient,
    client_from_url,
    driver_call,
    raise_error,
    refuse_cluster_node,
)
from ._keys import (
    DEFAULT_KEY_PREFIX,
    is_companion,
    meta_key,
    owner_index_key,
    session_key,
    staging_key,
    validate_prefix,
)
from ._metadata import metadata_fields, parse_metadata
from ._scan import escape_glob, scan_keys
from ._scripts import SCRIPTS, run_script
from ._session import RedisSession, logger

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["RedisSessionStore"]

# Items per command when a session is read or written in pieces.
CHUNK_ITEMS = 1000
# A staging list left by a crashed import disappears by itself after this long.
STAGING_TTL_S = 3600


class RedisSessionStore:
    """All sessions under one key prefix: list, inspect, delete, fork, export and import.

    Listing uses SCAN (on every primary of a cluster), never KEYS, and streams: memory stays
    flat however many sessions there are. The store never changes a session's list format.
    """

    def __init__(self, redis_client: RedisClient, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        """Create a store over a client the caller owns.

        Args:
            redis_client: A plain, Sentinel-managed or cluster ``redis.asyncio`` client.
            key_prefix: The prefix the sessions were written with.

        Raises:
            ConfigurationError: The prefix is not valid.
        """
        self._client = redis_client
        self._key_prefix = validate_prefix(key_prefix)
        self._is_cluster = isinstance(redis_client, RedisCluster)
        self._owns_client = False
        self._no_touch: NoTouch | None = None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        cluster: bool = False,
        **client_options: Any,
    ) -> RedisSessionStore:
        """Create a store with a client of its own, released by ``close()``.

        The client's reads do not count as accesses where the server allows it (``CLIENT
        NO-TOUCH``, Redis 7.2 and Valkey): inspecting sessions leaves their idle times alone.
        On an older server `info` reports ``idle_seconds`` as None, the store's own reads
        having reset it. Entering the store (``async with``) refuses a plain URL naming a
        cluster node, which would show that node's sessions only.

        Raises:
            ConfigurationError: The URL's scheme is not one of redis, rediss, unix,
                redis+cluster or rediss+cluster, the URL is not valid, or the prefix is not.
        """
        validate_prefix(key_prefix)
        no_touch = NoTouch()
        try:
            client = client_from_url(url, cluster=cluster, no_touch=no_touch, **client_options)
        except ConfigurationError:
            raise
        except ValueError as exc:
            raise ConfigurationError(f"invalid Redis URL: {exc}") from exc
        store = cls(client, key_prefix=key_prefix)
        store._owns_client = True
        store._no_touch = no_touch
        return store

    @property
    def key_prefix(self) -> str:
        """The prefix of every session key of this store."""
        return self._key_prefix

    @property
    def client(self) -> RedisClient:
        """The client the store uses."""
        return self._client

    async def close(self) -> None:
        """Release the client if this store created it (``from_url``)."""
        if self._owns_client:
            self._owns_client = False
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        if self._owns_client:
            try:
                await refuse_cluster_node(self._client)
            except BaseException:
                await self.close()
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def session(self, session_id: str, **options: Any) -> RedisSession:
        """Return a RedisSession of this store's prefix over the store's client.

        Args:
            session_id: The session's id.
            **options: RedisSession's keyword options, such as ``ttl`` or ``owner``.
        """
        return RedisSession(session_id, self._client, key_prefix=self._key_prefix, **options)

    async def list_sessions(self, pattern: str = "*", *, count: int = 1000) -> AsyncIterator[str]:
        """Yield the id of every session whose id matches the glob ``pattern``.

        Memory stays flat: nothing is remembered between pages. SCAN's guarantee applies:
        every session that exists throughout is listed; one may appear twice if Redis
        resizes its table meanwhile. The order is the keyspace's. Glob characters in the
        prefix are escaped, so only this prefix's sessions match.

        Args:
            pattern: A Redis glob over session ids (``*``, ``?``, ``[abc]``).
            count: The COUNT hint of each SCAN call.
        """
        start = len(self._key_prefix) + 1
        match = f"{escape_glob(self._key_prefix)}:{pattern}"
        async for keys in scan_keys(self._client, match, count=count):
            for key in keys:
                text = key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key
                # Staging lists of imports live under the prefix too; they are no sessions.
                if not is_companion(self._key_prefix, text):
                    yield text[start:]

    async def count_sessions(self, pattern: str = "*") -> int:
        """Return how many sessions match ``pattern`` (one full SCAN)."""
        return sum([1 async for _ in self.list_sessions(pattern)])

    async def info(self, session_id: str) -> SessionInfo:
        """Return a session's item count, TTL, memory, idle time and metadata, in one round trip.

        A session that does not exist has ``item_count == 0``. The idle time is read before
        anything else; the call itself then counts as an access to the session, unless the
        store's own client has ``CLIENT NO-TOUCH`` on (``from_url`` on Redis 7.2 or Valkey).
        Where it could not turn it on, ``idle_seconds`` is None.
        """
        key = session_key(self._key_prefix, validate_session_id(session_id))
        pipe = self._client.pipeline(transaction=False)
        # OBJECT IDLETIME first: LLEN is an access, which resets the idle clock it reports.
        pipe.object("idletime", key)
        pipe.llen(key)
        pipe.ttl(key)
        pipe.memory_usage(key)
        pipe.hgetall(meta_key(self._key_prefix, session_id))
        idle, count, ttl, memory, meta = await self._call(pipe.execute(raise_on_error=False), key)
        for reply in (count, ttl, memory, meta):
            if isinstance(reply, Exception):
                await self._call(raise_error(reply), key)
        if self._no_touch is not None and not self._no_touch.supported:
            idle = None  # this store's reads reset it: what it reports would be its own doing
        return SessionInfo(
            session_id=session_id,
            location=key,
            item_count=int(count),
            ttl_seconds=int(ttl) if ttl is not None and int(ttl) >= 0 else None,
            size_bytes=None if memory is None else int(memory),
            idle_seconds=None if idle is None or isinstance(idle, Exception) else int(idle),
            metadata=parse_metadata(meta or {}),
        )

    async def delete(self, *session_ids: str) -> int:
        """Delete sessions with their companions; return how many existed.

        Raises:
            WrongKeyTypeError: A key holds a value that is not a list; it is left untouched.
        """
        deleted = 0
        for session_id in session_ids:
            metadata = await self.session(session_id).get_metadata()
            session = self.session(session_id, owner=metadata.owner)
            existed = await self._call(self._client.exists(session.key))
            await session.clear_session()
            deleted += int(existed)
        return deleted

    async def fork(self, source_id: str, new_id: str, *, replace: bool = False) -> int:
        """Copy a session's items and metadata to a new id; return how many items were copied.

        Uses the server's COPY when both keys share a slot (always, without a cluster);
        otherwise the items are copied in chunks and published atomically. The fork keeps
        the source's TTL and metadata, with its own ``created_at`` and ``updated_at``.

        Raises:
            SessionExistsError: ``new_id`` exists and ``replace`` is False.
            WrongKeyTypeError: A key holds a value that is not a list.
        """
        source = session_key(self._key_prefix, validate_session_id(source_id))
        target = session_key(self._key_prefix, validate_session_id(new_id))
        if source == target:
            raise ConfigurationError(f"cannot fork session {source_id!r} onto itself")
        if not self._is_cluster or key_slot(source.encode()) == key_slot(target.encode()):
            keys = [
                source,
                target,
                meta_key(self._key_prefix, source_id),
                meta_key(self._key_prefix, new_id),
            ]
            fork = run_script(self._client, SCRIPTS.fork_session, keys, ["1" if replace else "0"])
            reply = await self._call(fork, target)
            copied, owner = int(reply[0]), reply[1]
            if copied > 0 and owner:
                owner = owner.decode() if isinstance(owner, bytes) else str(owner)
                ttl = await self._call(self._client.ttl(target), target)
                forked = self.session(new_id, owner=owner, ttl=ttl if ttl > 0 else None)
                await forked._index_session()
        else:
            info = await self.info(source_id)
            items = [item async for item in self._read_items(source)]
            record = SessionRecord(new_id, items, info.ttl_seconds, info.metadata)
            copied = await self._publish(record, replace=replace, fresh_timestamps=True)
        if copied < 0:
            raise SessionExistsError(f"session {new_id!r} exists; pass replace=True to overwrite")
        return copied

    async def export(self, pattern: str = "*") -> AsyncIterator[SessionRecord]:
        """Yield every matching session as a record, one session in memory at a time."""
        async for session_id in self.list_sessions(pattern):
            record = await self.export_session(session_id)
            if record is not None:
                yield record

    async def export_session(self, session_id: str) -> SessionRecord | None:
        """Return one session as a record, or None when it does not exist."""
        info = await self.info(session_id)
        items = [item async for item in self._read_items(info.location)]
        if not items:
            return None
        return SessionRecord(session_id, items, info.ttl_seconds, info.metadata)

    async def import_session(self, record: SessionRecord, *, replace: bool = False) -> bool:
        """Write a record as a session, whole or not at all; return whether it was written.

        The items are staged next to the destination and published by one script, so a crash
        never leaves half a session. An existing session is left alone (False) unless
        ``replace``: re-running an import or a migration doubles nothing.

        Raises:
            ItemEncodeError: An item cannot be stored; nothing is written.
            WrongKeyTypeError: The destination key holds a value that is not a list.
        """
        return await self._publish(record, replace=replace, fresh_timestamps=False) >= 0

    async def owner_sessions(
        self, owner: str, *, offset: int = 0, count: int = 20
    ) -> list[OwnedSession]:
        """Return one page of an owner's sessions, most recently updated first, without SCAN.

        The index is updated with every append (on a cluster, right after it). Entries of
        sessions that expired or were deleted are removed here, when they are found.
        """
        if offset < 0 or count < 1:
            raise ConfigurationError("offset must be >= 0 and count >= 1")
        index = owner_index_key(self._key_prefix, owner)
        page: list[OwnedSession] = []
        position = offset
        while len(page) < count:
            entries = await self._call(
                self._client.zrevrange(index, position, position + count - 1, withscores=True)
            )
            if not entries:
                break
            position += len(entries)
            ids = [m.decode() if isinstance(m, bytes) else str(m) for m, _ in entries]
            exists = await self._exist([session_key(self._key_prefix, i) for i in ids])
            gone = [session_id for session_id, alive in zip(ids, exists, strict=True) if not alive]
            if gone:
                await self._call(self._client.zrem(index, *gone))
                position -= len(gone)
            page += [
                OwnedSession(session_id, float(score))
                for (session_id, (_, score)), alive in zip(
                    zip(ids, entries, strict=True), exists, strict=True
                )
                if alive
            ]
        return page[:count]

    async def owner_page(
        self, owner: str, *, cursor: str | None = None, count: int = 20
    ) -> OwnerPage:
        """Return one page of an owner's sessions, most recently updated first.

        The cursor is the position in the owner's index, as text; a session written between
        two pages moves to the top and may be seen again or skipped, as with any live index.

        Raises:
            ConfigurationError: ``cursor`` is not one this store returned, or ``count`` < 1.
        """
        try:
            offset = 0 if cursor is None else int(cursor)
        except ValueError:
            offset = -1
        if offset < 0:
            raise ConfigurationError(f"cursor {cursor!r} is not one this store returned")
        sessions = await self.owner_sessions(owner, offset=offset, count=count + 1)
        more = len(sessions) > count
        return OwnerPage(sessions[:count], str(offset + count) if more else None)

    async def get_metadata(self, session_id: str) -> SessionMetadata:
        """Return a session's metadata."""
        return await self.session(session_id).get_metadata()

    async def set_metadata(
        self,
        session_id: str,
        *,
        title: str | EllipsisType | None = ...,
        owner: str | EllipsisType | None = ...,
        tags: list[str] | tuple[str, ...] | EllipsisType | None = ...,
    ) -> None:
        """Set user fields of a session's metadata; omitted fields stay, None removes one.

        The session keeps its TTL: the new fields expire with it.
        """
        info = await self.info(session_id)
        session = self.session(session_id, ttl=info.ttl_seconds, owner=info.metadata.owner)
        await session.set_metadata(title=title, owner=owner, tags=tags)

    async def _exist(self, keys: list[str]) -> list[bool]:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.exists(key)
        return [bool(n) for n in await self._call(pipe.execute())]

    async def _read_items(self, key: str) -> AsyncIterator[Any]:
        """Yield a list's items oldest first, reading CHUNK_ITEMS at a time."""
        start = 0
        while True:
            chunk = await self._call(self._client.lrange(key, start, start + CHUNK_ITEMS - 1))
            for item in decode_valid(chunk, key, logger):
                yield item
            if len(chunk) < CHUNK_ITEMS:
                return
            start += CHUNK_ITEMS

    async def _publish(
        self, record: SessionRecord, *, replace: bool, fresh_timestamps: bool
    ) -> int:
        target = session_key(self._key_prefix, validate_session_id(record.session_id))
        staging = staging_key(self._key_prefix, record.session_id, os.urandom(8).hex())
        encoded = encode_items(record.items)
        for start in range(0, len(encoded), CHUNK_ITEMS):
            pipe = self._client.pipeline(transaction=False)
            pipe.rpush(staging, *encoded[start : start + CHUNK_ITEMS])
            pipe.expire(staging, STAGING_TTL_S)
            await self._call(pipe.execute())
        metadata = record.metadata
        fields = metadata_fields(metadata)
        if fresh_timestamps and metadata.created_at is not None:
            fields = _without(_without(fields, "c"), "u")
        keys = [staging, target, meta_key(self._key_prefix, record.session_id)]
        args: list[str | int] = ["1" if replace else "0", record.ttl_seconds or 0, *fields]
        reply = await self._call(
            run_script(self._client, SCRIPTS.publish_session, keys, args), target
        )
        written = int(reply[0])
        if written < 0 and fresh_timestamps:
            return -1
        previous = reply[1].decode() if isinstance(reply[1], bytes) else reply[1]
        if previous and previous != metadata.owner:
            # The replaced session was another owner's: it leaves that owner's listing.
            index = owner_index_key(self._key_prefix, previous)
            await self._call(self._client.zrem(index, record.session_id))
        if written > 0 and metadata.owner:
            published = self.session(
                record.session_id, owner=metadata.owner, ttl=record.ttl_seconds
            )
            # An imported session is listed at its recorded update; a fork, now.
            await published._index_session(None if fresh_timestamps else metadata.updated_at)
        return written

    async def _call(self, command: Any, key: str = "") -> Any:
        return await driver_call(self._client, command, key=key or self._key_prefix)


def _without(pairs: Iterable[str], name: str) -> list[str]:
    """Drop the field ``name`` from a flat field, value list."""
    items = list(pairs)
    return [
        value
        for index in range(0, len(items), 2)
        if items[index] != name
        for value in items[index : index + 2]
    ]
