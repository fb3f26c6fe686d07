"""Metadata, bounded history and the owner's index, on every topology."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from openai_agents_session import ConfigurationError, RedisSession
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


def message(n: int) -> dict[str, Any]:
    return {"role": "user", "content": f"m{n}"}


def call(n: int) -> dict[str, Any]:
    return {"type": "function_call", "call_id": f"c{n}", "name": "f", "arguments": "{}"}


def output(n: int) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": f"c{n}", "output": "ok"}


async def test_created_at_is_set_once_and_updated_at_advances(new_session: NewSession) -> None:
    """created_at is the first append's time; updated_at follows every append."""
    session = new_session(ttl=60)
    assert (await session.get_metadata()).created_at is None
    before = time.time()
    await session.add_items([message(1)])
    first = await session.get_metadata()
    await session.add_items([message(2)])
    second = await session.get_metadata()
    assert first.created_at is not None and first.created_at >= before - 1
    assert second.created_at == first.created_at
    assert second.updated_at is not None and first.updated_at is not None
    assert second.updated_at >= first.updated_at


async def test_user_fields_are_set_kept_and_removed(new_session: NewSession) -> None:
    """Omitted fields stay, None removes one, tags round-trip."""
    session = new_session(ttl=60)
    await session.set_metadata(title="Trip to Rome", tags=["travel", "it"], owner="ada")
    await session.add_items([message(1)])
    await session.set_metadata(title=None)
    metadata = await session.get_metadata()
    assert (metadata.title, metadata.owner, metadata.tags) == (None, "ada", ("travel", "it"))
    assert metadata.created_at is not None


async def test_metadata_shares_the_ttl_and_is_cleared_with_the_session(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """The metadata hash expires with the list and clear_session removes it."""
    session = new_session(ttl=60)
    await session.add_items([message(1)])
    assert 0 < await redis_client.ttl(session._meta_key) <= 60
    await session.clear_session()
    assert await redis_client.exists(session._meta_key) == 0
    assert (await session.get_metadata()).created_at is None


@pytest.mark.parametrize("bad", [{"title": 5}, {"owner": ""}, {"tags": ["ok", 3]}])
async def test_bad_metadata_values_are_refused(new_session: NewSession, bad: Any) -> None:
    """Wrong types raise ConfigurationError before anything is written."""
    with pytest.raises(ConfigurationError):
        await new_session().set_metadata(**bad)


async def test_max_items_keeps_the_newest(new_session: NewSession) -> None:
    """The append trims the oldest items beyond max_items, in the same round trip."""
    session = new_session(max_items=3)
    for n in range(5):
        await session.add_items([message(n)])
    assert await session.get_items() == [message(2), message(3), message(4)]
    assert await session.get_items(limit=2) == [message(3), message(4)]


async def test_max_items_never_orphans_a_tool_output(new_session: NewSession) -> None:
    """Trimming that would start at an output drops the output with its call."""
    session = new_session(max_items=2)
    await session.add_items([message(0), call(1), output(1), message(2)])
    assert await session.get_items() == [message(2)]
    await session.add_items([call(3), output(3)])
    assert await session.get_items() == [call(3), output(3)]


@pytest.mark.parametrize("max_items", [0, -1, 2.5, True])
def test_invalid_max_items_is_refused(redis_client: RedisClient, max_items: object) -> None:
    """max_items must be a positive int or None."""
    with pytest.raises(ConfigurationError, match="max_items"):
        RedisSession("s", redis_client, max_items=max_items)  # type: ignore[arg-type]


async def test_owner_index_lists_sessions_newest_first(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """Each append moves the session to the top of its owner's index; clear removes it."""
    from openai_agents_session.redis._keys import owner_index_key

    index = owner_index_key(key_prefix, "ada")
    first, second = new_session("a", owner="ada"), new_session("b", owner="ada")
    await first.add_items([message(1)])
    await second.add_items([message(2)])
    assert await redis_client.zrevrange(index, 0, -1) in ([b"b", b"a"], ["b", "a"])
    await first.add_items([message(3)])
    assert await redis_client.zrevrange(index, 0, -1) in ([b"a", b"b"], ["a", "b"])
    await first.clear_session()
    assert await redis_client.zrevrange(index, 0, -1) in ([b"b"], ["b"])
    await redis_client.delete(index)


async def test_changing_the_owner_moves_the_session_between_indexes(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """set_metadata(owner=...) removes it from the old owner's index and adds it to the new."""
    from openai_agents_session.redis._keys import owner_index_key

    session = new_session("s", owner="ada")
    await session.add_items([message(1)])
    assert (await session.get_metadata()).owner == "ada"
    await session.set_metadata(owner="bob")
    assert session.owner == "bob"
    assert await redis_client.zcard(owner_index_key(key_prefix, "ada")) == 0
    assert await redis_client.zcard(owner_index_key(key_prefix, "bob")) == 1
    await redis_client.delete(owner_index_key(key_prefix, "bob"))
