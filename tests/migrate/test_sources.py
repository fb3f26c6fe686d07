"""Reading sessions out of the Agents SDK's own stores, written by the SDK's own classes.

SQLite files are made by ``agents.SQLiteSession``; Redis data by the SDK's
``agents.extensions.memory.RedisSession`` on a private server. The SDK refuses to append
through a ``RedisCluster``, so on the cluster its layout is written command by command, the
way SDK releases before its transactional writes stored it, and checked with the SDK's reader.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from agents import SQLiteSession
from agents.extensions.memory import RedisSession as SdkRedisSession
from redis.asyncio.cluster import RedisCluster
from servers import ClusterServers, RedisServer

from openai_agents_session.errors import ConfigurationError
from openai_agents_session.redis._scan import escape_glob
from openai_agents_session.sources import (
    SourceSession,
    count_sdk_redis_sessions,
    count_sqlite_sessions,
    iter_sdk_redis_sessions,
    iter_sqlite_sessions,
)

USER = {"role": "user", "content": 'héllo 🎉 "quoted" \\ back'}
ASSISTANT = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Paris.", "annotations": []}],
}
CALL = {
    "type": "function_call",
    "call_id": "call_1",
    "name": "get_weather",
    "arguments": '{"city": "Paris"}',
}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 21.5}'}
TURN = [USER, ASSISTANT, CALL, OUTPUT]
# The SDK stores whatever dict it is given, with json.dumps: it all comes back exactly.
BIG_NUMBER = {"type": "custom", "n": 2**70 + 1, "tiny": 5e-324}
LONE_SURROGATE = {"type": "custom", "text": "\ud800"}


def history(session_id: str) -> list[dict[str, Any]]:
    """A distinct history per session, so a mix-up between sessions shows."""
    return [
        *TURN,
        BIG_NUMBER,
        LONE_SURROGATE,
        {"role": "user", "content": f"bye from {session_id}"},
    ]


async def collect(source: AsyncIterator[SourceSession]) -> dict[str, SourceSession]:
    found: dict[str, SourceSession] = {}
    async for session in source:
        assert session.session_id not in found, f"{session.session_id!r} listed twice"
        found[session.session_id] = session
    return found


# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------

SQLITE_IDS = ["b", "a", "team:7", "émile", "zz 9"]


async def write_sqlite(path: Path, session_ids: list[str], **tables: str) -> dict[str, Any]:
    """Write each session's history in two appends, interleaved; return the SDK's get_items."""
    sessions = {sid: SQLiteSession(sid, path, **tables) for sid in session_ids}
    try:
        for sid, session in sessions.items():
            await session.add_items(history(sid)[:2])
        for sid, session in sessions.items():
            await session.add_items(history(sid)[2:])
        return {sid: await session.get_items() for sid, session in sessions.items()}
    finally:
        for session in sessions.values():
            session.close()


async def test_sqlite_reads_what_the_sdk_wrote(tmp_path: Path) -> None:
    """Every session, its items in the SDK's order and its timestamps; sorted by id."""
    path = tmp_path / "agents.db"
    before = time.time()
    expected = await write_sqlite(path, SQLITE_IDS)
    emptied = SQLiteSession("emptied", path)  # every item popped: nothing to migrate
    await emptied.add_items([USER])
    assert await emptied.pop_item() == USER
    emptied.close()

    found = list(iter_sqlite_sessions(path))

    assert [s.session_id for s in found] == sorted(SQLITE_IDS)
    for session in found:
        assert session.items == expected[session.session_id] == history(session.session_id)
        assert session.ttl_seconds is None
        assert session.skipped_items == 0
        for stamp in (session.created_at, session.updated_at):
            # CURRENT_TIMESTAMP has whole seconds, in UTC.
            assert stamp is not None and before - 1 <= stamp <= time.time() + 1
    assert count_sqlite_sessions(path) == len(found)


