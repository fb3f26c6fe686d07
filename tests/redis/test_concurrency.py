"""Many writers and poppers on one session: nothing lost, nothing doubled, order kept."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from typing import Any

import pytest
from clients import make_client

from openai_agents_session import RedisSession
from openai_agents_session.redis._driver import RedisClient

WRITERS, BATCHES = 50, 20


@pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
async def test_fifty_writers_with_their_own_clients_lose_nothing_and_keep_order(
    request: pytest.FixtureRequest, topology: str, key_prefix: str, cleanup: None
) -> None:
    """50 clients x 20 batches of 2 on one session id: exact length, per-writer order kept."""
    clients = [make_client(request, topology) for _ in range(WRITERS)]

    async def write(writer: int, client: RedisClient) -> None:
        session = RedisSession("shared", client, key_prefix=key_prefix, ttl=600)
        for batch in range(BATCHES):
            await session.add_items(
                [{"w": writer, "b": batch, "i": 0}, {"w": writer, "b": batch, "i": 1}]
            )

    try:
        await asyncio.gather(*(write(w, c) for w, c in enumerate(clients)))
        items = await RedisSession("shared", clients[0], key_prefix=key_prefix).get_items()
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))

    assert len(items) == WRITERS * BATCHES * 2
    for writer in range(WRITERS):
        mine = [(item["b"], item["i"]) for item in items if item["w"] == writer]  # type: ignore[typeddict-item]
        assert mine == [(b, i) for b in range(BATCHES) for i in (0, 1)]


@pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
async def test_twenty_concurrent_poppers_get_every_item_once(
    new_session: Callable[..., RedisSession],
) -> None:
    """20 coroutines popping a 100-item session get 100 distinct items, none twice."""
    session = new_session("pops")
    await session.add_items([{"n": n} for n in range(100)])  # type: ignore[misc]

    async def drain() -> list[Any]:
        popped = []
        while (item := await session.pop_item()) is not None:
            popped.append(item["n"])  # type: ignore[typeddict-item]
        return popped

    results = await asyncio.gather(*(drain() for _ in range(20)))
    everything = [n for popped in results for n in popped]
    assert sorted(everything) == list(range(100))
    for popped in results:  # each popper saw newest first
        assert popped == sorted(popped, reverse=True)


def _process_writer(url: str, key_prefix: str, writer: int, batches: int) -> None:
    import redis.asyncio as redis_asyncio

    async def run() -> None:
        async with redis_asyncio.from_url(url) as client:
            session = RedisSession("multi", client, key_prefix=key_prefix, ttl=600)
            for batch in range(batches):
                await session.add_items([{"w": writer, "b": batch}])

    asyncio.run(run())


@pytest.mark.parametrize("topology", ["standalone"], indirect=True)
async def test_writers_in_separate_processes_lose_nothing(
    redis_client: RedisClient, standalone_server: Any, key_prefix: str, cleanup: None
) -> None:
    """4 processes x 50 appends on one session: all 200 items, each process's in order."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_process_writer, args=(standalone_server.url, key_prefix, writer, 50)
        )
        for writer in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    items = await RedisSession("multi", redis_client, key_prefix=key_prefix).get_items()
    assert len(items) == 200
    for writer in range(4):
        mine = [item["b"] for item in items if item["w"] == writer]  # type: ignore[typeddict-item]
        assert mine == list(range(50))
