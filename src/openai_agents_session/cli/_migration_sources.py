"""The stores ``migrate`` reads from, each streamed as SessionRecords.

- ``sqlite:PATH[?sessions_table=..&messages_table=..]``: a file of the SDK's ``SQLiteSession``.
- ``sdk-redis:URL``: the layout of the SDK's own ``RedisSession`` (prefix ``agents:session``).
- ``redis://...``, ``rediss://...``, ``redis+cluster://...`` (also written ``redis:URL``):
  another prefix or server of this library, opened through `open_store`.
- ``dynamodb://TABLE?region=..&endpoint_url=..``: a table of this library's DynamoDB store,
  opened through `open_store` too; the table is its namespace, so it takes no prefix.
- ``dynamodb-0.1.0://TABLE?region=..&endpoint_url=..``: the table of this library's 0.1.0
  ``DynamoDBSession``, with credentials from the AWS chain; the only source ``migrate`` can
  delete from (``--delete-source``), and only sessions unchanged since they were read.

``sdk-redis:`` takes the same URLs, ``+cluster`` included. Nothing here imports a driver: the
SDK's Redis layout and 0.1.0's DynamoDB table are read by ``openai_agents_session.sources``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

from .._store import DEFAULT_KEY_PREFIX, SessionMetadata, SessionRecord, SessionStore
from .._urls import open_store
from ..errors import ConfigurationError
from ..sources import (
    SDK_MESSAGES_TABLE,
    SDK_SESSIONS_TABLE,
    V010_DYNAMODB_SCHEME,
    SourceSession,
    build_v010_dynamodb_url,
    count_sqlite_sessions,
    iter_sqlite_sessions,
    parse_v010_dynamodb_url,
)
from ._failures import about, connecting_to
from ._output import plural
from ._redaction import redact_url
from ._target import SOCKET_TIMEOUT_S, is_dynamodb_url, with_aws_url_options

if TYPE_CHECKING:
    from ..sources import SdkRedisReader, V010DynamoDBReader, V010Session

__all__ = [
    "DYNAMODB",
    "DYNAMODB_0_1_0",
    "SQLITE",
    "STORE",
    "DeletableSource",
    "MigrationSource",
    "SourceSpec",
    "default_prefix",
    "open_source",
    "parse_source",
    "with_aws_options",
]

SQLITE = "sqlite"
SDK_REDIS = "sdk-redis"
STORE = "store"
# This library's DynamoDB store: opened like STORE, but named by a table, not a prefix.
DYNAMODB = "dynamodb"
DYNAMODB_0_1_0 = V010_DYNAMODB_SCHEME
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
    aws_profile: str | None = None

    @property
    def label(self) -> str:
        """The source as the user wrote it, password replaced by ``***``."""
        if self.kind == SQLITE:
            return f"sqlite:{self.location}"
        if self.kind == DYNAMODB_0_1_0:
            table, options = parse_v010_dynamodb_url(self.location)
            shown = [f"region {options.get('region', 'from the AWS chain')}"]
            if "endpoint_url" in options:
                shown.append(f"endpoint {redact_url(options['endpoint_url'])}")
            if self.aws_profile is not None:
                shown.append(f"profile {self.aws_profile!r}")
            return f"{DYNAMODB_0_1_0}://{table} ({', '.join(shown)})"
        if self.kind == SDK_REDIS:
            return f"sdk-redis:{redact_url(self.location)}"
        if self.kind == DYNAMODB and self.aws_profile is not None:
            return f"{redact_url(self.location)} (profile {self.aws_profile})"
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
    if spec.startswith(f"{DYNAMODB_0_1_0}://"):
        parse_v010_dynamodb_url(spec)  # a ConfigurationError is a ValueError
        return SourceSpec(DYNAMODB_0_1_0, spec)
    if is_dynamodb_url(spec):
        return SourceSpec(DYNAMODB, spec)
    if spec.startswith(STORE_SCHEMES):
        return SourceSpec(STORE, spec)
    if spec.startswith(("redis:", "rediss:")):
        return SourceSpec(STORE, _redis_url(spec.partition(":")[2], spec))
    raise ValueError(
        f"unknown source {redact_url(spec)!r}; expected sqlite:PATH, sdk-redis:URL, "
        f"{DYNAMODB_0_1_0}://TABLE, dynamodb://TABLE or the redis://, rediss:// or "
        "redis+cluster:// URL of another store"
    )


def with_aws_options(
    spec: SourceSpec,
    *,
    region: str | None,
    endpoint_url: str | None,
    profile: str | None,
    for_target: bool = False,
) -> SourceSpec:
    """Fill a DynamoDB source's URL options from --region and --endpoint-url, and its profile.

    A ``dynamodb://`` source takes them as a ``dynamodb://`` store does.

    Args:
        spec: The source.
        region: --region, for every DynamoDB URL of the command.
        endpoint_url: --endpoint-url, likewise.
        profile: --profile, likewise.
        for_target: The store is DynamoDB, so the options have a use even when the source
            is not.

    Raises:
        ValueError: An option is given when neither the source nor the store is DynamoDB,
            or differs from the one in a ``dynamodb-0.1.0://`` source's URL.
        click.UsageError: An option differs from the one in a ``dynamodb://`` source's URL.
    """
    given = {"region": region, "endpoint_url": endpoint_url}
    flags = {"region": "--region", "endpoint_url": "--endpoint-url"}
    if spec.kind == DYNAMODB:
        filled = {name: value for name, value in given.items() if value is not None}
        url = with_aws_url_options(spec.location, filled)
        return SourceSpec(DYNAMODB, url, aws_profile=profile)
    if spec.kind != DYNAMODB_0_1_0:
        used = [flags[name] for name, value in given.items() if value is not None]
        used += ["--profile"] if profile is not None else []
        if used and not for_target:
            raise ValueError(
                f"{' and '.join(used)} apply to dynamodb:// and {DYNAMODB_0_1_0}:// URLs only"
            )
        return spec
    table, options = parse_v010_dynamodb_url(spec.location)
    for name, value in given.items():
        if value is None:
            continue
        if options.get(name, value) != value:
            raise ValueError(
                f"{flags[name]} {value!r} differs from {name}={options[name]!r} in the URL; "
                "give it once"
            )
        options[name] = value
    url = build_v010_dynamodb_url(table, options)
    return SourceSpec(DYNAMODB_0_1_0, url, aws_profile=profile)


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

    def left_out(self) -> list[str]:
        """Say what the source holds that :meth:`records` did not yield, beyond bad items."""


class DeletableSource(MigrationSource, Protocol):
    """A source ``migrate --delete-source`` can remove sessions from once they are copied."""

    async def delete(self, session_id: str) -> bool:
        """Delete a yielded session if it is unchanged since it was read; return whether it was."""

    def forget(self, session_id: str) -> None:
        """Drop what was kept of a yielded session to delete it."""


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

    def left_out(self) -> list[str]:
        """Nothing: every session with messages is yielded."""
        return []


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

    def left_out(self) -> list[str]:
        """Nothing: every session with messages is yielded."""
        return []


class StoreSource:
    """The sessions of another prefix, server or table of this library."""

    def __init__(self, spec: SourceSpec, store: SessionStore, prefix: str | None) -> None:
        self.label = spec.label if prefix is None else f"{spec.label} (prefix {prefix!r})"
        self.skipped_items = 0
        self._where = redact_url(spec.location)
        self._store = store

    async def count(self) -> int:
        """Return how many sessions the prefix holds."""
        with connecting_to(self._where):
            return await self._store.count_sessions()

    def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the sessions in the order the store lists them, with their metadata."""
        return _labelled(self._where, self._store.export())

    def left_out(self) -> list[str]:
        """Nothing: every session is yielded."""
        return []


