"""The stores ``migrate`` reads from, each streamed as SessionRecords.

- ``sqlite:PATH[?sessions_table=..&messages_table=..]``: a file of the SDK's ``SQLiteSession``.
- ``sdk-redis:URL``: the layout of the SDK's own ``RedisSession`` (prefix ``agents:session``).
- ``redis://...``, ``rediss://...``, ``redis+cluster://...`` (also written ``redis:URL``):
  another prefix or server of this library, opened through `open_store`.

``sdk-redis:`` takes the same URLs, ``+cluster`` included. Nothing here imports a driver: the
SDK's Redis layout is read by ``openai_agents_session.sources``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import parse_qsl

from .._store import DEFAULT_KEY_PREFIX, SessionMetadata, SessionRecord, SessionStore
from .._urls import open_store
from ..sources import (
    SDK_MESSAGES_TABLE,
    SDK_SESSIONS_TABLE,
    SourceSession,
    count_sqlite_sessions,
    iter_sqlite_sessions,
)
from ._failures import about, connecting_to
from ._redaction import redact_url
from ._target import SOCKET_TIMEOUT_S

if TYPE_CHECKING:
    from ..sources import SdkRedisReader

__all__ = [
    "SQLITE",
    "STORE",
    "MigrationSource",
    "SourceSpec",
    "default_prefix",
    "open_source",
    "parse_source",
]

SQLITE = "sqlite"
SDK_REDIS = "sdk-redis"
STORE = "store"
SQLITE_OPTIONS = ("sessions_table", "messages_table")
STORE_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
# The SDK's RedisSession default, the prefix of an sdk-redis source without --from-prefix.
SDK_REDIS_KEY_PREFIX = "agents:session"

_Value = TypeVar("_Value")


@dataclass(frozen=True)
class SourceSpec:
    """A parsed ``--from``: the kind of store, where it is, and its options."""

    kind: str
    location: str
    sqlite_tables: tuple[str, str] = (SDK_SESSIONS_TABLE, SDK_MESSAGES_TABLE)

    @property
    def label(self) -> str:
        """The source as the user wrote it, password replaced by ``***``."""
        if self.kind == SQLITE:
            return f"sqlite:{self.location}"
        if self.kind == SDK_REDIS:
            return f"sdk-redis:{redact_url(self.location)}"
        return redact_url(self.location)


def parse_source(spec: str) -> SourceSpec:
    """Parse a ``--from`` value.

    Raises:
        ValueError: The value names no known kind of source, or an unknown option.
    """
    if spec.startswith(f"{SQLITE}:"):
        path, _, query = spec[len(SQLITE) + 1 :].partition("?")
        options = dict(parse_qsl(query, keep_blank_values=True))
        unknown = sorted(set(options) - set(SQLITE_OPTIONS))
        if unknown:
            raise ValueError(
                f"unknown SQLite option {unknown[0]!r}; expected {' or '.join(SQLITE_OPTIONS)}"
            )
        if not path:
            raise ValueError("sqlite: needs the path of the database file, as sqlite:PATH")
        tables = (
            options.get("sessions_table", SDK_SESSIONS_TABLE),
            options.get("messages_table", SDK_MESSAGES_TABLE),
        )
        return SourceSpec(SQLITE, path, tables)
    if spec.startswith(f"{SDK_REDIS}:"):
        return SourceSpec(SDK_REDIS, _redis_url(spec[len(SDK_REDIS) + 1 :], spec))
    if spec.startswith(STORE_SCHEMES):
        return SourceSpec(STORE, spec)
    if spec.startswith(("redis:", "rediss:")):
        return SourceSpec(STORE, _redis_url(spec.partition(":")[2], spec))
    raise ValueError(
        f"unknown source {redact_url(spec)!r}; expected sqlite:PATH, sdk-redis:URL "
        "or the redis://, rediss:// or redis+cluster:// URL of another store"
    )


def _redis_url(url: str, spec: str) -> str:
    if not url.startswith(STORE_SCHEMES):
        raise ValueError(
            f"source {redact_url(spec)!r} needs a redis://, rediss://, unix:// or "
            "redis+cluster:// URL after its kind"
        )
    return url


class MigrationSource(Protocol):
    """A store to read sessions from, opened by :func:`open_source`."""

    label: str
    skipped_items: int

    async def count(self) -> int:
        """Return how many sessions :meth:`records` will yield."""

    def records(self) -> AsyncIterator[SessionRecord]:
        """Yield every session, one at a time."""


def _record(session: SourceSession) -> SessionRecord:
    metadata = SessionMetadata(created_at=session.created_at, updated_at=session.updated_at)
    return SessionRecord(session.session_id, session.items, session.ttl_seconds, metadata)


async def _labelled(url: str, values: AsyncIterator[_Value]) -> AsyncIterator[_Value]:
    """Yield from ``values``; a connection failure while reading names ``url``."""
    while True:
        with connecting_to(url):
            try:
                value = await anext(values)
            except StopAsyncIteration:
                return
        yield value


class SqliteSource:
    """The sessions of an ``agents.SQLiteSession`` database file."""

    def __init__(self, spec: SourceSpec) -> None:
        """Open the file and check its tables, so that a wrong path fails before any work.

        Raises:
            ConfigurationError: The file is missing or unreadable, or a table is not the SDK's.
        """
        self.label = spec.label
        self.skipped_items = 0
        self._path = spec.location
        self._sessions_table, self._messages_table = spec.sqlite_tables
        self._sessions = iter_sqlite_sessions(
            self._path, sessions_table=self._sessions_table, messages_table=self._messages_table
        )

    async def count(self) -> int:
        """Return how many sessions have messages."""
        return count_sqlite_sessions(
            self._path, sessions_table=self._sessions_table, messages_table=self._messages_table
        )

    async def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the sessions ordered by id."""
        for session in self._sessions:
            self.skipped_items += session.skipped_items
            yield _record(session)