async def test_sqlite_selected_sessions(tmp_path: Path) -> None:
    path = tmp_path / "agents.db"
    expected = await write_sqlite(path, SQLITE_IDS)
    wanted = ["team:7", "a", "missing", "a"]

    found = list(iter_sqlite_sessions(path, session_ids=wanted))

    assert [s.session_id for s in found] == ["a", "team:7"]
    assert [s.items for s in found] == [expected["a"], expected["team:7"]]
    assert count_sqlite_sessions(path, session_ids=wanted) == 2


async def test_sqlite_custom_table_names(tmp_path: Path) -> None:
    path = tmp_path / "custom.db"
    tables = {"sessions_table": "my_sessions", "messages_table": "my_messages"}
    expected = await write_sqlite(path, ["x", "y"], **tables)

    found = list(iter_sqlite_sessions(path, **tables))

    assert {s.session_id: s.items for s in found} == expected
    assert count_sqlite_sessions(path, **tables) == 2
    with pytest.raises(ConfigurationError, match="no table 'agent_sessions'"):
        iter_sqlite_sessions(path)


async def test_sqlite_bad_source_is_a_configuration_error(tmp_path: Path) -> None:
    """Raised when called, before any iteration, with the path or table in one sentence."""
    missing = tmp_path / "nowhere.db"
    with pytest.raises(ConfigurationError, match=r"nowhere\.db.*does not exist") as caught:
        iter_sqlite_sessions(missing)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    with pytest.raises(ConfigurationError, match=r"nowhere\.db"):
        count_sqlite_sessions(missing)
    with pytest.raises(ConfigurationError, match="is not a file"):
        iter_sqlite_sessions(tmp_path)

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all, just some bytes\n" * 200)
    with pytest.raises(ConfigurationError, match=r"garbage\.db.*not a database") as caught:
        iter_sqlite_sessions(garbage)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__

    path = tmp_path / "agents.db"
    await write_sqlite(path, ["a"])
    with pytest.raises(ConfigurationError, match="no table 'wrong_messages'"):
        iter_sqlite_sessions(path, messages_table="wrong_messages")
    with pytest.raises(ConfigurationError, match="no table 'nope'"):
        count_sqlite_sessions(path, sessions_table="nope")
    with pytest.raises(ConfigurationError, match=r"lacks column.*message_data"):
        iter_sqlite_sessions(path, messages_table="agent_sessions")
    with pytest.raises(ConfigurationError, match="no table"):
        iter_sqlite_sessions(path, messages_table='agent_messages"; DROP TABLE agent_sessions; --')
    assert len(list(iter_sqlite_sessions(path))) == 1


async def test_sqlite_undecodable_rows_are_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "agents.db"
    await write_sqlite(path, ["a"])
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO agent_messages (session_id, message_data) VALUES ('a', ?)",
            [("{not json",), ("[1, 2]",), (json.dumps(USER),)],
        )
    conn.close()

    with caplog.at_level(logging.WARNING, logger="openai_agents_session.migrate"):
        (session,) = iter_sqlite_sessions(path)

    assert session.items == [*history("a"), USER]
    assert session.skipped_items == 2
    warnings = [r for r in caplog.records if r.name == "openai_agents_session.migrate"]
    assert len(warnings) == 2 and all("'a'" in r.getMessage() for r in warnings)


async def test_sqlite_source_is_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "agents.db"
    await write_sqlite(path, SQLITE_IDS)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(list(iter_sqlite_sessions(path))) == len(SQLITE_IDS)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


async def test_sqlite_streams_one_session_at_a_time(tmp_path: Path) -> None:
    """1,000 sessions of 10 items of ~1 kB: the reader's peak stays far below the total."""
    path = tmp_path / "big.db"
    schema = SQLiteSession("schema", path)  # the SDK creates its own schema
    schema.close()
    sessions, per_session = 1000, 10
    rows = [
        (f"s{n:04d}", json.dumps({"role": "user", "content": f"{n}:{i}:" + "x" * 1000}))
        for n in range(sessions)
        for i in range(per_session)
    ]
    total_bytes = sum(len(data) for _, data in rows)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO agent_sessions (session_id) VALUES (?)",
            [(sid,) for sid, _ in rows[::per_session]],
        )
        conn.executemany(
            "INSERT INTO agent_messages (session_id, message_data) VALUES (?, ?)", rows
        )
    conn.close()
    del rows

    started = time.perf_counter()
    tracemalloc.start()
    try:
        seen = items = 0
        for session in iter_sqlite_sessions(path):
            seen += 1
            items += len(session.items)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started

    assert (seen, items) == (sessions, sessions * per_session)
    assert peak < total_bytes / 20, f"peak {peak} bytes for {total_bytes} bytes of items"
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert count_sqlite_sessions(path) == sessions


