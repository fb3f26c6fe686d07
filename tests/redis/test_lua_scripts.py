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
    """list, batch ids, metadata, owner index."""
    base = f"{key_prefix}:s"
    return [base, f"{{{base}}}:batches", f"{{{base}}}:meta", f"{{{key_prefix}:owner:o}}:index"]


def args(ttl: int, batch: str, *items: bytes, max_items: int = 0) -> list[object]:
    return [ttl, batch, max_items, "s", "", *items]


async def test_add_items_appends_in_order_and_sets_ttls(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """ARGV[6..] appended in order; list and metadata get the TTL, batch ids min(TTL, 600)."""
    script = client.register_script(load_script("add_items"))
    items = [f"item-{i}".encode() for i in range(2345)]
    assert await script(keys=keys[:3], args=args(30, "b1", *items)) == [1, 2345]
    assert await client.lrange(keys[0], 0, -1) == items
    for key in keys[:3]:
        assert 25 <= await client.ttl(key) <= 30
    assert await client.lrange(keys[1], 0, -1) == [b"b1"]
    await client.delete(*keys)


async def test_add_items_keeps_created_at_and_advances_updated_at(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """created_at is set once; updated_at moves with every append; both are server time."""
    script = client.register_script(load_script("add_items"))
    before = time.time()
    await script(keys=keys[:3], args=args(0, "b1", b"a"))
    first = await client.hgetall(keys[2])
    await script(keys=keys[:3], args=args(0, "b2", b"b"))
    second = await client.hgetall(keys[2])
    assert first[b"created_at"] == second[b"created_at"]
    assert float(second[b"updated_at"]) >= float(first[b"updated_at"]) >= before - 1
    assert await client.ttl(keys[2]) == -1
    await client.delete(*keys)


async def test_add_items_updates_the_owner_index(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """With KEYS[4], the session id is scored by updated_at in the owner's index."""
    script = client.register_script(load_script("add_items"))
    await script(keys=keys, args=[60, "b1", 0, "s", "o", b"a"])
    assert await client.hget(keys[2], "owner") == b"o"
    score = await client.zscore(keys[3], "s")
    assert score == pytest.approx(float(await client.hget(keys[2], "updated_at")))
    assert 55 <= await client.ttl(keys[3]) <= 60
    await client.delete(*keys)


async def test_add_items_skips_a_batch_id_it_has_applied(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """The same batch id again changes nothing and returns {0, length}."""
    script = client.register_script(load_script("add_items"))
    assert await script(keys=keys[:3], args=args(0, "b1", b"a", b"b")) == [1, 2]
    assert await script(keys=keys[:3], args=args(0, "b1", b"a", b"b")) == [0, 2]
    assert await script(keys=keys[:3], args=args(0, "b2", b"a", b"b")) == [1, 4]
    await client.delete(*keys)


async def test_add_items_remembers_a_bounded_number_of_batch_ids(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """Only the newest 128 batch ids are kept, for 600 seconds when there is no TTL."""
    script = client.register_script(load_script("add_items"))
    for i in range(130):
        await script(keys=keys[:3], args=args(0, f"b{i}", b"x"))
    remembered = await client.lrange(keys[1], 0, -1)
    assert len(remembered) == 128
    assert (remembered[0], remembered[-1]) == (b"b129", b"b2")
    assert await client.ttl(keys[0]) == -1
    assert 590 <= await client.ttl(keys[1]) <= 600
    await client.delete(*keys)


def item(kind: str, n: int) -> bytes:
    return json.dumps({"type": kind, "n": n}).encode()


async def test_add_items_trims_to_max_items_without_orphaning_outputs(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """The oldest kept item is never a *_output: outputs whose call is trimmed go too."""
    script = client.register_script(load_script("add_items"))
    history = [
        item("message", 0),
        item("function_call", 1),
        item("function_call_output", 2),
        item("custom_tool_call_output", 3),
        item("message", 4),
        item("message", 5),
    ]
    # Keeping 5 starts at the call: fine.
    assert await script(keys=keys[:3], args=args(0, "b1", *history, max_items=5)) == [1, 5]
    assert await client.lrange(keys[0], 0, -1) == history[1:]
    await client.delete(*keys)
    # Keeping 4 would start at an output whose call is trimmed: both outputs go too.
    assert await script(keys=keys[:3], args=args(0, "b2", *history, max_items=4)) == [1, 2]
    assert await client.lrange(keys[0], 0, -1) == history[4:]
    await client.delete(*keys)
    assert await script(keys=keys[:3], args=args(0, "b3", *history, max_items=6)) == [1, 6]
    await client.delete(*keys)


async def test_add_items_max_items_tolerates_items_that_are_not_json(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """A corrupt boundary item is kept, not a reason to fail or to trim more."""
    script = client.register_script(load_script("add_items"))
    assert await script(keys=keys[:3], args=args(0, "b1", b"x", b"{bad", b"y", max_items=2)) == [
        1,
        2,
    ]
    assert await client.lrange(keys[0], 0, -1) == [b"{bad", b"y"]
    await client.delete(*keys)


async def test_add_items_refuses_a_foreign_key_untouched(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """On a hash, the script fails with WRONGTYPE and writes nothing at all."""
    script = client.register_script(load_script("add_items"))
    await client.hset(keys[0], "f", "v")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        await script(keys=keys, args=args(30, "b1", b"a"))
    assert await client.ttl(keys[0]) == -1
    assert await client.hgetall(keys[0]) == {b"f": b"v"}
    assert await client.exists(*keys[1:]) == 0
    await client.delete(*keys)


async def test_clear_session_script(client: redis_asyncio.Redis, keys: list[str]) -> None:
    """Deletes list and companions (1), ignores a missing list (0), refuses any other type."""
    script = client.register_script(load_script("clear_session"))
    await client.rpush(keys[0], b"a")
    await client.lpush(keys[1], b"b1")
    await client.hset(keys[2], "created_at", "1")
    await client.zadd(keys[3], {"s": 1, "other": 2})
    assert await script(keys=keys, args=["s"]) == 1
    assert await client.exists(*keys[:3]) == 0
    assert await client.zrange(keys[3], 0, -1) == [b"other"]
    assert await script(keys=keys[:3], args=["s"]) == 0
    await client.set(keys[0], "v")
    await client.lpush(keys[1], b"b1")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE string"):
        await script(keys=keys[:3], args=["s"])
    assert await client.get(keys[0]) == b"v"
    assert await client.exists(keys[1]) == 1
    await client.delete(*keys)


async def test_set_metadata_script(client: redis_asyncio.Redis, keys: list[str]) -> None:
    """Sets and deletes fields, keeps created_at, applies the TTL, returns the previous owner."""
    script = client.register_script(load_script("set_metadata"))
    assert await script(keys=[keys[2]], args=[60, "title", "Trip", "owner", "ada"]) is None
    created = await client.hget(keys[2], "created_at")
    assert await script(keys=[keys[2]], args=[60, "owner", "bob", "title", ""]) == b"ada"
    fields = await client.hgetall(keys[2])
    assert fields == {b"created_at": created, b"owner": b"bob"}
    assert 55 <= await client.ttl(keys[2]) <= 60
    await client.delete(*keys)
