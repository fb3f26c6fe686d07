"""Every key under the prefix, an owner index that never lies, no companion outliving its data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redis.crc import key_slot

from openai_agents_session import ConfigurationError, RedisSession
from openai_agents_session.redis import RedisSessionStore
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]
ITEM = {"role": "user", "content": "hi"}


def text(key: bytes | str) -> str:
    return key.decode() if isinstance(key, bytes) else key


async def all_keys(client: RedisClient, key_prefix: str) -> list[str]:
    """Every key on the server whose name contains the test's prefix."""
    return sorted({text(key) async for key in client.scan_iter(match=f"*{key_prefix}*")})


@pytest.mark.parametrize(
    "session_id", ["user-1", "{team}:chat", "a}b", "{}x{y}", "x{", "p:{t}", "é{ü}"]
)
async def test_every_key_of_a_session_starts_with_the_prefix_and_shares_its_slot(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str, session_id: str
) -> None:
    """Appends, metadata, the owner index and staging keys all sit under `prefix:`."""
    session = new_session(session_id, ttl=60, owner="ada", max_items=5)
    await session.set_metadata(title="t", tags=["x"])
    await session.add_items([ITEM, ITEM])
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    await store.fork(session_id, session_id + "-fork")
    keys = await all_keys(redis_client, key_prefix)
    assert keys and all(key.startswith(f"{key_prefix}:") for key in keys), keys
    list_slot = key_slot(session.key.encode())
    companions = [key for key in keys if key.startswith(f"{key_prefix}:~m")]
    assert any(key_slot(key.encode()) == list_slot for key in companions)


async def test_ids_in_the_reserved_form_are_refused(
    redis_client: RedisClient, key_prefix: str
) -> None:
    """An id starting with '~' would name a companion key: refused before anything is sent."""
    with pytest.raises(ConfigurationError, match="~"):
        RedisSession("~m{1}x", redis_client, key_prefix=key_prefix)


async def test_the_owners_index_lives_as_long_as_its_longest_session(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """A later, shorter TTL never shortens the index's life."""
    await new_session("long", ttl=3600, owner="bob").add_items([ITEM])
    await new_session("short", ttl=5, owner="bob").add_items([ITEM])
    index = [key for key in await all_keys(redis_client, key_prefix) if "~o" in key]
    assert len(index) == 1
    assert await redis_client.ttl(index[0]) > 3000


async def test_popping_the_last_item_removes_every_companion(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """A TTL-less session popped empty leaves no metadata behind."""
    session = new_session("u", owner="ada")
    await session.set_metadata(title="t")
    await session.add_items([ITEM, ITEM])
    assert await session.pop_item() == ITEM
    assert await session.pop_item() == ITEM
    assert await session.pop_item() is None
    keys = await all_keys(redis_client, key_prefix)
    assert [key for key in keys if "~o" not in key] == []


async def test_batch_ids_live_in_the_metadata_companion(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """One companion per session: a one-turn session has two keys, list and companion."""
    await new_session("u", ttl=60).add_items([ITEM, ITEM])
    assert len(await all_keys(redis_client, key_prefix)) == 2


async def test_metadata_shares_the_ttl_and_is_cleared_with_the_session(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """The metadata companion expires with the list and clear_session removes it."""
    session = new_session(ttl=60)
    await session.add_items([ITEM])
    assert 0 < await redis_client.ttl(session._meta_key) <= 60
    await session.clear_session()
    assert await redis_client.exists(session._meta_key) == 0