# --------------------------------------------------------------------------------------------
# Redis: the SDK's RedisSession layout
# --------------------------------------------------------------------------------------------


def new_prefix(label: str = "agents") -> str:
    return f"oas-test:{uuid.uuid4().hex}:{label}"


async def delete_under(client: Any, prefix: str) -> None:
    """Delete every key under ``prefix`` (on every primary of a cluster)."""
    keys = [key async for key in client.scan_iter(match=escape_glob(prefix) + "*", count=1000)]
    for key in keys:
        await client.delete(key)


@pytest.fixture(params=["bytes", "decoded"])
async def client(
    request: pytest.FixtureRequest, standalone_server: RedisServer
) -> AsyncIterator[redis_asyncio.Redis]:
    decode = request.param == "decoded"
    async with redis_asyncio.from_url(standalone_server.url, decode_responses=decode) as conn:
        yield conn


@pytest.fixture
async def prefix(client: redis_asyncio.Redis) -> AsyncIterator[str]:
    chosen = new_prefix()
    yield chosen
    await delete_under(client, chosen)


REDIS_IDS = ["u1", "team:7", "émile", "*?[x]\\", "{tag}", "a b"]


async def write_sdk_redis(
    client: redis_asyncio.Redis, prefix: str, session_ids: list[str], ttl: int | None = None
) -> dict[str, Any]:
    """Write each session in two appends with the SDK's class; return the SDK's get_items."""
    sessions = {
        sid: SdkRedisSession(sid, redis_client=client, key_prefix=prefix, ttl=ttl)
        for sid in session_ids
    }
    for sid, session in sessions.items():
        await session.add_items(history(sid)[:2])
    for sid, session in sessions.items():
        await session.add_items(history(sid)[2:])
    return {sid: await session.get_items() for sid, session in sessions.items()}


async def test_redis_reads_what_the_sdk_wrote(client: redis_asyncio.Redis, prefix: str) -> None:
    before = time.time()
    expected = await write_sdk_redis(client, prefix, REDIS_IDS)
    emptied = SdkRedisSession("emptied", redis_client=client, key_prefix=prefix)
    await emptied.add_items([USER])
    assert await emptied.pop_item() == USER  # leaves its hash, but no messages

    found = await collect(iter_sdk_redis_sessions(client, key_prefix=prefix, scan_count=2))

    assert set(found) == set(REDIS_IDS)
    for sid, session in found.items():
        assert session.items == expected[sid] == history(sid)
        assert session.ttl_seconds is None
        assert session.skipped_items == 0
        for stamp in (session.created_at, session.updated_at):
            assert stamp is not None and int(before) <= stamp <= time.time()
    assert await count_sdk_redis_sessions(client, key_prefix=prefix, scan_count=2) == len(found)


async def test_redis_ttl_is_reported(standalone_server: RedisServer, prefix: str) -> None:
    """The SDK sets one PEXPIREAT on all its keys; the list's remaining TTL is reported."""
    sdk = SdkRedisSession.from_url("ttl", url=standalone_server.url, key_prefix=prefix, ttl=300)
    try:
        await sdk.add_items(TURN)
    finally:
        await sdk.close()
    async with redis_asyncio.from_url(standalone_server.url) as conn:
        expected = await write_sdk_redis(conn, prefix, ["ttl-direct"], ttl=1000)
        meta_ttl = await conn.pttl(f"{prefix}:ttl")
        list_ttl = await conn.pttl(f"{prefix}:ttl:messages")
        assert abs(meta_ttl - list_ttl) < 100 and 0 < list_ttl <= 300_000

        found = await collect(iter_sdk_redis_sessions(conn, key_prefix=prefix))

    assert found["ttl"].items == TURN
    assert found["ttl"].ttl_seconds is not None and 295 <= found["ttl"].ttl_seconds <= 300
    assert found["ttl-direct"].items == expected["ttl-direct"]
    assert found["ttl-direct"].ttl_seconds is not None
    assert 995 <= found["ttl-direct"].ttl_seconds <= 1000


