"""A batch is stored whole, in order, or not at all; big items and big batches included."""

from __future__ import annotations

import asyncio

import pytest
from contract.backends import Backend
from contract.items import user

from openai_agents_session import ItemEncodeError


async def test_unencodable_batch_stores_nothing(backend: Backend) -> None:
    """A batch with one bad item raises ItemEncodeError (a TypeError) and stores none of it."""
    session = backend.session("s", ttl=60)
    await session.add_items([user("kept")])
    with pytest.raises(ItemEncodeError) as caught:
        await session.add_items([user("ok"), {"role": "user", "content": {1, 2}}])
    assert isinstance(caught.value, TypeError)
    assert await session.get_items() == [user("kept")]


async def test_large_batch_is_stored_whole_in_order(backend: Backend) -> None:
    """A batch of 2,500 items (more than one Lua unpack() chunk) is stored whole and in order."""
    session = backend.session("s", ttl=60)
    batch = [user(str(i)) for i in range(2500)]
    await session.add_items(batch)
    assert await session.get_items() == batch


async def test_readers_racing_a_big_batch_see_all_or_nothing(backend: Backend) -> None:
    """Readers running during a 10,000-item append see none of it or all of it."""
    session = backend.session("huge", ttl=60)
    batch = [user(f"m{i}") for i in range(10_000)]
    seen: list[int] = []

    async def watch() -> None:
        for _ in range(50):
            seen.append(len(await session.get_items()))
            await asyncio.sleep(0)

    await asyncio.gather(session.add_items(batch), watch())
    assert set(seen) <= {0, 10_000}
    assert await session.get_items() == batch


@pytest.mark.parametrize("size", [1_000_000, 10_000_000], ids=["1MB", "10MB"])
async def test_big_items_round_trip(backend: Backend, size: int) -> None:
    """A 1 MB and a 10 MB tool output are stored and read back unchanged."""
    session = backend.session("big", ttl=60)
    item = {"type": "function_call_output", "call_id": "c1", "output": "é😀x" * (size // 8)}
    await session.add_items([item])
    assert await session.get_items(limit=1) == [item]
    assert await session.pop_item() == item


async def test_cancelled_add_items_is_all_or_nothing_and_session_stays_usable(
    backend: Backend,
) -> None:
    """Cancelling add_items at any point stores the whole batch or none of it."""
    session = backend.session("s", ttl=60)
    batch = [user(f"b{i}") for i in range(200)]
    for delay in (0, 0.0005, 0.001, 0.002, 0.005):
        await session.clear_session()
        task = asyncio.ensure_future(session.add_items(batch))
        await asyncio.sleep(delay)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert await session.get_items() in ([], batch)
    await session.add_items([user("after")])
    assert await session.get_items(limit=1) == [user("after")]
