"""replace_items: the history is replaced whole and atomically, the metadata kept."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from agents.memory import OpenAIResponsesCompactionSession
from contract.backends import Backend
from contract.items import assistant, user
from contract.test_owner_listing import listed_for

from openai_agents_session import ItemEncodeError


async def test_replace_items_swaps_the_history_and_keeps_metadata(backend: Backend) -> None:
    """Items are replaced; title, owner, tags, created_at, the owner listing and TTL stay."""
    session = backend.session("u", ttl=60, owner="ada")
    await session.set_metadata(title="Trip", tags=["t"])
    await session.add_items([user(str(n)) for n in range(10)])
    before = await session.get_metadata()
    await session.replace_items([assistant("100")])
    assert await session.get_items() == [assistant("100")]
    after = await session.get_metadata()
    assert (after.title, after.owner, after.tags, after.created_at) == (
        before.title,
        before.owner,
        before.tags,
        before.created_at,
    )
    assert after.updated_at is not None and before.updated_at is not None
    assert after.updated_at >= before.updated_at
    await listed_for(backend, "ada", ["u"])
    ttl = (await backend.store.info("u")).ttl_seconds
    assert ttl is not None and 0 < ttl <= 60


async def test_replace_with_nothing_clears_the_session(backend: Backend) -> None:
    """An empty replacement is a clear: no items, no metadata, no session remain."""
    session = backend.session("u")
    await session.add_items([user("1")])
    await session.replace_items([])
    assert await session.get_items() == []
    assert (await session.get_metadata()).created_at is None
    assert await backend.store.count_sessions() == 0


async def test_unencodable_replacement_keeps_the_old_history(backend: Backend) -> None:
    """A replacement with one bad item raises ItemEncodeError and changes nothing."""
    session = backend.session("u")
    await session.add_items([user("kept")])
    with pytest.raises(ItemEncodeError):
        await session.replace_items([user("new"), {"role": "user", "content": {1, 2}}])
    assert await session.get_items() == [user("kept")]


async def test_readers_never_see_an_empty_or_mixed_history_during_replacements(
    backend: Backend,
) -> None:
    """Concurrent readers see the old history or the new one, nothing in between."""
    old = [user(str(n)) for n in range(50)]
    new = [assistant(str(1000 + n)) for n in range(3)]
    writer = backend.session("u")
    await writer.add_items(old)
    seen: list[list[Any]] = []
    stop = asyncio.Event()

    async def read() -> None:
        reader = backend.session("u")
        while not stop.is_set():
            seen.append(await reader.get_items())

    readers = [asyncio.ensure_future(read()) for _ in range(4)]
    for round_ in range(40):
        await writer.replace_items(new if round_ % 2 == 0 else old)
    stop.set()
    await asyncio.gather(*readers)
    assert seen
    assert all(items in (old, new) for items in seen)


class _OfflineCompaction:
    """responses.compact of an offline client: returns one summary message."""

    def __init__(self) -> None:
        self.calls = 0

    async def compact(self, **_: Any) -> Any:
        self.calls += 1
        summary = {"type": "message", "role": "assistant", "content": "summary"}
        return SimpleNamespace(output=[summary], usage=None)


async def test_sdk_compaction_replaces_history_atomically_through_the_hook(
    backend: Backend,
) -> None:
    """The SDK's compaction session uses our atomic hook, never clear_session + add_items."""
    session = backend.session("u", owner="ada")
    await session.set_metadata(title="Trip")
    await session.add_items([user(str(n)) for n in range(12)])
    client = SimpleNamespace(responses=_OfflineCompaction())
    compacting = OpenAIResponsesCompactionSession(
        "u",
        session,
        client=client,
        compaction_mode="input",
    )
    cleared: list[bool] = []
    original_clear = session.clear_session

    async def spy_clear() -> None:
        cleared.append(True)
        await original_clear()

    session.clear_session = spy_clear
    await compacting.run_compaction({"force": True})
    assert client.responses.calls == 1
    assert cleared == []
    assert await session.get_items() == [
        {"type": "message", "role": "assistant", "content": "summary"}
    ]
    assert (await session.get_metadata()).title == "Trip"
    await listed_for(backend, "ada", ["u"])