async def test_redis_selected_sessions(client: redis_asyncio.Redis, prefix: str) -> None:
    expected = await write_sdk_redis(client, prefix, REDIS_IDS)
    wanted = ["team:7", "*?[x]\\", "missing", "team:7"]

    found = await collect(iter_sdk_redis_sessions(client, key_prefix=prefix, session_ids=wanted))

    assert {sid: s.items for sid, s in found.items()} == {
        sid: expected[sid] for sid in ("team:7", "*?[x]\\")
    }
    assert await count_sdk_redis_sessions(client, key_prefix=prefix, session_ids=wanted) == 2


async def test_redis_glob_characters_in_the_prefix(client: redis_asyncio.Redis) -> None:
    """A prefix with ``[ * ? \\`` lists its own sessions only, not a sibling's or a nested one's.

    Unescaped, ``p[1]*?`` would match ``p1xy``; ``p[1]*?:nested`` shares the key shape
    ``p[1]*?:nested:s:messages`` with a session ``nested:s``, and only the SDK's hash says whose.
    """
    base = new_prefix("glob")
    ours = f"{base}:p[1]*?\\"
    siblings = [f"{base}:p1xy\\", f"{base}:p[1]*?\\x", f"{base}:p[1]*?\\:nested"]
    try:
        expected = await write_sdk_redis(client, ours, ["s1", "s2"])
        for sibling in siblings:
            await write_sdk_redis(client, sibling, ["s1", "s"])

        found = await collect(iter_sdk_redis_sessions(client, key_prefix=ours))

        assert {sid: s.items for sid, s in found.items()} == expected
        assert await count_sdk_redis_sessions(client, key_prefix=ours) == 2
        for sibling in siblings:
            assert await count_sdk_redis_sessions(client, key_prefix=sibling) == 2
    finally:
        await delete_under(client, base)