class SdkRedisSource:
    """The sessions the SDK's ``RedisSession`` stored under one prefix."""

    def __init__(self, spec: SourceSpec, reader: SdkRedisReader) -> None:
        self.label = f"{spec.label} (prefix {reader.key_prefix!r})"
        self.skipped_items = 0
        self._where = redact_url(spec.location)
        self._reader = reader

    async def count(self) -> int:
        """Return how many sessions have messages."""
        with connecting_to(self._where):
            return await self._reader.count()

    async def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the sessions in SCAN's order."""
        async for session in _labelled(self._where, self._reader.sessions()):
            self.skipped_items += session.skipped_items
            yield _record(session)


class StoreSource:
    """The sessions of another prefix or server of this library."""

    def __init__(self, spec: SourceSpec, store: SessionStore, prefix: str) -> None:
        self.label = f"{spec.label} (prefix {prefix!r})"
        self.skipped_items = 0
        self._where = redact_url(spec.location)
        self._store = store

    async def count(self) -> int:
        """Return how many sessions the prefix holds."""
        with connecting_to(self._where):
            return await self._store.count_sessions()

    def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the sessions in SCAN's order, with their metadata."""
        return _labelled(self._where, self._store.export())


def default_prefix(spec: SourceSpec) -> str:
    """Return the prefix a Redis source uses when --from-prefix is not given."""
    return SDK_REDIS_KEY_PREFIX if spec.kind == SDK_REDIS else DEFAULT_KEY_PREFIX


@contextlib.asynccontextmanager
async def open_source(spec: SourceSpec, *, prefix: str | None) -> AsyncIterator[MigrationSource]:
    """Open the source ``spec`` names; its client is closed on exit.

    Raises:
        CommandError: The source cannot be opened; the message names it.
    """
    if spec.kind == SQLITE:
        yield SqliteSource(spec)
        return
    chosen = prefix or default_prefix(spec)
    timeouts = {"socket_timeout": SOCKET_TIMEOUT_S, "socket_connect_timeout": SOCKET_TIMEOUT_S}
    where = redact_url(spec.location)
    if spec.kind == SDK_REDIS:
        with about(spec.label):
            from ..sources import open_sdk_redis

            reader = await open_sdk_redis(spec.location, key_prefix=chosen, **timeouts).__aenter__()
        with connecting_to(where):
            try:
                yield SdkRedisSource(spec, reader)
            finally:
                await reader.close()
        return
    with about(spec.label):
        store = open_store(spec.location, key_prefix=chosen, **timeouts)
        await store.__aenter__()
    with connecting_to(where):
        try:
            yield StoreSource(spec, store, chosen)
        finally:
            await store.close()