class V010DynamoDBSource:
    """The sessions of a 0.1.0 ``DynamoDBSession`` table; expired and corrupt ones are counted.

    With ``deletable``, what was read of each yielded session is kept until it is deleted or
    forgotten, so a delete can be conditioned on it: up to one blob per session in flight.
    """

    def __init__(self, spec: SourceSpec, reader: V010DynamoDBReader, *, deletable: bool) -> None:
        self.label = spec.label
        self.skipped_items = 0
        self._where = spec.label
        self._reader = reader
        self._deletable = deletable
        self._reads: dict[str, V010Session] = {}

    async def count(self) -> int:
        """Return how many unexpired items the table holds."""
        with connecting_to(self._where):
            return await self._reader.count()

    async def records(self) -> AsyncIterator[SessionRecord]:
        """Yield the live sessions, in the order the Scan segments return them."""
        async for read in _labelled(self._where, self._reader.sessions()):
            self.skipped_items += read.session.skipped_items
            if self._deletable:
                self._reads[read.session.session_id] = read
            yield _record(read.session)

    def left_out(self) -> list[str]:
        """The expired sessions (0.1.0 still returned them) and the corrupt ones."""
        counts = self._reader.counts
        if not counts.expired and not counts.corrupt:
            return []
        return [
            f"left out {plural(counts.expired, 'expired session')} and "
            f"{plural(counts.corrupt, 'corrupt session')} of the source (warnings name them)"
        ]

    async def delete(self, session_id: str) -> bool:
        """Delete the session if its item is as it was read."""
        read = self._reads.pop(session_id, None)
        if read is None:
            raise ConfigurationError(f"session {session_id!r} was not read from {self.label}")
        with connecting_to(self._where):
            return await self._reader.delete(read)

    def forget(self, session_id: str) -> None:
        """Drop the read kept for a delete."""
        self._reads.pop(session_id, None)