async def test_redis_undecodable_elements_are_skipped_and_counted(
    client: redis_asyncio.Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    await write_sdk_redis(client, prefix, ["a"])
    await client.rpush(f"{prefix}:a:messages", b"\xff\xfe not utf-8", "[1]", json.dumps(USER))

    with caplog.at_level(logging.WARNING, logger="openai_agents_session.migrate"):
        found = await collect(iter_sdk_redis_sessions(client, key_prefix=prefix))

    assert found["a"].items == [*history("a"), USER]
    assert found["a"].skipped_items == 2
    assert len([r for r in caplog.records if r.name == "openai_agents_session.migrate"]) == 2


async def test_redis_keys_of_another_shape_are_ignored(
    client: redis_asyncio.Redis, prefix: str
) -> None:
    """Our own lists, strings and hashes under the prefix are not SDK sessions."""
    expected = await write_sdk_redis(client, prefix, ["real"])
    await client.rpush(f"{prefix}:plain-list", "{}")
    await client.set(f"{prefix}:fake:messages", "a string, not a list")
    await client.hset(f"{prefix}:lonely", "session_id", "lonely")

    found = await collect(iter_sdk_redis_sessions(client, key_prefix=prefix))

    assert {sid: s.items for sid, s in found.items()} == expected
    assert await count_sdk_redis_sessions(client, key_prefix=prefix) == 1
    selected = iter_sdk_redis_sessions(client, key_prefix=prefix, session_ids=["fake", "real"])
    assert set(await collect(selected)) == {"real"}


async def test_redis_bad_options(client: redis_asyncio.Redis) -> None:
    with pytest.raises(ConfigurationError, match="key_prefix"):
        await collect(iter_sdk_redis_sessions(client, key_prefix=""))
    with pytest.raises(ConfigurationError, match="scan_count"):
        await count_sdk_redis_sessions(client, scan_count=0)
    with pytest.raises(ConfigurationError, match="not one str"):
        await count_sdk_redis_sessions(client, session_ids="abc")


def test_escape_glob() -> None:
    assert escape_glob("a*b?c[d]e\\f:g") == "a\\*b\\?c\\[d\\]e\\\\f:g"


# --------------------------------------------------------------------------------------------
# Redis Cluster
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def cluster(cluster_servers: ClusterServers) -> AsyncIterator[RedisCluster]:
    conn = RedisCluster.from_url(cluster_servers.url, socket_timeout=5)
    await conn.initialize()
    try:
        yield conn
    finally:
        await conn.aclose()


async def write_sdk_layout(
    conn: RedisCluster, prefix: str, session_id: str, items: list[Any], ttl: int | None
) -> None:
    """Append as SDK releases before its transactional writes did: HSET, RPUSH, EXPIRE."""
    meta, messages = f"{prefix}:{session_id}", f"{prefix}:{session_id}:messages"
    now = str(int(time.time()))
    await conn.hset(meta, mapping={"session_id": session_id, "created_at": now, "updated_at": now})
    await conn.rpush(messages, *(json.dumps(item, separators=(",", ":")) for item in items))
    if ttl is not None:
        for key in (meta, messages, f"{prefix}:{session_id}:counter"):
            await conn.expire(key, ttl)


async def test_cluster_sessions_on_every_master_are_found(cluster: RedisCluster) -> None:
    prefix = new_prefix()
    ids = [f"user-{n}" for n in range(40)]
    try:
        with pytest.raises(TypeError, match="RedisCluster"):
            await SdkRedisSession("x", redis_client=cluster, key_prefix=prefix).add_items(TURN)
        for n, sid in enumerate(ids):
            await write_sdk_layout(cluster, prefix, sid, history(sid), ttl=600 if n % 2 else None)
        homes = {cluster.get_node_from_key(f"{prefix}:{sid}:messages").name for sid in ids}
        assert homes == {node.name for node in cluster.get_primaries()}

        found = await collect(iter_sdk_redis_sessions(cluster, key_prefix=prefix, scan_count=5))

        assert set(found) == set(ids)
        for n, sid in enumerate(ids):
            sdk = SdkRedisSession(sid, redis_client=cluster, key_prefix=prefix)
            assert found[sid].items == await sdk.get_items() == history(sid)
            ttl = found[sid].ttl_seconds
            assert (ttl is not None and 590 <= ttl <= 600) if n % 2 else ttl is None
        assert await count_sdk_redis_sessions(cluster, key_prefix=prefix, scan_count=5) == len(ids)
        wanted = ids[:3]
        selected = iter_sdk_redis_sessions(cluster, key_prefix=prefix, session_ids=wanted)
        assert sorted(await collect(selected)) == sorted(wanted)
    finally:
        await delete_under(cluster, prefix)


async def test_cluster_scan_needs_no_prior_initialize(cluster_servers: ClusterServers) -> None:
    """A fresh RedisCluster is initialized by the reader before it lists the primaries."""
    prefix = new_prefix()
    conn = RedisCluster.from_url(cluster_servers.url, socket_timeout=5)
    try:
        await write_sdk_layout(conn, prefix, "only", TURN, ttl=None)
        fresh = RedisCluster.from_url(cluster_servers.url, socket_timeout=5)
        try:
            assert await count_sdk_redis_sessions(fresh, key_prefix=prefix) == 1
        finally:
            await fresh.aclose()
    finally:
        await delete_under(conn, prefix)
        await conn.aclose()


def test_sqlite_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    SQLiteSession("schema", path).close()
    sessions: Iterator[SourceSession] = iter_sqlite_sessions(path)
    assert list(sessions) == []
    assert count_sqlite_sessions(path) == 0
