"""``migrate``: from the SDK's SQLite file, the SDK's Redis layout and another prefix of ours."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from agents import SQLiteSession
from agents.extensions.memory import RedisSession as SdkRedisSession
from cli.support import Run, Store

standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)
both = pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)

SUMMARY = re.compile(
    r"migrated (\d+) sessions? \((\d+) items?\), skipped (\d+) already present, "
    r"in \d+\.\d\d s \(\d+ sessions/s\)"
)


def history(session_id: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"hello from {session_id}"},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "ok"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
    ]


def counts(result_out: str) -> tuple[int, int, int]:
    match = SUMMARY.fullmatch(result_out.strip())
    assert match is not None, result_out
    migrated, items, skipped = (int(group) for group in match.groups())
    return migrated, items, skipped


def write_sqlite(path: Path, session_ids: list[str], **tables: str) -> None:
    """Write sessions with the SDK's own SQLiteSession."""

    async def go() -> None:
        for session_id in session_ids:
            session = SQLiteSession(session_id, path, **tables)
            try:
                await session.add_items(history(session_id)[:2])
                await session.add_items(history(session_id)[2:])
            finally:
                session.close()

    asyncio.run(go())


@standalone
def test_migrate_from_sdk_sqlite_copies_every_session_once(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """Items exactly as the SDK returns them, creation time kept; a re-run skips them all."""
    database = tmp_path / "agents.db"
    ids = [f"chat-{n}" for n in range(30)]
    before = time.time()
    write_sqlite(database, ids)

    first = run("migrate", "--from", f"sqlite:{database}", *store.args())
    second = run("migrate", "--from", f"sqlite:{database}", *store.args())

    assert first.code == 0, first.err
    assert counts(first.out) == (30, 120, 0)
    assert first.err == (
        f"migrating sqlite:{database} into {store.url} (prefix {store.prefix!r})\n"
    )
    assert store.ids() == set(ids)
    for session_id in ids[:3]:
        assert store.items(session_id) == history(session_id)
        info = store.info(session_id)
        assert info.ttl_seconds is None
        created = info.metadata.created_at
        assert created is not None and before - 2 <= created <= time.time() + 1
    assert second.code == 0
    assert counts(second.out) == (0, 0, 30)


@standalone
def test_migrate_dry_run_reads_everything_and_writes_nothing(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """--dry-run reports what would move, counting sessions present already, and writes nothing."""
    database = tmp_path / "agents.db"
    write_sqlite(database, ["a", "b", "c"])
    store.write({"a": history("a")})

    result = run("migrate", "--from", f"sqlite:{database}", "--dry-run", *store.args())

    assert result.code == 0, result.err
    assert re.fullmatch(
        r"would migrate 2 sessions \(8 items\), skip 1 already present; "
        r"read in \d+\.\d\d s \(\d+ sessions/s\), wrote nothing\n",
        result.out,
    )
    assert store.ids() == {"a"}
    assert store.items("a") == history("a")


@standalone
def test_migrate_sqlite_table_options_ttl_and_replace(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """Custom table names; --ttl sets every TTL; --replace overwrites what exists."""
    database = tmp_path / "custom.db"
    tables = {"sessions_table": "s", "messages_table": "m"}
    write_sqlite(database, ["x", "y"], **tables)
    store.write({"x": [{"role": "user", "content": "stale"}]})
    source = f"sqlite:{database}?sessions_table=s&messages_table=m"

    result = run("migrate", "--from", source, "--ttl", "600", "--replace", *store.args())

    assert result.code == 0, result.err
    assert counts(result.out) == (2, 8, 0)
    assert store.items("x") == history("x")
    for session_id in ("x", "y"):
        ttl = store.info(session_id).ttl_seconds
        assert ttl is not None and 598 <= ttl <= 600


@standalone
def test_migrate_from_the_sdk_redis_layout(run: Run, store: Store) -> None:
    """Sessions the SDK's RedisSession wrote come over with their items and remaining TTL."""
    sdk_prefix = f"{store.prefix}-sdk"

    async def write() -> None:
        for session_id, ttl in (("u1", 300), ("u2", None), ("team:7", 300)):
            sdk = SdkRedisSession.from_url(
                session_id, url=store.url, key_prefix=sdk_prefix, ttl=ttl
            )
            try:
                await sdk.add_items(history(session_id))
            finally:
                await sdk.close()

    asyncio.run(write())
    source = f"sdk-redis:{store.url}"

    result = run("migrate", "--from", source, "--from-prefix", sdk_prefix, *store.args())
    again = run("migrate", "--from", source, "--from-prefix", sdk_prefix, *store.args())

    assert result.code == 0, result.err
    assert counts(result.out) == (3, 12, 0)
    assert f"migrating sdk-redis:{store.url} (prefix {sdk_prefix!r}) into" in result.err
    assert store.ids() == {"u1", "u2", "team:7"}
    for session_id in ("u1", "u2", "team:7"):
        assert store.items(session_id) == history(session_id)
    ttl = store.info("u1").ttl_seconds
    assert ttl is not None and 295 <= ttl <= 300
    assert store.info("u2").ttl_seconds is None
    assert counts(again.out) == (0, 0, 3)


@both
def test_migrate_from_another_prefix_of_ours_keeps_metadata(run: Run, store: Store) -> None:
    """A redis:// source copies items, TTL and metadata from another prefix."""
    store.write({f"s{n}": history(f"s{n}") for n in range(10)}, ttl=900, title="T", owner="ada")
    target = f"{store.prefix}-copy"

    source_args = ["--from-prefix", store.prefix]

    result = run("migrate", "--from", store.target, *source_args, *store.args(target))
    again = run("migrate", "--from", f"redis:{store.target}", *source_args, *store.args(target))

    assert result.code == 0, result.err
    assert counts(result.out) == (10, 40, 0)
    assert store.ids(target) == {f"s{n}" for n in range(10)}
    copied = Store(store.url, store.cluster, target, store.client)
    info = copied.info("s3")
    assert info.metadata.title == "T" and info.metadata.owner == "ada"
    assert info.ttl_seconds is not None and 897 <= info.ttl_seconds <= 900
    assert copied.items("s3") == history("s3")
    assert counts(again.out) == (0, 0, 10)


@standalone
def test_migrate_refuses_a_source_that_is_the_destination(run: Run, store: Store) -> None:
    """Same URL and prefix on both sides: a usage error, exit 2."""
    result = run("migrate", "--from", store.url, "--from-prefix", store.prefix, *store.args())

    assert result.code == 2
    assert "is the destination itself" in result.err


@standalone
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("mysql://x", "unknown source 'mysql://x'"),
        ("sqlite:db?table=x", "unknown SQLite option 'table'"),
        ("sdk-redis:localhost", "needs a redis://, rediss://, unix:// or redis+cluster:// URL"),
    ],
)
def test_migrate_rejects_unknown_sources(run: Run, store: Store, source: str, message: str) -> None:
    """A source of no known form is a usage error naming what is accepted."""
    result = run("migrate", "--from", source, *store.args())

    assert result.code == 2
    assert message in result.err


@standalone
def test_migrate_from_a_missing_sqlite_file_is_an_error(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """A database file that does not exist: exit 1, one line naming it."""
    missing = tmp_path / "missing.db"

    result = run("migrate", "--from", f"sqlite:{missing}", *store.args())

    assert result.code == 1
    assert result.err == (
        f"error: SQLite database {str(missing)!r} does not exist or is not a file\n"
    )


@standalone
def test_migrate_names_sessions_it_cannot_write_and_copies_the_rest(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """NaN cannot be stored: that session is named and exit is 1; bad rows are counted."""
    database = tmp_path / "agents.db"
    write_sqlite(database, ["fine", "mixed"])

    async def write_nan() -> None:
        session = SQLiteSession("nan", database)  # the SDK's json.dumps writes NaN
        try:
            await session.add_items([{"role": "user", "content": "x", "score": float("nan")}])
        finally:
            session.close()

    asyncio.run(write_nan())
    with sqlite3.connect(database) as conn:
        for session_id in ("mixed", "garbage-only"):
            conn.execute(
                "INSERT INTO agent_messages (session_id, message_data) VALUES (?, ?)",
                (session_id, "not json"),
            )

    result = run("migrate", "--from", f"sqlite:{database}", *store.args())

    assert result.code == 1
    assert counts(result.out) == (2, 8, 0)
    assert store.ids() == {"fine", "mixed"}
    err = result.err.splitlines()
    assert "session 'nan': " in result.err and "NaN" in result.err
    assert (
        "left out 2 stored items that are not JSON objects, and 1 session with no other item" in err
    )
    assert err[-1] == "error: 1 session could not be migrated: 'nan'"
