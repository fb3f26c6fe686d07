"""The stores ``migrate`` reads from, each streamed as SessionRecords.

- ``sqlite:PATH[?sessions_table=..&messages_table=..]``: a file of the SDK's ``SQLiteSession``.
- ``sdk-redis:URL``: the layout of the SDK's own ``RedisSession`` (prefix ``agents:session``).
- ``redis://...`` or ``rediss://...`` (also written ``redis:URL``): another prefix or server
  of this library.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import parse_qsl

import redis.asyncio as redis_asyncio
from redis.asyncio.cluster import RedisCluster

from ..redis import RedisSessionStore, SessionMetadata, SessionRecord
from ..redis._keys import DEFAULT_KEY_PREFIX
from ..sources import (
    SDK_MESSAGES_TABLE,
    SDK_REDIS_KEY_PREFIX,
    SDK_SESSIONS_TABLE,
    SourceSession,
    count_sdk_redis_sessions,
    count_sqlite_sessions,
    iter_sdk_redis_sessions,
    iter_sqlite_sessions,
)
from ._connection import SOCKET_TIMEOUT_S, refuse_cluster_node
from ._failures import CommandError, connecting_to
from ._urls import redact_url

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
STORE_SCHEMES = ("redis://", "rediss://", "unix://")

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
        "or the redis:// or rediss:// URL of another store"
    )


def _redis_url(url: str, spec: str) -> str:
    if not url.startswith(STORE_SCHEMES):
        raise ValueError(
            f"source {redact_url(spec)!r} needs a redis://, rediss:// or unix:// URL after its kind"
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

    def __init__(
        self, spec: SourceSpec, client: redis_asyncio.Redis | RedisCluster, prefix: str
    ) -> None:
        self.label = f"{spec.label} (prefix {prefix!r})"
        self.skipped_items = 0
        self._url = spec.location
        self._client = client
        self._prefix = prefix

    async def count(self) -> int:
        """Return how many sessions have messages."""
        with connecting_to(self._url):
            return await count_sdk_redis_sessions(self._client, key_prefix=self._prefix)

    async def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the sessions in SCAN's order."""
        sessions = iter_sdk_redis_sessions(self._client, key_prefix=self._prefix)
        async for session in _labelled(self._url, sessions):
            self.skipped_items += session.skipped_items
            yield _record(session)


class StoreSource:
    """The sessions of another prefix or server of this library."""

    def __init__(self, spec: SourceSpec, store: RedisSessionStore) -> None:
        self.label = f"{spec.label} (prefix {store.key_prefix!r})"
        self.skipped_items = 0
        self._url = spec.location
        self._store = store

    async def count(self) -> int:
        """Return how many sessions the prefix holds."""
        with connecting_to(self._url):
            return await self._store.count_sessions()

    def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the sessions in SCAN's order, with their metadata."""
        return _labelled(self._url, self._store.export())


def default_prefix(spec: SourceSpec) -> str:
    """Return the prefix a Redis source uses when --from-prefix is not given."""
    return SDK_REDIS_KEY_PREFIX if spec.kind == SDK_REDIS else DEFAULT_KEY_PREFIX


@contextlib.asynccontextmanager
async def open_source(
    spec: SourceSpec, *, prefix: str | None, cluster: bool
) -> AsyncIterator[MigrationSource]:
    """Open the source ``spec`` names; its client is closed on exit."""
    if spec.kind == SQLITE:
        yield SqliteSource(spec)
        return
    chosen = prefix or default_prefix(spec)
    timeouts = {"socket_timeout": SOCKET_TIMEOUT_S, "socket_connect_timeout": SOCKET_TIMEOUT_S}
    with connecting_to(spec.location), _invalid_url(spec):
        if spec.kind == SDK_REDIS:
            client: redis_asyncio.Redis | RedisCluster = (
                RedisCluster.from_url(spec.location, **timeouts)
                if cluster
                else redis_asyncio.from_url(spec.location, **timeouts)
            )
            source: MigrationSource = SdkRedisSource(spec, client, chosen)
        else:
            store = RedisSessionStore.from_url(
                spec.location, key_prefix=chosen, cluster=cluster, **timeouts
            )
            client = store.client
            source = StoreSource(spec, store)
    try:
        if isinstance(client, redis_asyncio.Redis):
            with connecting_to(spec.location):
                await refuse_cluster_node(client, spec.label, "--from-cluster")
        yield source
    finally:
        with connecting_to(spec.location):
            await client.aclose()


@contextlib.contextmanager
def _invalid_url(spec: SourceSpec) -> Iterator[None]:
    try:
        yield
    except ValueError as exc:
        raise CommandError(f"invalid source {spec.label}: {exc}") from None
