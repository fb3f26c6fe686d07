"""Read sessions out of the Agents SDK's own stores, so ``migrate`` can copy them into ours.

Two sources, both read-only and streamed one session at a time:

- ``agents.SQLiteSession``: a database file with a sessions table (``session_id`` primary key,
  ``created_at``, ``updated_at`` as UTC ``CURRENT_TIMESTAMP`` text) and a messages table
  (``id`` autoincrement, ``session_id``, ``message_data`` as ``json.dumps`` text,
  ``created_at``); the SDK's order is ``id``. Table names are options of the SDK.
- ``agents.extensions.memory.RedisSession``: per session a hash ``"{prefix}:{session_id}"``
  (fields ``session_id``, ``created_at``, ``updated_at`` as unix seconds) and a list
  ``"{prefix}:{session_id}:messages"`` of compact JSON items, oldest first. A
  ``"{prefix}:{session_id}:counter"`` key is named, expired and deleted by the SDK but never
  written. With a TTL every key gets the same expiry, refreshed by each append.

A session is its messages: one whose history is empty (every item popped) has nothing to
migrate and is not listed. Items are decoded as the SDK decodes them (UTF-8, ``json.loads``),
so they come back exactly as its ``get_items()`` returns them, integers beyond 64 bits
included; a row or element that is not a JSON object is skipped with a warning and counted
in ``skipped_items``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, cast

from .errors import ConfigurationError, ItemDecodeError

if TYPE_CHECKING:
    from agents import TResponseInputItem
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    SourceRedisClient: TypeAlias = Redis | RedisCluster

__all__ = [
    "SDK_MESSAGES_TABLE",
    "SDK_REDIS_KEY_PREFIX",
    "SDK_SESSIONS_TABLE",
    "SourceSession",
    "count_sdk_redis_sessions",
    "count_sqlite_sessions",
    "iter_sdk_redis_sessions",
    "iter_sqlite_sessions",
]

logger = logging.getLogger("openai_agents_session.migrate")

SDK_REDIS_KEY_PREFIX = "agents:session"
SDK_SESSIONS_TABLE = "agent_sessions"
SDK_MESSAGES_TABLE = "agent_messages"
_MESSAGES_SUFFIX = ":messages"
# How much of an undecodable payload a warning quotes.
_LOGGED_PAYLOAD_CHARS = 120


@dataclass(frozen=True)
class SourceSession:
    """One session read from a source store."""

    session_id: str
    items: list[TResponseInputItem]
    """Oldest first, decoded to dicts."""
    ttl_seconds: int | None
    """Remaining time to live, rounded up, where the source has one; else None."""
    created_at: float | None = None
    """Unix seconds, if the source records it."""
    updated_at: float | None = None
    """Unix seconds, if the source records it."""
    skipped_items: int = 0
    """Stored items that were not JSON objects, left out of ``items`` with a warning."""


def _decode_sdk_item(payload: object) -> TResponseInputItem:
    """Decode one payload with the SDK's own decoder, which wrote it: nothing is approximated."""
    try:
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8")
        if not isinstance(payload, str):
            raise ItemDecodeError(f"stored payload is a {type(payload).__name__}, not JSON")
        value = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise ItemDecodeError(f"stored payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ItemDecodeError(f"stored payload is a JSON {type(value).__name__}, not an object")
    return cast("TResponseInputItem", value)


def _decode_all(
    payloads: Iterable[object], where: str, session_id: str
) -> tuple[list[TResponseInputItem], int]:
    """Decode every payload of a session; count what is not an item."""
    items: list[TResponseInputItem] = []
    skipped = 0
    for payload in payloads:
        try:
            items.append(_decode_sdk_item(payload))
        except ItemDecodeError as exc:
            skipped += 1
            logger.warning(
                "skipped undecodable item of session %r in %s: %s; payload: %r",
                session_id,
                where,
                exc,
                payload[:_LOGGED_PAYLOAD_CHARS] if isinstance(payload, str | bytes) else payload,
            )
    return items, skipped


# --------------------------------------------------------------------------------------------
# SQLite (agents.SQLiteSession)
# --------------------------------------------------------------------------------------------

_SESSION_COLUMNS = ("session_id", "created_at", "updated_at")
_MESSAGE_COLUMNS = ("id", "session_id", "message_data")


def _quote_identifier(name: str) -> str:
    """Quote a table name, so an option can never become SQL."""
    return '"' + name.replace('"', '""') + '"'


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only: a migration must never change its source."""
    if not path.is_file():
        raise ConfigurationError(f"SQLite database {str(path)!r} does not exist or is not a file")
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ConfigurationError(f"cannot open SQLite database {str(path)!r}: {exc}") from None


def _check_table(
    conn: sqlite3.Connection, path: Path, option: str, table: str, columns: Sequence[str]
) -> None:
    if not isinstance(table, str) or not table:
        raise ConfigurationError(f"{option} must be a non-empty str, got {table!r}")
    rows = conn.execute("SELECT name FROM pragma_table_info(?)", (table,)).fetchall()
    if not rows:
        raise ConfigurationError(
            f"SQLite database {str(path)!r} has no table {table!r} (the {option} option)"
        )
    present = {str(name).lower() for (name,) in rows}
    missing = [column for column in columns if column not in present]
    if missing:
        raise ConfigurationError(
            f"table {table!r} in SQLite database {str(path)!r} lacks column(s) "
            f"{', '.join(missing)}: it is not the Agents SDK's {option.removesuffix('_table')} "
            "table"
        )


def _check_sqlite(path: Path, sessions_table: str, messages_table: str) -> sqlite3.Connection:
    """Open and check the schema up front, so a bad path or table fails before any work."""
    conn = _open_read_only(path)
    try:
        _check_table(conn, path, "sessions_table", sessions_table, _SESSION_COLUMNS)
        _check_table(conn, path, "messages_table", messages_table, _MESSAGE_COLUMNS)
    except sqlite3.Error as exc:
        conn.close()
        raise _unreadable(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _unreadable(path: Path, exc: sqlite3.Error) -> ConfigurationError:
    return ConfigurationError(f"cannot read SQLite database {str(path)!r}: {exc}")


def _sqlite_timestamp(value: object) -> float | None:
    """Read ``CURRENT_TIMESTAMP`` text (UTC) or a number as unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _sqlite_ids(
    conn: sqlite3.Connection, messages: str, session_ids: Sequence[str] | None
) -> Iterator[str]:
    """Session ids to read, ascending; the (session_id, id) index serves the scan."""
    if session_ids is not None:
        yield from sorted(set(_validated_ids(session_ids)))
        return
    cursor = conn.execute(f"SELECT DISTINCT session_id FROM {messages} ORDER BY session_id")
    for (session_id,) in cursor:
        yield str(session_id)


def _read_sqlite_session(
    conn: sqlite3.Connection, path: Path, sessions: str, messages: str, session_id: str
) -> SourceSession | None:
    cursor = conn.execute(
        f"SELECT message_data FROM {messages} WHERE session_id = ? ORDER BY id", (session_id,)
    )
    items, skipped = _decode_all((data for (data,) in cursor), repr(str(path)), session_id)
    if not items and not skipped:
        return None  # no such session
    meta = conn.execute(
        f"SELECT created_at, updated_at FROM {sessions} WHERE session_id = ?", (session_id,)
    ).fetchone()
    created_at, updated_at = meta if meta is not None else (None, None)
    return SourceSession(
        session_id=session_id,
        items=items,
        ttl_seconds=None,
        created_at=_sqlite_timestamp(created_at),
        updated_at=_sqlite_timestamp(updated_at),
        skipped_items=skipped,
    )


def iter_sqlite_sessions(
    path: str | os.PathLike[str],
    *,
    sessions_table: str = SDK_SESSIONS_TABLE,
    messages_table: str = SDK_MESSAGES_TABLE,
    session_ids: Sequence[str] | None = None,
) -> Iterator[SourceSession]:
    """Stream the sessions of an ``agents.SQLiteSession`` database, ordered by session id.

    The file is opened read-only and checked before this returns; one session's items are in
    memory at a time. Sessions without messages are not listed: there is nothing to migrate.
    SQLite has no TTL, so ``ttl_seconds`` is None.

    Args:
        path: The database file the SDK's ``db_path`` named.
        sessions_table: The SDK's ``sessions_table`` option.
        messages_table: The SDK's ``messages_table`` option.
        session_ids: Read only these sessions (ids without messages are left out).

    Returns:
        An iterator of sessions, items in the order the SDK returns them.

    Raises:
        ConfigurationError: The file is missing or unreadable, or a table is missing or not
            the SDK's; also raised by the iterator if the file becomes unreadable.
    """
    file = Path(os.fspath(path))
    if session_ids is not None:
        _validated_ids(session_ids)
    _check_sqlite(file, sessions_table, messages_table).close()
    return _stream_sqlite(file, sessions_table, messages_table, session_ids)


def _stream_sqlite(
    path: Path, sessions_table: str, messages_table: str, session_ids: Sequence[str] | None
) -> Iterator[SourceSession]:
    conn = _check_sqlite(path, sessions_table, messages_table)
    sessions, messages = _quote_identifier(sessions_table), _quote_identifier(messages_table)
    with closing(conn):
        try:
            for session_id in _sqlite_ids(conn, messages, session_ids):
                session = _read_sqlite_session(conn, path, sessions, messages, session_id)
                if session is not None:
                    yield session
        except sqlite3.Error as exc:
            raise _unreadable(path, exc) from None


def count_sqlite_sessions(
    path: str | os.PathLike[str],
    *,
    sessions_table: str = SDK_SESSIONS_TABLE,
    messages_table: str = SDK_MESSAGES_TABLE,
    session_ids: Sequence[str] | None = None,
) -> int:
    """Count the sessions :func:`iter_sqlite_sessions` yields, from the index alone.

    Raises:
        ConfigurationError: As :func:`iter_sqlite_sessions`.
    """
    file = Path(os.fspath(path))
    with closing(_check_sqlite(file, sessions_table, messages_table)) as conn:
        messages = _quote_identifier(messages_table)
        try:
            if session_ids is None:
                row = conn.execute(f"SELECT COUNT(DISTINCT session_id) FROM {messages}").fetchone()
                return int(row[0])
            exists = f"SELECT EXISTS (SELECT 1 FROM {messages} WHERE session_id = ?)"
            return sum(
                int(conn.execute(exists, (session_id,)).fetchone()[0])
                for session_id in set(_validated_ids(session_ids))
            )
        except sqlite3.Error as exc:
            raise _unreadable(file, exc) from None


def _validated_ids(session_ids: Sequence[str]) -> Sequence[str]:
    if isinstance(session_ids, str):
        raise ConfigurationError("session_ids must be a sequence of ids, not one str")
    for session_id in session_ids:
        if not isinstance(session_id, str):
            raise ConfigurationError(
                f"session ids must be str, got {type(session_id).__name__}: {session_id!r}"
            )
    return session_ids


# --------------------------------------------------------------------------------------------
# Redis (agents.extensions.memory.RedisSession)
# --------------------------------------------------------------------------------------------


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
        ids = sorted(set(_validated_ids(session_ids)))
        for start in range(0, len(ids), scan_count):
            yield ids[start : start + scan_count]
        return
    head = len(key_prefix) + 1
    from .redis._scan import escape_glob, scan_keys

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
    from redis.client import NEVER_DECODE

    key_prefix = _validate_redis_options(key_prefix, scan_count)
    from .redis._scan import ready
    from .redis._session import driver_call

    await ready(client)
    raw_bytes = {NEVER_DECODE: True}
    async for page in _candidates(client, key_prefix, session_ids, scan_count):
        for session_id in page:
            meta_key = f"{key_prefix}:{session_id}"
            messages_key = meta_key + _MESSAGES_SUFFIX
            pipe = client.pipeline(transaction=False)
            pipe.execute_command("HMGET", meta_key, *_SESSION_COLUMNS, **raw_bytes)
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
            items, skipped = _decode_all(
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
    from .redis._scan import ready
    from .redis._session import driver_call

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
