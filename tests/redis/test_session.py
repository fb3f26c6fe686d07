"""RedisSession's contract, run against every topology (see ``TOPOLOGIES`` in conftest)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from agents.memory import SessionSettings

from openai_agents_session import (
    ConfigurationError,
    ItemEncodeError,
    RedisSession,
    WrongKeyTypeError,
)
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


async def test_add_then_get_returns_items_oldest_first(new_session: NewSession) -> None:
    """Items come back in the order they were added, across batches."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    await session.add_items([user("c")])
    assert await session.get_items() == [user("a"), user("b"), user("c")]


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


async def test_get_items_limit_returns_latest_in_order(new_session: NewSession) -> None:
    """A positive limit returns the newest N items, oldest of them first."""
    session = new_session()
    await session.add_items([user(str(i)) for i in range(10)])
    assert await session.get_items(limit=3) == [user("7"), user("8"), user("9")]
    assert await session.get_items(limit=100) == [user(str(i)) for i in range(10)]


async def test_get_items_limit_zero_returns_empty(new_session: NewSession) -> None:
    """limit=0 returns [] (0.1.0 returned everything: -0 is 0 in LRANGE)."""
    session = new_session()
    await session.add_items([user("a")])
    assert await session.get_items(limit=0) == []


async def test_get_items_negative_limit_raises_value_error(new_session: NewSession) -> None:
    """A negative limit is refused before anything is sent."""
    session = new_session()
    with pytest.raises(ValueError, match="limit"):
        await session.get_items(limit=-1)


async def test_session_settings_limit_is_the_default(new_session: NewSession) -> None:
    """limit=None falls back to session_settings.limit; an explicit limit overrides it."""
    session = new_session(session_settings=SessionSettings(limit=2))
    await session.add_items([user(str(i)) for i in range(5)])
    assert await session.get_items() == [user("3"), user("4")]
    assert await session.get_items(limit=4) == [user(str(i)) for i in range(1, 5)]


async def test_get_items_on_missing_session_returns_empty(new_session: NewSession) -> None:
    """A session never written to is empty."""
    assert await new_session("never-written").get_items() == []


