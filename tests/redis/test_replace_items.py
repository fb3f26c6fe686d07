"""replace_items and SDK compaction: history is replaced whole, atomically, keeping metadata."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from agents.memory import OpenAIResponsesCompactionSession

from openai_agents_session import ConfigurationError, RedisSession, WrongKeyTypeError
from openai_agents_session.redis import RedisSessionStore
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


def message(n: int, role: str = "user") -> dict[str, Any]:
    return {"role": role, "content": f"m{n}"}


async def test_replace_items_swaps_the_history_and_keeps_metadata(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """Items are replaced; title, owner, tags, created_at and the owner index stay."""
    session = new_session("u", ttl=60, owner="ada")
    await session.set_metadata(title="Trip", tags=["t"])
    await session.add_items([message(n) for n in range(10)])
    before = await session.get_metadata()
    await session.replace_items([message(100, "assistant")])
    assert await session.get_items() == [message(100, "assistant")]
    after = await session.get_metadata()
    assert (after.title, after.owner, after.tags, after.created_at) == (
        before.title,
        before.owner,
        before.tags,
        before.created_at,
    )
    assert after.updated_at is not None and before.updated_at is not None
    assert after.updated_at >= before.updated_at
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    assert [s.session_id for s in await store.owner_sessions("ada")] == ["u"]
    assert 0 < await redis_client.ttl(session.key) <= 60


async def test_replace_items_is_one_round_trip_and_refuses_foreign_keys(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """A key of another type is left alone; a non-list batch is refused before sending."""
    session = new_session("u")
    await redis_client.set(session.key, "not a list")
    with pytest.raises(WrongKeyTypeError):
        await session.replace_items([message(1)])
    assert await redis_client.get(session.key) in (b"not a list", "not a list")
    with pytest.raises(ConfigurationError):
        await session.replace_items({"role": "user"})  # type: ignore[arg-type]


async def test_replace_with_nothing_clears_the_session(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """An empty replacement is a clear: no list and no companion remain."""
    session = new_session("u")
    await session.add_items([message(1)])
    await session.replace_items([])
    assert await session.get_items() == []
    assert [k async for k in redis_client.scan_iter(match=f"{key_prefix}:*")] == []


async def test_readers_never_see_an_empty_or_mixed_history_during_replacements(
    new_session: NewSession,
) -> None:
    """Concurrent readers see the old history or the new one, nothing in between."""
    old = [message(n) for n in range(50)]
    new = [message(1000 + n, "assistant") for n in range(3)]
    writer = new_session("u")
    await writer.add_items(old)
    seen: list[list[dict[str, Any]]] = []
    stop = asyncio.Event()

    async def read() -> None:
        reader = new_session("u")
        while not stop.is_set():
            seen.append(await reader.get_items())  # type: ignore[arg-type]

    readers = [asyncio.ensure_future(read()) for _ in range(4)]
    for round_ in range(40):
        await writer.replace_items(new if round_ % 2 == 0 else old)  # type: ignore[arg-type]
    stop.set()
    await asyncio.gather(*readers)
    assert seen
    assert all(items in (old, new) for items in seen)


class _FakeResponses:
    """responses.compact of an offline client: returns one summary message."""

    def __init__(self) -> None:
        self.calls = 0

    async def compact(self, **_: Any) -> Any:
        self.calls += 1
        summary = {"type": "message", "role": "assistant", "content": "summary"}
        return SimpleNamespace(output=[summary], usage=None)


async def test_sdk_compaction_replaces_history_atomically_through_the_hook(
    new_session: NewSession, redis_client: RedisClient, key_prefix: str
) -> None:
    """The SDK's compaction session uses our atomic hook, never clear_session + add_items."""
    session = new_session("u", owner="ada")
    await session.set_metadata(title="Trip")
    await session.add_items([message(n) for n in range(12)])
    client = SimpleNamespace(responses=_FakeResponses())
    compacting = OpenAIResponsesCompactionSession(
        "u",
        session,
        client=client,
        compaction_mode="input",  # type: ignore[arg-type]
    )
    cleared: list[bool] = []
    original_clear = session.clear_session

    async def spy_clear() -> None:
        cleared.append(True)
        await original_clear()

    session.clear_session = spy_clear  # type: ignore[method-assign]
    await compacting.run_compaction({"force": True})
    assert client.responses.calls == 1
    assert cleared == []
    assert await session.get_items() == [
        {"type": "message", "role": "assistant", "content": "summary"}
    ]
    assert (await session.get_metadata()).title == "Trip"
    store = RedisSessionStore(redis_client, key_prefix=key_prefix)
    assert [s.session_id for s in await store.owner_sessions("ada")] == ["u"]
