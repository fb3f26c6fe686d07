"""Many writers and poppers on one session: nothing lost, nothing doubled, order kept."""

from __future__ import annotations

import asyncio
import multiprocessing
from typing import Any

from contract.backends import Backend
from contract.items import user
from contract.processes import write_batches

BATCHES = 20


async def test_writers_with_their_own_connections_lose_nothing_and_keep_order(
    backend: Backend,
) -> None:
    """Many connections x 20 batches of 2 on one session id: exact length, each writer's order."""
    writers = backend.contending_writers
    sessions = [await backend.session_on_new_connection("shared", ttl=600) for _ in range(writers)]

    async def write(writer: int, session: Any) -> None:
        for batch in range(BATCHES):
            await session.add_items(
                [{"w": writer, "b": batch, "i": 0}, {"w": writer, "b": batch, "i": 1}]
            )

    await asyncio.gather(*(write(w, s) for w, s in enumerate(sessions)))
    items = await backend.session("shared").get_items()
    assert len(items) == writers * BATCHES * 2
    for writer in range(writers):
        mine = [(item["b"], item["i"]) for item in items if item["w"] == writer]
        assert mine == [(b, i) for b in range(BATCHES) for i in (0, 1)]


async def test_concurrent_first_writers_do_not_race(backend: Backend) -> None:
    """Many session objects creating the same session at once: every item stored once."""
    sessions = [backend.session("shared", ttl=60) for _ in range(20)]
    await asyncio.gather(
        *(s.add_items([user(f"{i}-a"), user(f"{i}-b")]) for i, s in enumerate(sessions))
    )
    items = await sessions[0].get_items()
    assert len(items) == 40
    for i in range(20):
        assert items.index(user(f"{i}-a")) + 1 == items.index(user(f"{i}-b"))


async def test_concurrent_poppers_get_every_item_once(backend: Backend) -> None:
    """20 coroutines popping a 100-item session get 100 distinct items, none twice."""
    session = backend.session("pops")
    await session.add_items([{"n": n} for n in range(100)])

    async def drain() -> list[Any]:
        popped = []
        while (item := await session.pop_item()) is not None:
            popped.append(item["n"])
        return popped

    results = await asyncio.gather(*(drain() for _ in range(20)))
    everything = [n for popped in results for n in popped]
    assert sorted(everything) == list(range(100))
    for popped in results:  # each popper saw newest first
        assert popped == sorted(popped, reverse=True)


async def test_writers_in_separate_processes_lose_nothing(backend: Backend) -> None:
    """4 processes x 50 appends on one session: all 200 items, each process's in order."""
    backend.require("concurrent_processes")
    target = backend.process_target()
    context = multiprocessing.get_context("forkserver")
    # One clean server process imports the writer's modules once; each writer is a fork of it,
    # which starts in milliseconds where a spawned interpreter takes most of a second.
    context.set_forkserver_preload(["contract.processes", *target.preload])
    processes = [
        context.Process(target=write_batches, args=(target.open, target.args, "multi", writer, 50))
        for writer in range(4)
    ]
    for process in processes:
        process.start()
    try:
        for process in processes:
            await asyncio.to_thread(process.join, 60)
            assert process.exitcode == 0
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    items = await backend.session("multi").get_items()
    assert len(items) == 200
    for writer in range(4):
        mine = [item["b"] for item in items if item["w"] == writer]
        assert mine == list(range(50))
