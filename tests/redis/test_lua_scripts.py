"""Each Lua script, called directly."""

from __future__ import annotations

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
    return [f"{key_prefix}:s", f"{{{key_prefix}:s}}:batches"]


async def test_add_items_appends_in_order_and_sets_ttls(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """ARGV[5..] are appended in order, the list gets ARGV[1], the batch ids min(ARGV[1], [3])."""
    script = client.register_script(load_script("add_items"))
    items = [f"item-{i}".encode() for i in range(2345)]
    assert await script(keys=keys, args=[30, "b1", 600, 128, *items]) == [1, 2345]
    assert await client.lrange(keys[0], 0, -1) == items
    assert 25 <= await client.ttl(keys[0]) <= 30
    assert await client.lrange(keys[1], 0, -1) == [b"b1"]
    assert 25 <= await client.ttl(keys[1]) <= 30
    await client.delete(*keys)


async def test_add_items_skips_a_batch_id_it_has_applied(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """The same batch id again changes nothing and returns {0, length}."""
    script = client.register_script(load_script("add_items"))
    assert await script(keys=keys, args=[0, "b1", 600, 128, b"a", b"b"]) == [1, 2]
    assert await script(keys=keys, args=[0, "b1", 600, 128, b"a", b"b"]) == [0, 2]
    assert await script(keys=keys, args=[0, "b2", 600, 128, b"a", b"b"]) == [1, 4]
    await client.delete(*keys)


async def test_add_items_remembers_a_bounded_number_of_batch_ids(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """Only the newest ARGV[4] batch ids are kept, for ARGV[3] seconds when there is no TTL."""
    script = client.register_script(load_script("add_items"))
    for i in range(5):
        await script(keys=keys, args=[0, f"b{i}", 600, 3, b"x"])
    assert await client.lrange(keys[1], 0, -1) == [b"b4", b"b3", b"b2"]
    assert await client.ttl(keys[0]) == -1
    assert 590 <= await client.ttl(keys[1]) <= 600
    await client.delete(*keys)


async def test_add_items_refuses_a_foreign_key_untouched(
    client: redis_asyncio.Redis, keys: list[str]
) -> None:
    """On a hash, the script fails with WRONGTYPE and writes nothing at all."""
    script = client.register_script(load_script("add_items"))
    await client.hset(keys[0], "f", "v")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        await script(keys=keys, args=[30, "b1", 600, 128, b"a"])
    assert await client.ttl(keys[0]) == -1
    assert await client.hgetall(keys[0]) == {b"f": b"v"}
    assert await client.exists(keys[1]) == 0
    await client.delete(*keys)


async def test_clear_session_script(client: redis_asyncio.Redis, keys: list[str]) -> None:
    """Deletes list and batch ids (1), ignores a missing list (0), refuses any other type."""
    script = client.register_script(load_script("clear_session"))
    await client.rpush(keys[0], b"a")
    await client.lpush(keys[1], b"b1")
    assert await script(keys=keys) == 1
    assert await client.exists(*keys) == 0
    assert await script(keys=keys) == 0
    await client.set(keys[0], "v")
    await client.lpush(keys[1], b"b1")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE string"):
        await script(keys=keys)
    assert await client.get(keys[0]) == b"v"
    assert await client.exists(keys[1]) == 1
    await client.delete(*keys)