def default_prefix(spec: SourceSpec) -> str:
    """Return the prefix a Redis source uses when --from-prefix is not given."""
    return SDK_REDIS_KEY_PREFIX if spec.kind == SDK_REDIS else DEFAULT_KEY_PREFIX


def is_same_table(source_url: str, target_url: str) -> bool:
    """Whether two ``dynamodb://`` URLs name the same table at the same region and endpoint."""
    source, target = urlsplit(source_url), urlsplit(target_url)
    return source.netloc == target.netloc and dict(parse_qsl(source.query)) == dict(
        parse_qsl(target.query)
    )


@contextlib.asynccontextmanager
async def open_source(
    spec: SourceSpec, *, prefix: str | None, deletable: bool = False
) -> AsyncIterator[MigrationSource]:
    """Open the source ``spec`` names; its client is closed on exit.

    Args:
        spec: The source.
        prefix: The key prefix of a Redis source; a ``dynamodb://`` source takes none.
        deletable: Keep what is read so sessions can be deleted (a DynamoDB source only).

    Raises:
        CommandError: The source cannot be opened; the message names it.
    """
    if spec.kind == SQLITE:
        yield SqliteSource(spec)
        return
    if spec.kind == DYNAMODB_0_1_0:
        with about(spec.label):
            from ..sources import open_v010_dynamodb

            opened = open_v010_dynamodb(spec.location, profile=spec.aws_profile)
            table_reader = await opened.__aenter__()
        with connecting_to(spec.label):
            try:
                yield V010DynamoDBSource(spec, table_reader, deletable=deletable)
            finally:
                await table_reader.close()
        return
    timeouts = {"socket_timeout": SOCKET_TIMEOUT_S, "socket_connect_timeout": SOCKET_TIMEOUT_S}
    where = redact_url(spec.location)
    if spec.kind == DYNAMODB:
        profile = {} if spec.aws_profile is None else {"profile": spec.aws_profile}
        with about(spec.label):
            table = open_store(spec.location, **timeouts, **profile)
            await table.__aenter__()
        with connecting_to(spec.label):
            try:
                yield StoreSource(spec, table, None)
            finally:
                await table.close()
        return
    chosen = prefix or default_prefix(spec)
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
