"""Read the sessions of an ``agents.SQLiteSession`` database file, read-only and streamed.

The file has a sessions table (``session_id`` primary key, ``created_at``, ``updated_at`` as
UTC ``CURRENT_TIMESTAMP`` text) and a messages table (``id`` autoincrement, ``session_id``,
``message_data`` as ``json.dumps`` text, ``created_at``); the SDK's order is ``id``. Table
names are options of the SDK.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ConfigurationError
from ._common import SESSION_COLUMNS, SourceSession, decode_all, validated_ids

__all__ = [
    "SDK_MESSAGES_TABLE",
    "SDK_SESSIONS_TABLE",
    "count_sqlite_sessions",
    "iter_sqlite_sessions",
]

SDK_SESSIONS_TABLE = "agent_sessions"
SDK_MESSAGES_TABLE = "agent_messages"
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
        _check_table(conn, path, "sessions_table", sessions_table, SESSION_COLUMNS)
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
        yield from sorted(set(validated_ids(session_ids)))
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
    items, skipped = decode_all((data for (data,) in cursor), repr(str(path)), session_id)
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
        validated_ids(session_ids)
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
                for session_id in set(validated_ids(session_ids))
            )
        except sqlite3.Error as exc:
            raise _unreadable(file, exc) from None
