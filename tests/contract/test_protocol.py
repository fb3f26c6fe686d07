"""The SDK's Session protocol: get, add, pop and clear, with the SDK's limit semantics."""

from __future__ import annotations

from agents.memory import SessionSettings
from contract.backends import Backend
from contract.items import assistant, user


async def test_add_then_get_returns_items_oldest_first(backend: Backend) -> None:
    """Items come back in the order they were added, across batches."""
    session = backend.session("user-123")
    await session.add_items([user("a"), user("b")])
    await session.add_items([user("c")])
    assert await session.get_items() == [user("a"), user("b"), user("c")]


async def test_get_items_limit_returns_latest_in_order(backend: Backend) -> None:
    """A positive limit returns the newest N items, oldest of them first."""
    session = backend.session("s")
    await session.add_items([user(str(i)) for i in range(10)])
    assert await session.get_items(limit=3) == [user("7"), user("8"), user("9")]
    assert await session.get_items(limit=1) == [user("9")]


async def test_get_items_limit_larger_than_history_returns_everything(backend: Backend) -> None:
    """A limit beyond the history's length returns the whole history."""
    session = backend.session("s")
    await session.add_items([user(str(i)) for i in range(10)])
    assert await session.get_items(limit=10) == [user(str(i)) for i in range(10)]
    assert await session.get_items(limit=100) == [user(str(i)) for i in range(10)]


async def test_get_items_limit_none_returns_everything(backend: Backend) -> None:
    """limit=None (and no session_settings) returns every item."""
    session = backend.session("s")
    await session.add_items([user(str(i)) for i in range(5)])
    assert await session.get_items(limit=None) == [user(str(i)) for i in range(5)]


async def test_get_items_limit_zero_returns_empty(backend: Backend) -> None:
    """limit=0 returns [] (0.1.0 returned everything: -0 is 0 in LRANGE)."""
    session = backend.session("s")
    await session.add_items([user("a")])
    assert await session.get_items(limit=0) == []


async def test_session_settings_limit_is_the_default(backend: Backend) -> None:
    """limit=None falls back to session_settings.limit; an explicit limit overrides it."""
    session = backend.session("s", session_settings=SessionSettings(limit=2))
    await session.add_items([user(str(i)) for i in range(5)])
    assert await session.get_items() == [user("3"), user("4")]
    assert await session.get_items(limit=4) == [user(str(i)) for i in range(1, 5)]


async def test_dict_session_settings_are_coerced_as_in_the_sdk(backend: Backend) -> None:
    """session_settings={"limit": N} works as SessionSettings(limit=N) does."""
    session = backend.session("s", session_settings={"limit": 1})
    await session.add_items([user("a"), user("b")])
    assert await session.get_items() == [user("b")]


async def test_get_items_on_missing_session_returns_empty(backend: Backend) -> None:
    """A session never written to is empty."""
    session = backend.session("never-written")
    assert await session.get_items() == []
    assert await session.get_items(limit=3) == []


async def test_add_items_empty_batch_stores_nothing(backend: Backend) -> None:
    """add_items([]) writes nothing: the session does not come into existence."""
    session = backend.session("s", ttl=60)
    await session.add_items([])
    assert await session.get_items() == []
    assert (await backend.store.info("s")).exists is False
    assert (await session.get_metadata()).created_at is None
    assert await backend.store.count_sessions() == 0


async def test_add_items_accepts_a_tuple(backend: Backend) -> None:
    """A tuple is an ordered, finite batch: it is stored like a list."""
    session = backend.session("s")
    await session.add_items((user("a"), assistant("b")))
    assert await session.get_items() == [user("a"), assistant("b")]


async def test_pop_item_returns_newest_and_removes_it(backend: Backend) -> None:
    """pop_item removes and returns the most recent item."""
    session = backend.session("s")
    await session.add_items([user("a"), user("b")])
    assert await session.pop_item() == user("b")
    assert await session.get_items() == [user("a")]
    assert await session.pop_item() == user("a")
    assert await session.pop_item() is None


async def test_pop_item_on_empty_session_returns_none(backend: Backend) -> None:
    """An empty session pops None."""
    assert await backend.session("s").pop_item() is None


async def test_clear_session_empties_the_session(backend: Backend) -> None:
    """clear_session removes every item; clearing an empty session is fine."""
    session = backend.session("s")
    await session.add_items([user("a")])
    await session.clear_session()
    assert await session.get_items() == []
    assert (await backend.store.info("s")).exists is False
    await session.clear_session()


async def test_sessions_are_isolated(backend: Backend) -> None:
    """Two session ids never see each other's items."""
    first, second = backend.session("one"), backend.session("two")
    await first.add_items([user("1")])
    await second.add_items([user("2")])
    await first.clear_session()
    assert await second.get_items() == [user("2")]
    assert await first.get_items() == []


UNUSUAL_IDS = ["a*b?[c]", "x:y:z", "{tag}", "ünï-😀", "line\nbreak", "a}b", "{}x{y}", "x{", "p:{t}"]


async def test_unusual_session_ids_work(backend: Backend) -> None:
    """Ids with glob characters, colons, braces, unicode and newlines are stored verbatim."""
    for session_id in UNUSUAL_IDS:
        await backend.session(session_id).add_items([user(session_id)])
    for session_id in UNUSUAL_IDS:
        assert await backend.session(session_id).get_items() == [user(session_id)]
    assert sorted([s async for s in backend.store.list_sessions()]) == sorted(UNUSUAL_IDS)


async def test_pydantic_items_come_back_as_dicts(backend: Backend) -> None:
    """SDK items given as pydantic models are stored as their JSON dump."""
    from openai.types.responses import ResponseOutputMessage, ResponseOutputText

    message = ResponseOutputMessage(
        id="msg_1",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text="Hi", annotations=[])],
    )
    session = backend.session("s")
    await session.add_items([message])
    assert await session.get_items() == [message.model_dump(mode="json", exclude_unset=True)]


async def test_session_id_is_kept_on_the_session(backend: Backend) -> None:
    """session.session_id is the id it was built with, as the SDK reads it."""
    assert backend.session("user-7").session_id == "user-7"
