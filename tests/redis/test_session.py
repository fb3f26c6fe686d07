"""What RedisSession writes to Redis and how it treats keys it did not write, on every topology.

The behaviour every backend promises is in tests/contract; this is the Redis side of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from openai_agents_session import (
    RedisSession,
    WrongKeyTypeError,
)
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


async def test_storage_is_one_list_of_json_documents(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """The key is "{prefix}:{id}" and holds a LIST of one JSON object per item, oldest first."""
    session = new_session("user-123")
    await session.add_items([user("Hello"), {"role": "assistant", "content": "Hi there!"}])
    assert session._key == f"{key_prefix}:user-123"
    assert await redis_client.type(session._key) in (b"list", "list")
    raw = await redis_client.lrange(session._key, 0, -1)
    assert [bytes(x, "utf-8") if isinstance(x, str) else x for x in raw] == [
        b'{"role":"user","content":"Hello"}',
        b'{"role":"assistant","content":"Hi there!"}',
    ]


async def test_default_key_prefix_matches_the_spec(redis_client: RedisClient) -> None:
    """Without key_prefix, the key is "openai_agents_session:{session_id}"."""
    session = RedisSession("user-123", redis_client)
    assert session._key == "openai_agents_session:user-123"


async def test_list_key_is_the_prefix_and_the_id_verbatim() -> None:
    """Glob characters, colons, braces, unicode and newlines go into the key unchanged."""
    client = redis_asyncio.Redis(port=1)  # never reached: building a key sends nothing
    for session_id in ["a*b?[c]", "x:y:z", "{tag}", "ünï-😀", "line\nbreak", "a}b", "{}x{y}"]:
        assert RedisSession(session_id, client, key_prefix="p").key == f"p:{session_id}"
    await client.aclose()


@pytest.mark.parametrize("foreign", ["hash", "string", "zset"])
async def test_wrong_type_key_is_reported_and_left_untouched(
    new_session: NewSession, redis_client: RedisClient, foreign: str
) -> None:
    """Every operation on a key of another type raises WrongKeyTypeError and changes nothing."""
    session = new_session(ttl=3600)
    key = session._key
    if foreign == "hash":
        await redis_client.hset(key, "field", "value")
    elif foreign == "string":
        await redis_client.set(key, "value")
    else:
        await redis_client.zadd(key, {"member": 1})
    await redis_client.expire(key, 500)
    before = await redis_client.dump(key)

    for operation in (
        session.add_items([user("x")]),
        session.get_items(),
        session.get_items(limit=3),
        session.pop_item(),
        session.clear_session(),
    ):
        with pytest.raises(WrongKeyTypeError, match=foreign) as caught:
            await operation
        assert caught.value.key == key
        assert caught.value.key_type == foreign

    assert await redis_client.dump(key) == before
    assert 490 <= await redis_client.ttl(key) <= 500


async def test_corrupt_element_is_skipped_with_a_warning(
    new_session: NewSession, redis_client: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A non-JSON element is never returned; limit counts valid items; nothing is deleted."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    await redis_client.rpush(session._key, b"\xffnot json")
    await session.add_items([user("c")])
    with caplog.at_level(logging.WARNING, logger="openai_agents_session"):
        assert await session.get_items() == [user("a"), user("b"), user("c")]
        assert await session.get_items(limit=2) == [user("b"), user("c")]
        assert await session.get_items(limit=3) == [user("a"), user("b"), user("c")]
    assert "undecodable" in caplog.text
    assert await redis_client.llen(session._key) == 4


async def test_pop_item_skips_a_corrupt_newest_element(
    new_session: NewSession, redis_client: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    """pop_item returns the newest valid item, discarding a corrupt one above it, logged."""
    session = new_session()
    await session.add_items([user("a")])
    await redis_client.rpush(session._key, "[1, 2]")
    with caplog.at_level(logging.WARNING, logger="openai_agents_session"):
        assert await session.pop_item() == user("a")
    assert "b'[1, 2]'" in caplog.text
    assert await session.pop_item() is None


async def test_data_written_by_0_1_0_is_read(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """0.1.0 stored json.dumps (with spaces) via RPUSH at the same key; we read it."""
    import json

    session = new_session()
    await redis_client.rpush(session._key, *(json.dumps(user(t)) for t in ("a", "b")))
    await session.add_items([user("c")])
    assert await session.get_items() == [user("a"), user("b"), user("c")]
    assert await session.pop_item() == user("c")


async def test_ping_answers_true(new_session: NewSession) -> None:
    """ping() is True on a reachable server."""
    assert await new_session().ping() is True


async def test_close_leaves_an_injected_client_open(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """close() on a session over the caller's client does nothing; the client still works."""
    session = new_session()
    async with session:
        await session.add_items([user("a")])
    await session.close()
    assert await redis_client.ping()
    assert await session.get_items() == [user("a")]


def test_session_id_is_positional_and_options_keyword_only(redis_client: RedisClient) -> None:
    """RedisSession(session_id, redis_client, *, ...) as the spec shows it."""
    session = RedisSession("s", redis_client, key_prefix="p", ttl=5)
    assert (session.session_id, session.key, session.ttl) == ("s", "p:s", 5)
    with pytest.raises(TypeError):
        RedisSession("s", redis_client, "p")  # type: ignore[misc]


async def test_spec_monitoring_snippets_work(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """The spec's monitoring calls on session._key: EXISTS, TTL and MEMORY USAGE."""
    session = new_session(ttl=3600)
    await session.add_items([user("Hello")])
    assert await redis_client.exists(session._key) == 1
    assert 0 < await redis_client.ttl(session._key) <= 3600
    memory = await redis_client.memory_usage(session._key)
    assert memory is not None and memory > 0
