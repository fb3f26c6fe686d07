"""Writers, poppers, readers and clears racing on one session: nothing lost, doubled or mixed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dynamodb.support import user

from openai_agents_session.dynamodb import DynamoDBSession

NewSession = Callable[..., DynamoDBSession]
WRITERS = 4
APPENDS = 8
POPPERS = 4
POPS = 6
READERS = 3
SEEDED = 12


def texts(items: list[object]) -> list[str]:
    return [str(item["content"]) for item in items]  # type: ignore[index]


def assert_writers_in_order(seen: list[str]) -> None:
    """Each writer's items that are present appear in the order it wrote them."""
    for writer in range(WRITERS):
        mine = [int(text.split(":")[1]) for text in seen if text.startswith(f"w{writer}:")]
        assert mine == sorted(mine), seen


async def test_writers_poppers_and_readers_lose_and_double_nothing(
    new_session: NewSession,
) -> None:
    """Every item written is popped once or left, never both; readers never see a duplicate
    or a writer's items out of order."""
    seeded = [user(f"seed:{number}") for number in range(SEEDED)]
    await new_session().add_items(seeded)
    writing = True
    snapshots: list[list[str]] = []

    async def write(writer: int) -> None:
        session = new_session()
        for step in range(APPENDS):
            await session.add_items([user(f"w{writer}:{step}")])

    async def pop() -> list[str]:
        session = new_session()
        popped = []
        for _ in range(POPS):
            item = await session.pop_item()
            if item is not None:
                popped.append(str(item["content"]))  # type: ignore[typeddict-item]
            await asyncio.sleep(0)
        return popped

    async def read() -> None:
        session = new_session()
        while writing:
            snapshots.append(texts(await session.get_items()))  # type: ignore[arg-type]

    readers = [asyncio.ensure_future(read()) for _ in range(READERS)]
    popper_tasks = [asyncio.ensure_future(pop()) for _ in range(POPPERS)]
    await asyncio.gather(*(write(writer) for writer in range(WRITERS)))
    popped = [text for task in popper_tasks for text in await task]
    writing = False
    await asyncio.gather(*readers)
    left = texts(await new_session().get_items())  # type: ignore[arg-type]

    written = texts(seeded) + [
        f"w{writer}:{step}" for writer in range(WRITERS) for step in range(APPENDS)
    ]
    assert len(popped) == len(set(popped))
    assert not set(popped) & set(left)
    assert sorted(popped + left) == sorted(written)
    assert popped  # the poppers did race the writers
    assert_writers_in_order(left)
    assert snapshots
    for snapshot in snapshots:
        assert len(snapshot) == len(set(snapshot))
        assert set(snapshot) <= set(written)
        assert_writers_in_order(snapshot)


async def test_readers_racing_clear_see_the_old_history_or_the_new_never_a_mix(
    new_session: NewSession,
) -> None:
    """While the session is cleared and refilled, every read is the whole old history or a
    prefix of the new one, with or without a limit."""
    old = [f"old:{number}" for number in range(30)]
    new = [f"new:{number}" for number in range(10)]
    await new_session().add_items([user(text) for text in old])
    done = False
    snapshots: list[tuple[int | None, list[str]]] = []

    async def read(limit: int | None) -> None:
        session = new_session()
        while not done:
            snapshots.append((limit, texts(await session.get_items(limit))))  # type: ignore[arg-type]

    async def clear_and_refill() -> None:
        session = new_session()
        await asyncio.sleep(0.05)
        await session.clear_session()
        for text in new:
            await session.add_items([user(text)])

    readers = [asyncio.ensure_future(read(limit)) for limit in (None, None, 5)]
    await clear_and_refill()
    done = True
    await asyncio.gather(*readers)

    assert texts(await new_session().get_items()) == new  # type: ignore[arg-type]
    seen_old = seen_new = False
    for limit, snapshot in snapshots:
        window = slice(-limit if limit else None, None)
        if snapshot == old[window]:
            seen_old = True
            continue
        assert snapshot in [new[:end][window] for end in range(len(new) + 1)], (limit, snapshot)
        seen_new = seen_new or bool(snapshot)
    assert seen_old and seen_new
