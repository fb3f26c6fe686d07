"""Each Lua script, called directly."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from servers import RedisServer

from openai_agents_session.redis._scripts import load_script


@pytest.fixture
async def client(standalone_server: RedisServer) -> redis_asyncio.Redis:
    async with redis_asyncio.from_url(standalone_server.url) as conn:
        yield conn


async def test_add_items_script_appends_in_order_and_sets_ttl(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    """KEYS[1] gets ARGV[2..] appended in order, the TTL ARGV[1], and the length returned."""
    script = client.register_script(load_script("add_items"))
    key = f"{key_prefix}:s"
    items = [f"item-{i}".encode() for i in range(2345)]
    assert await script(keys=[key], args=[30, *items]) == 2345
    assert await client.lrange(key, 0, -1) == items
    assert 25 <= await client.ttl(key) <= 30
    await client.delete(key)


async def test_add_items_script_with_ttl_zero_leaves_expiry_alone(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    """ARGV[1] = 0 does not touch the expiry."""
    script = client.register_script(load_script("add_items"))
    key = f"{key_prefix}:s"
    assert await script(keys=[key], args=[0, b"a"]) == 1
    assert await client.ttl(key) == -1
    await client.delete(key)


async def test_add_items_script_refuses_a_foreign_key_untouched(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    """On a hash, the script fails with WRONGTYPE and leaves the hash and its TTL as they were."""
    script = client.register_script(load_script("add_items"))
    key = f"{key_prefix}:h"
    await client.hset(key, "f", "v")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        await script(keys=[key], args=[30, b"a"])
    assert await client.ttl(key) == -1
    assert await client.hgetall(key) == {b"f": b"v"}
    await client.delete(key)


async def test_clear_session_script(client: redis_asyncio.Redis, key_prefix: str) -> None:
    """Deletes a list (1), ignores a missing key (0), refuses any other type with WRONGTYPE."""
    script = client.register_script(load_script("clear_session"))
    key = f"{key_prefix}:l"
    await client.rpush(key, b"a")
    assert await script(keys=[key]) == 1
    assert await script(keys=[key]) == 0
    await client.set(key, "v")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE string"):
        await script(keys=[key])
    assert await client.get(key) == b"v"
    await client.delete(key)
