"""The concurrent turn mix every backend's benchmark runs: coroutines taking turns on sessions.

A turn is what an agent does per user message: read the newest 20 items, append a pair.
Each worker owns every ``workers``-th session, so no two workers write one session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from .impls import BenchSession
from .items import PAIR

__all__ = ["run_turn_mix"]


async def run_turn_mix(
    sessions: Sequence[BenchSession], session_ids: Sequence[str], workers: int, seconds: float
) -> tuple[list[int], int, dict[str, int]]:
    """Run ``workers`` coroutines of turns for ``seconds``.

    Returns:
        Each turn's latency (ns), the elapsed time (ns), and the items written per session.
    """
    written = dict.fromkeys(session_ids, 0)
    latencies: list[int] = []
    running = True
    clock = time.perf_counter_ns

    async def worker(first: int) -> None:
        owned = list(range(first, len(sessions), workers))
        turn = 0
        while running:
            index = owned[turn % len(owned)]
            turn += 1
            session = sessions[index]
            start = clock()
            await session.get_items(20)
            await session.add_items(PAIR)
            latencies.append(clock() - start)
            written[session_ids[index]] += len(PAIR)

    began = clock()
    tasks = [asyncio.ensure_future(worker(first)) for first in range(workers)]
    await asyncio.sleep(seconds)
    running = False
    await asyncio.gather(*tasks)
    return latencies, clock() - began, written
