"""Each Lua script, called directly."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from servers import RedisServer

from openai_agents_session.redis._scripts import load_script


@pytest.fixture
async def client(standalone_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    async with redis_asyncio.from_url(standalone_server.url) as conn:
        yield conn


@pytest.fixture
def keys(key_prefix: str) -> list[str]:
    """list, companion hash, owner index."""
    return [f"{key_prefix}:s", f"{key_prefix}:~m{{{key_prefix}:s}}s", f"{key_prefix}:~o:o"]


def args(ttl: int, batch: str, *items: bytes, max_items: int = 0, mode: str = "a") -> list[object]:
    return [ttl, max_items, mode, "", batch, *items]


async def test_write_items_appends_in_order_and_sets_ttls(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """ARGV[6..] appended in order; list and companion get the TTL; returns the length."""
    script = client.register_script(load_script("write_items"))
    items = [f"item-{i}".encode() for i in range(2345)]
    assert await script(keys=keys[:2], args=args(30, "b1", *items)) == 2345
    assert await client.lrange(keys[0], 0, -1) == items
    for key in keys[:2]:
        assert 25 <= await client.ttl(key) <= 30
    assert (await client.hget(keys[1], "b") or b"").endswith(b"\tb1\n")
    await client.delete(*keys)


async def test_write_items_keeps_created_at_and_advances_updated_at(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """c is the first write's u, set once; u moves with every append; server time in µs."""
    script = client.register_script(load_script("write_items"))
    before = time.time()
    await script(keys=keys[:2], args=args(0, "b1", b"a"))
    first = await client.hgetall(keys[1])
    await script(keys=keys[:2], args=args(0, "b2", b"b"))
    second = await client.hgetall(keys[1])
    assert b"c" not in first  # equal to u until the next write
    assert second[b"c"] == first[b"u"]
    assert int(second[b"u"]) >= int(first[b"u"]) >= (before - 1) * 1e6
    assert await client.ttl(keys[1]) == -1
    await client.delete(*keys)


