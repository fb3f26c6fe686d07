"""RedisSessionStore: listing, info, delete, fork, export/import and the owner index."""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from openai_agents_session import (
    RedisSession,
    RedisSessionStore,
    WrongKeyTypeError,
)
from openai_agents_session.redis import SessionRecord
from openai_agents_session.redis._driver import RedisClient
from openai_agents_session.redis._keys import meta_key, session_key

both = pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)


def msg(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


async def fill(client: RedisClient, prefix: str, count: int) -> set[str]:
    """Create ``count`` one-item sessions quickly, straight in the documented list format."""
    ids = {f"s{n:05d}" for n in range(count)}
    pipe = client.pipeline(transaction=False)
    for session_id in ids:
        pipe.rpush(f"{prefix}:{session_id}", b'{"role":"user","content":"x"}')
    await pipe.execute()
    return ids


@both
async def test_list_sessions_is_exact_for_ten_thousand_sessions(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """Every session is listed exactly once, companions and other prefixes never."""
    ids = await fill(redis_client, key_prefix, 10_000)
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    await store.session("s00001", owner="o").add_items([msg("companions exist now")])
    await redis_client.rpush(f"{key_prefix}-sibling:s1", b"{}")
    listed = [session_id async for session_id in store.list_sessions()]
    assert sorted(listed) == sorted(ids)
    assert await store.count_sessions("s0000?") == 10
    await redis_client.delete(f"{key_prefix}-sibling:s1")


@both
async def test_list_sessions_escapes_glob_characters_in_the_prefix(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """A prefix with * ? [ ] lists only its own sessions, not a sibling the glob would match."""
    weird = f"{key_prefix}:a*b[1]?"
    sibling = f"{key_prefix}:aXXb1Z"
    await redis_client.rpush(f"{weird}:mine", b"{}")
    await redis_client.rpush(f"{sibling}:theirs", b"{}")
    store = RedisSessionStore(redis_client, key_prefix=weird)
    assert [session_id async for session_id in store.list_sessions()] == ["mine"]


@standalone
async def test_listing_streams_with_flat_memory(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """Memory while listing does not grow with the number of sessions."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    await fill(redis_client, key_prefix, 20_000)
    tracemalloc.start()
    try:
        seen = 0
        async for _ in store.list_sessions(count=500):
            seen += 1
            if seen == 2_000:
                early_peak = tracemalloc.get_traced_memory()[1]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == 20_000
    assert peak < early_peak * 3 + 2_000_000


@both
async def test_info_location_is_the_list_key_and_size_its_memory(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """location is the session's key; size is MEMORY USAGE; idle time is known."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    session = store.session("u1", ttl=300)
    await session.add_items([msg("a"), msg("b")])
    info = await store.info("u1")
    assert info.location == session.key
    assert info.size_bytes is not None and info.size_bytes > 0
    assert info.idle_seconds is not None and info.idle_seconds >= 0


@both
async def test_delete_leaves_no_companion_behind(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """No metadata, batch-id or owner-index key outlives a deleted session."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    for session_id in ("a", "b"):
        session = store.session(session_id, owner="o", ttl=60)
        await session.add_items([msg(session_id)])
        await session.set_metadata(title=session_id)
    assert await store.delete("a", "b") == 2
    leftovers = [key async for key in redis_client.scan_iter(match=f"*{key_prefix}*")]
    assert leftovers == []


@standalone
async def test_delete_refuses_a_foreign_key(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """A key of another type under the prefix is reported and kept."""
    await redis_client.set(f"{key_prefix}:foreign", "v")
    with pytest.raises(WrongKeyTypeError):
        await RedisSessionStore(redis_client, key_prefix=key_prefix).delete("foreign")
    assert await redis_client.get(f"{key_prefix}:foreign") in (b"v", "v")


@both
@pytest.mark.parametrize("new_id", ["copy", "{tag}copy"])
async def test_fork_within_a_slot_and_across_slots(
    redis_client: RedisClient, key_prefix: str, cleanup: None, new_id: str
) -> None:
    """Same slot (COPY) or not (chunked copy, 2,500 items): the copy is identical."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    source = store.session("{tag}src", ttl=500)
    await source.add_items([msg(str(n)) for n in range(2500)])
    assert await store.fork("{tag}src", new_id) == 2500
    fork = store.session(new_id)
    assert await fork.get_items() == await source.get_items()
    same_slot = key_slot(source.key.encode()) == key_slot(fork.key.encode())
    assert same_slot == (new_id == "{tag}copy")


@standalone
async def test_import_leaves_no_staging_list_behind(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """The staging list an import writes is gone once the session is published."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    assert await store.import_session(SessionRecord("big", [msg(str(n)) for n in range(3500)]))
    keys = {key async for key in redis_client.scan_iter(match=f"{key_prefix}:*")}
    assert {key.decode() if isinstance(key, bytes) else key for key in keys} == {
        session_key(key_prefix, "big"),
        meta_key(key_prefix, "big"),
    }


@both
async def test_concurrent_imports_of_one_session_write_it_once_and_whole(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """Two imports of one session at once (two migrations re-run together): one writes it."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    items = [msg(str(n)) for n in range(2500)]  # three staging chunks each

    written = await asyncio.gather(
        *(store.import_session(SessionRecord("big", items)) for _ in range(2))
    )

    assert sorted(written) == [False, True]
    assert await store.session("big").get_items() == items


@both
async def test_owner_sessions_pages_newest_first_and_drops_vanished_sessions(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """Pagination follows updated_at; entries of deleted or expired sessions are cleaned."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    for n in range(6):
        await store.session(f"chat-{n}", owner="ada").add_items([msg(str(n))])
    await store.session("chat-1", owner="ada").add_items([msg("again")])
    first_page = await store.owner_sessions("ada", count=3)
    assert [entry.session_id for entry in first_page] == ["chat-1", "chat-5", "chat-4"]
    second_page = await store.owner_sessions("ada", offset=3, count=3)
    assert [entry.session_id for entry in second_page] == ["chat-3", "chat-2", "chat-0"]
    await redis_client.delete(store.session("chat-5").key)  # vanished behind the index's back
    assert [e.session_id for e in await store.owner_sessions("ada", count=2)] == [
        "chat-1",
        "chat-4",
    ]


async def test_store_from_url_owns_its_client(standalone_server: Any, key_prefix: str) -> None:
    """from_url builds a client that close() releases."""
    async with RedisSessionStore.from_url(standalone_server.url, key_prefix=key_prefix) as store:
        await store.session("s").add_items([msg("a")])
        assert [session_id async for session_id in store.list_sessions()] == ["s"]
        await store.delete("s")


def test_sessions_built_by_the_store_share_client_and_prefix(redis_client: RedisClient) -> None:
    """store.session() is a RedisSession with the store's prefix and client."""
    store = RedisSessionStore(redis_client, key_prefix="p")
    session = store.session("x", ttl=5)
    assert isinstance(session, RedisSession)
    assert (session.key, session.ttl, session._client) == ("p:x", 5, redis_client)
    assert isinstance(redis_client, RedisCluster) == store._is_cluster


@standalone
async def test_info_reports_idle_time_before_touching_the_session(
    redis_client: RedisClient, key_prefix: str, cleanup: None
) -> None:
    """idle_seconds is how long the session was left alone, not reset by info() itself."""
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    await store.session("idle").add_items([msg("a")])
    await asyncio.sleep(2.1)  # OBJECT IDLETIME counts whole seconds
    assert ((await store.info("idle")).idle_seconds or 0) >= 2