async def test_add_items_empty_batch_creates_no_key(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """add_items([]) writes nothing and creates no key."""
    session = new_session(ttl=60)
    await session.add_items([])
    assert await redis_client.exists(session._key) == 0


async def test_add_items_sets_and_refreshes_ttl(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """Every add_items sets the TTL back to its full value."""
    session = new_session(ttl=3600)
    await session.add_items([user("a")])
    assert 3590 <= await redis_client.ttl(session._key) <= 3600
    await redis_client.expire(session._key, 10)
    await session.add_items([user("b")])
    assert 3590 <= await redis_client.ttl(session._key) <= 3600


async def test_ttl_none_never_sets_an_expiry(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """ttl=None leaves the key without expiry."""
    session = new_session(ttl=None)
    await session.add_items([user("a")])
    assert await redis_client.ttl(session._key) == -1


async def test_session_expires_after_ttl(new_session: NewSession) -> None:
    """A session not written to for ttl seconds is gone."""
    session = new_session(ttl=1)
    await session.add_items([user("a")])
    for _ in range(60):
        if not await session.get_items():
            break
        await asyncio.sleep(0.05)
    assert await session.get_items() == []


@pytest.mark.parametrize("ttl", [0, -5, 1.5, "60", True])
def test_invalid_ttl_raises_value_error_at_construction(
    redis_client: RedisClient, ttl: object
) -> None:
    """ttl must be a positive int or None."""
    with pytest.raises(ValueError, match="ttl"):
        RedisSession("s", redis_client, ttl=ttl)  # type: ignore[arg-type]


async def test_pop_item_returns_newest_and_removes_it(new_session: NewSession) -> None:
    """pop_item removes and returns the most recent item."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    assert await session.pop_item() == user("b")
    assert await session.get_items() == [user("a")]


async def test_pop_item_on_empty_session_returns_none(new_session: NewSession) -> None:
    """An empty session pops None."""
    assert await new_session().pop_item() is None


async def test_clear_session_deletes_the_key(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """clear_session removes the list; the session is then empty."""
    session = new_session()
    await session.add_items([user("a")])
    await session.clear_session()
    assert await redis_client.exists(session._key) == 0
    assert await session.get_items() == []
    await session.clear_session()  # clearing an empty session is fine


async def test_sessions_are_isolated(new_session: NewSession) -> None:
    """Two session ids never see each other's items."""
    first, second = new_session("one"), new_session("two")
    await first.add_items([user("1")])
    await second.add_items([user("2")])
    await first.clear_session()
    assert await second.get_items() == [user("2")]


async def test_unusual_session_ids_work(new_session: NewSession, key_prefix: str) -> None:
    """Ids with glob characters, colons, braces, unicode and newlines are stored verbatim."""
    for session_id in ["a*b?[c]", "x:y:z", "{tag}", "ünï-😀", "line\nbreak"]:
        session = new_session(session_id)
        await session.add_items([user(session_id)])
        assert session._key == f"{key_prefix}:{session_id}"
        assert await session.get_items() == [user(session_id)]


async def test_unserializable_batch_stores_nothing(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """A batch with one bad item raises ItemEncodeError (a TypeError) and stores none of it."""
    session = new_session(ttl=60)
    await session.add_items([user("kept")])
    with pytest.raises(ItemEncodeError) as caught:
        await session.add_items([user("ok"), {"role": "user", "content": {1, 2}}])
    assert isinstance(caught.value, TypeError)
    assert await session.get_items() == [user("kept")]


async def test_pydantic_items_come_back_as_dicts(new_session: NewSession) -> None:
    """SDK items given as pydantic models are stored as their JSON dump."""
    from openai.types.responses import ResponseOutputMessage, ResponseOutputText

    message = ResponseOutputMessage(
        id="msg_1",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text="Hi", annotations=[])],
    )
    session = new_session()
    await session.add_items([message])  # type: ignore[list-item]
    assert await session.get_items() == [message.model_dump(mode="json", exclude_unset=True)]


async def test_large_batch_is_stored_atomically_in_order(new_session: NewSession) -> None:
    """A batch larger than one Lua unpack() chunk is stored whole and in order."""
    session = new_session(ttl=60)
    batch = [user(str(i)) for i in range(2500)]
    await session.add_items(batch)
    assert await session.get_items() == batch


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


@pytest.mark.parametrize("session_id", ["", None])
def test_invalid_session_id_raises_configuration_error(
    redis_client: RedisClient, session_id: object
) -> None:
    """An empty or missing session id is a ConfigurationError (a ValueError)."""
    with pytest.raises(ConfigurationError):
        RedisSession(session_id, redis_client)  # type: ignore[arg-type]


async def test_concurrent_first_writers_do_not_race(new_session: NewSession) -> None:
    """Many writers creating the same session at once: every item is stored exactly once."""
    sessions = [new_session("shared", ttl=60) for _ in range(20)]
    await asyncio.gather(
        *(s.add_items([user(f"{i}-a"), user(f"{i}-b")]) for i, s in enumerate(sessions))
    )
    items = await sessions[0].get_items()
    assert len(items) == 40
    for i in range(20):
        assert items.index(user(f"{i}-a")) + 1 == items.index(user(f"{i}-b"))


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


async def test_cancelled_add_items_is_all_or_nothing_and_client_stays_usable(
    new_session: NewSession,
) -> None:
    """Cancelling add_items at any point stores the whole batch or none of it."""
    session = new_session(ttl=60)
    batch = [user(f"b{i}") for i in range(200)]
    for delay in (0, 0.0005, 0.001, 0.002, 0.005):
        await session.clear_session()
        task = asyncio.ensure_future(session.add_items(batch))
        await asyncio.sleep(delay)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        stored = await session.get_items()
        assert stored in ([], batch)
    await session.add_items([user("after")])
    assert (await session.get_items(limit=1)) == [user("after")]


async def test_retry_after_a_cancelled_add_items_stores_the_batch_once(
    new_session: NewSession,
) -> None:
    """Cancelled at any point, then retried with the same items: stored exactly once."""
    session = new_session(ttl=60)
    batch = [user(f"b{i}") for i in range(200)]
    for step in range(25):
        await session.clear_session()
        task = asyncio.ensure_future(session.add_items(batch))
        await asyncio.sleep(step * 0.0002)
        task.cancel()
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, asyncio.CancelledError):
            await session.add_items([dict(item) for item in batch])  # type: ignore[misc]
        assert await session.get_items() == batch