async def test_write_items_updates_the_owner_index_and_never_shortens_it(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """With KEYS[3], the id is scored by u; the index keeps the longest TTL, or none."""
    script = client.register_script(load_script("write_items"))
    await script(keys=keys, args=[60, 0, "a", "o", "b1", "s", b"a"])
    assert await client.hget(keys[1], "owner") == b"o"
    score = await client.zscore(keys[2], "s")
    assert score == pytest.approx(int(await client.hget(keys[1], "u")) / 1e6)
    assert 55 <= await client.ttl(keys[2]) <= 60
    await script(keys=keys, args=[5, 0, "a", "o", "b2", "s2", b"a"])
    assert 55 <= await client.ttl(keys[2]) <= 60
    await script(keys=keys, args=[0, 0, "a", "o", "b3", "s3", b"a"])
    assert await client.ttl(keys[2]) == -1
    await script(keys=keys, args=[5, 0, "a", "o", "b4", "s4", b"a"])
    assert await client.ttl(keys[2]) == -1
    await client.delete(*keys)


async def test_write_items_skips_a_batch_id_it_has_applied(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """The same batch id again changes nothing and returns -1."""
    script = client.register_script(load_script("write_items"))
    assert await script(keys=keys[:2], args=args(0, "b1", b"a", b"b")) == 2
    assert await script(keys=keys[:2], args=args(0, "b1", b"a", b"b")) == -1
    assert await script(keys=keys[:2], args=args(0, "b2", b"a", b"b")) == 4
    assert await script(keys=keys[:2], args=args(0, "b2", b"z", mode="r")) == -1
    assert await script(keys=keys[:2], args=args(0, "b", b"a")) == 5  # not a prefix match
    await client.delete(*keys)


async def test_write_items_remembers_batch_ids_within_a_byte_budget(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """The newest ids are kept in at most 4 KiB; the oldest beyond it are forgotten."""
    script = client.register_script(load_script("write_items"))
    for i in range(300):
        await script(keys=keys[:2], args=args(0, f"batch-{i:04d}", b"x"))
    remembered = (await client.hget(keys[1], "b") or b"").decode()
    assert len(remembered) <= 4096
    lines = remembered.splitlines()
    assert lines[-1].endswith("\tbatch-0299")
    assert len(lines) > 128
    oldest = int(lines[0].rpartition("-")[2])
    assert await script(keys=keys[:2], args=args(0, f"batch-{oldest:04d}", b"x")) == -1
    assert await script(keys=keys[:2], args=args(0, f"batch-{oldest - 1:04d}", b"x")) == 301
    assert await client.ttl(keys[0]) == -1
    await client.delete(*keys)


async def test_write_items_forgets_batch_ids_older_than_ten_minutes(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """An id recorded more than 600 s ago is dropped by the next write."""
    script = client.register_script(load_script("write_items"))
    now = int(time.time())
    old = f"{now - 700}\told-1\n{now - 650}\told-2\n{now - 10}\trecent\n"
    await client.hset(keys[1], mapping={"c": "1", "u": "1", "b": old})
    assert await script(keys=keys[:2], args=args(0, "new", b"x")) == 1
    remembered = (await client.hget(keys[1], "b") or b"").decode()
    assert "old-" not in remembered
    assert "\trecent\n" in remembered and remembered.endswith("\tnew\n")
    await client.delete(*keys)


def item(kind: str, n: int) -> bytes:
    return json.dumps({"type": kind, "n": n}).encode()


async def test_write_items_trims_to_max_items_without_orphaning_outputs(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """The oldest kept item is never a *_output: outputs whose call is trimmed go too."""
    script = client.register_script(load_script("write_items"))
    history = [
        item("message", 0),
        item("function_call", 1),
        item("function_call_output", 2),
        item("custom_tool_call_output", 3),
        item("message", 4),
        item("message", 5),
    ]
    # Keeping 5 starts at the call: fine.
    assert await script(keys=keys[:2], args=args(0, "b1", *history, max_items=5)) == 5
    assert await client.lrange(keys[0], 0, -1) == history[1:]
    await client.delete(*keys)
    # Keeping 4 would start at an output whose call is trimmed: both outputs go too.
    assert await script(keys=keys[:2], args=args(0, "b2", *history, max_items=4)) == 2
    assert await client.lrange(keys[0], 0, -1) == history[4:]
    await client.delete(*keys)
    assert await script(keys=keys[:2], args=args(0, "b3", *history, max_items=6)) == 6
    await client.delete(*keys)


async def test_write_items_max_items_tolerates_items_that_are_not_json(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """A corrupt boundary item is kept, not a reason to fail or to trim more."""
    script = client.register_script(load_script("write_items"))
    assert await script(keys=keys[:2], args=args(0, "b1", b"x", b"{bad", b"y", max_items=2)) == 2
    assert await client.lrange(keys[0], 0, -1) == [b"{bad", b"y"]
    await client.delete(*keys)


async def test_write_items_refuses_a_foreign_key_untouched(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """On a hash, appending and replacing fail with WRONGTYPE and write nothing at all."""
    script = client.register_script(load_script("write_items"))
    await client.hset(keys[0], "f", "v")
    for mode in ("a", "r"):
        with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
            await script(keys=keys, args=[30, 0, mode, "o", "b1", "s", b"a"])
        assert await client.ttl(keys[0]) == -1
        assert await client.hgetall(keys[0]) == {b"f": b"v"}
        assert await client.exists(*keys[1:]) == 0
    await client.delete(*keys)


async def test_write_items_replace_swaps_the_list_and_keeps_the_companion(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """Mode "r" replaces the items, keeps c and user fields; no items clears everything."""
    script = client.register_script(load_script("write_items"))
    await script(keys=keys, args=[60, 0, "a", "o", "b1", "s", b"a", b"b", b"c"])
    await client.hset(keys[1], "title", "Trip")
    created = await client.hget(keys[1], "u")
    assert await script(keys=keys, args=[60, 0, "r", "o", "b2", "s", b"z"]) == 1
    assert await client.lrange(keys[0], 0, -1) == [b"z"]
    assert await client.hmget(keys[1], "c", "title") == [created, b"Trip"]
    assert await script(keys=keys, args=[60, 0, "r", "o", "b3", "s"]) == 0
    assert await client.exists(keys[0], keys[1]) == 0
    assert await client.zscore(keys[2], "s") is None
    await client.delete(*keys)


async def test_pop_item_script_removes_the_companion_with_the_last_item(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """RPOP; once the list is empty the companion and the index entry go too."""
    script = client.register_script(load_script("pop_item"))
    await client.rpush(keys[0], b"a", b"b")
    await client.hset(keys[1], "c", "1")
    await client.zadd(keys[2], {"s": 1, "other": 2})
    assert await script(keys=keys, args=["s"]) == b"b"
    assert await client.exists(keys[1]) == 1
    assert await script(keys=keys, args=["s"]) == b"a"
    assert await client.exists(keys[0], keys[1]) == 0
    assert await client.zrange(keys[2], 0, -1) == [b"other"]
    assert await script(keys=keys, args=["s"]) is None
    await client.delete(*keys)


async def test_index_session_script_extends_and_never_shortens(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """A given score is used; the index's TTL only grows, and a TTL-less session keeps it."""
    script = client.register_script(load_script("index_session"))
    assert await script(keys=[keys[2]], args=["s1", 60, "123.5"]) == 1
    assert await client.zscore(keys[2], "s1") == 123.5
    assert 55 <= await client.ttl(keys[2]) <= 60
    await script(keys=[keys[2]], args=["s2", 5, ""])
    assert 55 <= await client.ttl(keys[2]) <= 60
    assert (await client.zscore(keys[2], "s2") or 0) >= time.time() - 5
    await script(keys=[keys[2]], args=["s3", 0, ""])
    assert await client.ttl(keys[2]) == -1
    await client.delete(*keys)


async def test_clear_session_script(client: redis_asyncio.Redis, keys: list[str]) -> None:
    """Deletes list and companion (1), ignores a missing list (0), refuses any other type."""
    script = client.register_script(load_script("clear_session"))
    await client.rpush(keys[0], b"a")
    await client.hset(keys[1], "c", "1")
    await client.zadd(keys[2], {"s": 1, "other": 2})
    assert await script(keys=keys, args=["s"]) == 1
    assert await client.exists(*keys[:2]) == 0
    assert await client.zrange(keys[2], 0, -1) == [b"other"]
    assert await script(keys=keys[:2], args=["s"]) == 0
    await client.set(keys[0], "v")
    await client.hset(keys[1], "c", "1")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE string"):
        await script(keys=keys[:2], args=["s"])
    assert await client.get(keys[0]) == b"v"
    assert await client.exists(keys[1]) == 1
    await client.delete(*keys)


async def test_set_metadata_script(client: redis_asyncio.Redis, keys: list[str]) -> None:
    """Sets and deletes fields, keeps c, applies the TTL, returns the previous owner."""
    script = client.register_script(load_script("set_metadata"))
    meta = keys[1]
    assert await script(keys=[meta, keys[0]], args=[60, "title", "Trip", "owner", "ada"]) is None
    created = await client.hget(meta, "c")
    assert await script(keys=[meta, keys[0]], args=[60, "owner", "bob", "title", ""]) == b"ada"
    fields = await client.hgetall(meta)
    assert fields == {b"c": created, b"owner": b"bob"}
    assert 55 <= await client.ttl(meta) <= 60
    await client.delete(*keys)


async def test_set_metadata_script_follows_the_lists_expiry_without_a_ttl(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """With no TTL of its own, a new companion expires with the list it describes."""
    script = client.register_script(load_script("set_metadata"))
    await client.rpush(keys[0], b"a")
    await client.expire(keys[0], 50)
    await script(keys=[keys[1], keys[0]], args=[0, "title", "t"])
    assert 45 <= await client.ttl(keys[1]) <= 50
    await client.delete(*keys)


async def test_publish_session_renames_the_staging_list_and_returns_the_replaced_owner(
    client: redis_asyncio.Redis, keys: list[str], key_prefix: str
) -> None:
    """The staged list becomes the session; the replaced session's owner is returned."""
    script = client.register_script(load_script("publish_session"))
    staging = f"{key_prefix}:~s{{{key_prefix}:s}}x"
    session_keys = [staging, *keys[:2]]
    await client.rpush(staging, b"a", b"b")
    assert await script(keys=session_keys, args=["0", 0, "owner", "zoe"]) == [2, None]
    await client.rpush(staging, b"c")
    assert await script(keys=session_keys, args=["0", 0]) == [-1, None]
    assert await client.exists(staging) == 0
    await client.rpush(staging, b"c")
    assert await script(keys=session_keys, args=["1", 60, "owner", "ada"]) == [1, b"zoe"]
    assert await client.lrange(keys[0], 0, -1) == [b"c"]
    assert await client.hget(keys[1], "owner") == b"ada"
    assert 55 <= await client.ttl(keys[0]) <= 60
    assert await script(keys=session_keys, args=["1", 0]) == [0, b"ada"]
    assert await client.exists(*keys[:2]) == 0
