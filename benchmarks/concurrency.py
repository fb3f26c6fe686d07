"""W6 and W6-256: many coroutines taking turns on one client, turns per second for a fixed time.

Each worker owns its own sessions (as one user is served by one request at a time) and runs
turns of ``get_items(limit=20)`` + ``add_items`` of 2 items. After every round, each
session's length must equal what its worker wrote: a store that loses writes under load is
reported. Around each timed round the client's coalescing counters are read, so the report
shows the batch sizes "ours" sent; an untimed round on a counting client of the same pool
gives the round trips per turn under that load.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass

import redis.asyncio as redis_asyncio

from openai_agents_session.redis import coalescing_stats

from .impls import Client, Impl
from .mix import run_turn_mix
from .workloads import (
    Bench,
    CountingConnection,
    Row,
    lengths,
    memory_per_item,
    percentile,
    record_counts,
    record_sent,
    rotated,
    snapshot,
)

CONCURRENT_IMPLS = ("floor", "floor-multi", "ours", "ours-direct", "0.1.0", "sdk")


@dataclass(frozen=True)
class Concurrency:
    """One concurrent row: how many coroutines, on how many sessions, through which client."""

    name: str
    workers: int
    sessions: int
    pool: int
    client: Client

    @property
    def title(self) -> str:
        return (
            f"{self.workers} coroutines x {self.sessions:,} sessions, one client (pool of"
            f" {self.pool}): get_items(limit=20) + add_items(2)"
        )


def concurrency_rows(bench: Bench, wide_client: Client) -> list[Concurrency]:
    """W6 on the suite's client (a pool of 64); W6-256 on one with room for every coroutine.

    Without coalescing, 256 coroutines hold up to 256 connections at once: on a pool of 64
    they would fail with "Too many connections". Every store of a row shares its client.
    """
    config = bench.config
    return [
        Concurrency("W6", config.w6_workers, config.w6_sessions, config.w6_workers, bench.client),
        Concurrency(
            "W6-256",
            config.w6_wide_workers,
            config.w6_wide_sessions,
            config.w6_wide_pool,
            wide_client,
        ),
    ]


async def run_concurrency(bench: Bench, row: Concurrency) -> None:
    """Warm every store, then time rounds of turns, the stores' order rotating each round."""
    config = bench.config
    impls = [bench.impls[name] for name in CONCURRENT_IMPLS]
    bench.rows.append(Row(row.name, row.name, row.title, CONCURRENT_IMPLS))
    started = time.monotonic()
    for impl in impls:
        await _round(row, impl, row.client, "warm", config.w6_warmup_seconds)
    for round_index in range(config.w6_rounds):
        for impl in rotated(impls, round_index):
            gc.collect()
            before_sent = coalescing_stats(row.client)
            before = await snapshot(bench.control)
            latencies, wall_ns, written = await _round(
                row, impl, row.client, f"r{round_index}", config.w6_seconds
            )
            await record_counts(bench, row.name, impl.name, before)
            acc = bench.acc(row.name, impl.name)
            record_sent(acc, row.client, before_sent)
            acc.latencies_ns.extend(latencies)
            acc.round_p50_ns.append(percentile(sorted(latencies), 0.5))
            acc.wall_ns += wall_ns
            stored = await lengths(bench, impl, list(written))
            pairs = zip(written.values(), stored, strict=True)
            acc.lost_writes = (acc.lost_writes or 0) + sum(abs(n - m) for n, m in pairs)
            acc.written = (acc.written or 0) + sum(written.values())
    last = config.w6_rounds - 1
    for impl in impls:
        sessions = [f"{row.name}-r{last}-{index}" for index in range(row.sessions)]
        acc = bench.acc(row.name, impl.name)
        acc.bytes_per_item = await memory_per_item(bench, impl, sessions)
        bench.check(
            row.name,
            impl.name,
            acc.lost_writes == 0,
            f"{acc.written} items written by {len(acc.latencies_ns)} turns, {acc.lost_writes} lost",
        )
    await _count_round_trips(bench, row, impls)
    await bench.control.flushall(asynchronous=False)
    bench.log(f"{row.name} done in {time.monotonic() - started:.1f} s")


async def _count_round_trips(bench: Bench, row: Concurrency, impls: list[Impl]) -> None:
    """Socket writes per turn under the row's load, on a counting client of the same pool.

    Untimed, so no timed call pays for the counting. A store whose calls are batched writes
    less than twice per turn.
    """
    counting = redis_asyncio.Redis.from_pool(
        redis_asyncio.ConnectionPool(
            connection_class=CountingConnection,
            host=bench.host,
            port=bench.port,
            max_connections=row.pool,
            socket_timeout=60,
        )
    )
    try:
        for impl in impls:
            # Connections, the script cache and first calls out of the count.
            await _round(row, impl, counting, "acct-warm", bench.config.w6_accounting_seconds)
            CountingConnection.writes = 0
            latencies, _wall, _written = await _round(
                row, impl, counting, "acct", bench.config.w6_accounting_seconds
            )
            acc = bench.acc(row.name, impl.name)
            acc.round_trips_per_op = CountingConnection.writes / len(latencies)
    finally:
        await counting.aclose()


async def _round(
    row: Concurrency, impl: Impl, client: Client, tag: str, seconds: float
) -> tuple[list[int], int, dict[str, int]]:
    session_ids = [f"{row.name}-{tag}-{index}" for index in range(row.sessions)]
    sessions = [impl.open(client, session_id) for session_id in session_ids]
    return await run_turn_mix(sessions, session_ids, row.workers, seconds)
