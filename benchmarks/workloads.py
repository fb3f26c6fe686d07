"""Workloads W1-W7 and how each is measured: interleaved rounds, per-op timing, server counts.

Every workload runs all its stores in round-robin blocks (the order rotates each round), so
drift of the machine or the server touches all of them alike. Each store warms up first;
``gc.collect()`` runs before every timed block, and the collector is otherwise left as Python
sets it, for all stores the same. Preparing a block (new sessions, refills) is never timed.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis_asyncio

from openai_agents_session.redis import CoalescingStats, coalescing_stats

from .impls import BenchSession, Client, Impl
from .items import BIG_OUTPUT, PAIR, TURN, alternating

Op = Callable[[int], Awaitable[object]]
PREFILL_BATCH = 1000


@dataclass(frozen=True)
class Config:
    """Sizes of one run; ``QUICK`` finishes in seconds, ``FULL`` in a few minutes."""

    rounds: int
    warmup: int
    block: int
    w2_items: int
    w3_sizes: tuple[int, int]
    w5_turns: int
    w5_rounds: int
    w6_seconds: float
    w6_warmup_seconds: float
    w6_rounds: int
    w6_workers: int
    w6_sessions: int
    w6_wide_workers: int
    w6_wide_sessions: int
    w6_wide_pool: int
    w6_accounting_seconds: float
    w7_block: int
    accounting_ops: int
    memory_sessions: int


# Many short rounds rather than a few long ones: a burst of load from elsewhere on the
# machine then lands on every store's blocks alike instead of on one store's.
FULL = Config(
    rounds=20,
    warmup=200,
    block=250,
    w2_items=100,
    w3_sizes=(10_000, 100_000),
    w5_turns=200,
    w5_rounds=6,
    w6_seconds=1.5,
    w6_warmup_seconds=1.0,
    w6_rounds=6,
    w6_workers=64,
    w6_sessions=256,
    w6_wide_workers=256,
    w6_wide_sessions=1024,
    w6_wide_pool=300,
    w6_accounting_seconds=0.3,
    w7_block=10,
    accounting_ops=20,
    memory_sessions=2_000,
)
QUICK = Config(
    rounds=2,
    warmup=5,
    block=20,
    w2_items=100,
    w3_sizes=(200, 2_000),
    w5_turns=10,
    w5_rounds=2,
    w6_seconds=0.15,
    w6_warmup_seconds=0.05,
    w6_rounds=1,
    w6_workers=64,
    w6_sessions=256,
    w6_wide_workers=256,
    w6_wide_sessions=1024,
    w6_wide_pool=300,
    w6_accounting_seconds=0.05,
    w7_block=3,
    accounting_ops=3,
    memory_sessions=200,
)


class CountingConnection(redis_asyncio.Connection):
    """Counts socket writes: each is one round trip (a pipeline writes once for many commands).

    Used only by the separate accounting client, never in a timed block.
    """

    writes = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.writes += 1
        await super().send_packed_command(command, check_health)


@dataclass
class Acc:
    """Everything measured for one (row, store) pair."""

    latencies_ns: list[int] = field(default_factory=list)
    round_p50_ns: list[int] = field(default_factory=list)
    commands: int = 0
    server_cpu_us: int = 0
    commandstats: Counter[str] = field(default_factory=Counter)
    round_trips_per_op: float | None = None
    bytes_per_item: float | None = None
    wall_ns: int = 0
    lost_writes: int | None = None
    written: int | None = None
    # What the client's coalescer sent during the timed blocks: calls alone, batches by size.
    direct_calls: int = 0
    batches: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class Row:
    """One line of the report: a workload (or part of one) and the stores it compares."""

    id: str
    workload: str
    title: str
    impls: tuple[str, ...]


@dataclass(frozen=True)
class Check:
    """An untimed correctness check of one store on one workload."""

    workload: str
    impl: str
    ok: bool
    detail: str


@dataclass
class Phase:
    """``ops`` calls of ``op(index)``, timed one by one and counted into ``row``."""

    row: str
    op: Op
    ops: int


@dataclass
class Bench:
    """The clients, the stores and what has been measured so far."""

    client: Client
    control: Client
    counting: Client
    impls: dict[str, Impl]
    config: Config
    info_overhead: int = 0
    results: dict[tuple[str, str], Acc] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    log: Callable[[str], None] = print
    memory: list[MemoryRow] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    def acc(self, row: str, impl: str) -> Acc:
        return self.results.setdefault((row, impl), Acc())

    def check(self, workload: str, impl: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(workload, impl, ok, detail))
        if not ok:
            self.log(f"  CHECK FAILED {workload} {impl}: {detail}")


@dataclass(frozen=True)
class MemoryRow:
    """What a store's sessions of ``turns`` turns take on the server, each, on average."""

    impl: str
    turns: int
    sessions: int
    bytes_per_session: float
    keys_per_session: float


@dataclass(frozen=True)
class Counts:
    """The server's counters at one moment."""

    commands: int
    calls: Counter[str]
    cpu_us: int


async def snapshot(control: Client) -> Counts:
    """Commands processed (script calls included), calls per command, and the server's CPU."""
    info = await control.info("stats", "commandstats", "cpu")
    calls: Counter[str] = Counter()
    for name, value in info.items():
        if name.startswith("cmdstat_") and isinstance(value, dict):
            calls[name.removeprefix("cmdstat_")] = int(value["calls"])
    cpu_s = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return Counts(int(info["total_commands_processed"]), calls, round(cpu_s * 1e6))


async def calibrate_info_overhead(control: Client) -> int:
    """Commands one snapshot adds to the next one's total (the INFO itself): subtracted later."""
    first = await snapshot(control)
    second = await snapshot(control)
    return second.commands - first.commands


async def timed(op: Op, ops: int) -> list[int]:
    """Await ``op(i)`` ``ops`` times, timing each call alone."""
    clock = time.perf_counter_ns
    latencies = [0] * ops
    for index in range(ops):
        start = clock()
        await op(index)
        latencies[index] = clock() - start
    return latencies


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def rotated(items: Sequence[Impl], offset: int) -> list[Impl]:
    """The stores in round-robin order, starting at ``offset``: no store always goes first."""
    shift = offset % len(items)
    return [*items[shift:], *items[:shift]]


def record_sent(acc: Acc, client: Client, before: CoalescingStats) -> None:
    """Add what ``client``'s coalescer sent since ``before``: only "ours" coalesces."""
    after = coalescing_stats(client)
    acc.direct_calls += after.direct - before.direct
    acc.batches.update(after.batches - before.batches)


async def record_counts(bench: Bench, row: str, impl: str, before: Counts) -> None:
    after = await snapshot(bench.control)
    acc = bench.acc(row, impl)
    acc.commands += after.commands - before.commands - bench.info_overhead
    acc.server_cpu_us += after.cpu_us - before.cpu_us
    delta = after.calls - before.calls
    delta.pop("info", None)
    acc.commandstats.update(delta)


async def measure(bench: Bench, impl: Impl, phase: Phase) -> None:
    gc.collect()
    before_sent = coalescing_stats(bench.client)
    before = await snapshot(bench.control)
    latencies = await timed(phase.op, phase.ops)
    await record_counts(bench, phase.row, impl.name, before)
    acc = bench.acc(phase.row, impl.name)
    record_sent(acc, bench.client, before_sent)
    acc.latencies_ns.extend(latencies)
    acc.round_p50_ns.append(percentile(sorted(latencies), 0.5))


async def prefill(session: BenchSession, items: list[dict[str, Any]]) -> None:
    """Write ``items`` through the store itself, in batches, so each reads its own format."""
    for start in range(0, len(items), PREFILL_BATCH):
        await session.add_items(items[start : start + PREFILL_BATCH])


async def lengths(bench: Bench, impl: Impl, session_ids: Sequence[str]) -> list[int]:
    """``LLEN`` of each session's list, pipelined: many sessions are checked after W6."""
    pipe = bench.control.pipeline(transaction=False)
    for session_id in session_ids:
        pipe.llen(impl.list_key(session_id))
    return [int(length) for length in await pipe.execute()]


async def memory_per_item(bench: Bench, impl: Impl, session_ids: Sequence[str]) -> float | None:
    """``MEMORY USAGE`` of every key the sessions occupy, divided by the items they hold."""
    pipe = bench.control.pipeline(transaction=False)
    for session_id in session_ids:
        for key in impl.keys(session_id):
            pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0")
    used = sum(int(usage or 0) for usage in await pipe.execute())
    items = sum(await lengths(bench, impl, session_ids))
    return used / items if items else None


async def drop_sessions(bench: Bench, impl: Impl, session_ids: Iterable[str]) -> None:
    keys = [key for session_id in session_ids for key in impl.keys(session_id)]
    if keys:
        await bench.control.delete(*keys)


class Workload:
    """A sequential workload: blocks of single operations, one at a time on one connection."""

    name = ""
    impl_names: tuple[str, ...] = ("floor", "ours", "0.1.0", "sdk")

    def __init__(self, config: Config) -> None:
        self.config = config
        # The sessions of the latest timed block of each store, per row: memory is read there.
        self.memory_sessions: dict[tuple[str, str], list[str]] = {}

    def rows(self) -> list[Row]:
        raise NotImplementedError

    def ops(self) -> int:
        return self.config.block

    def warmup_ops(self) -> int:
        return self.config.warmup

    def rounds(self) -> int:
        return self.config.rounds

    async def setup(self, bench: Bench, impl: Impl) -> None:
        """Untimed, once per store before warming up."""

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        """Prepare one block (untimed) and return what to time."""
        raise NotImplementedError

    async def verify(self, bench: Bench, impl: Impl) -> None:
        """Untimed correctness checks once the rounds are done."""


async def run_workload(bench: Bench, workload: Workload) -> None:
    config = bench.config
    impls = [bench.impls[name] for name in workload.impl_names]
    bench.rows.extend(workload.rows())
    started = time.monotonic()
    for impl in impls:
        await workload.setup(bench, impl)
    for impl in impls:
        for phase in await workload.block(bench, impl, bench.client, "warm", workload.warmup_ops()):
            await timed(phase.op, phase.ops)
    for round_index in range(workload.rounds()):
        for impl in rotated(impls, round_index):
            tag = f"r{round_index}"
            for phase in await workload.block(bench, impl, bench.client, tag, workload.ops()):
                await measure(bench, impl, phase)
    for impl in impls:
        for (row, name), sessions in workload.memory_sessions.items():
            if name == impl.name:
                bench.acc(row, name).bytes_per_item = await memory_per_item(bench, impl, sessions)
        await workload.verify(bench, impl)
        # Round trips, counted on a separate client so no timed call pays for the counting.
        phases = await workload.block(bench, impl, bench.counting, "acct", config.accounting_ops)
        for phase in phases:
            await phase.op(0)  # connection, script cache and first-call paths out of the count
            CountingConnection.writes = 0
            for index in range(1, phase.ops):
                await phase.op(index)
            writes = CountingConnection.writes
            bench.acc(phase.row, impl.name).round_trips_per_op = writes / (phase.ops - 1)
    await bench.control.flushall(asynchronous=False)
    bench.log(f"{workload.name} done in {time.monotonic() - started:.1f} s")


# W1-W4 also time ours with coalescing off: a lone caller must not pay for it.
SINGLE_CALLER_IMPLS = ("floor", "ours", "ours-direct", "0.1.0", "sdk")


class AddPair(Workload):
    """W1: the append after a model reply, ``add_items([user, assistant])``."""

    name = "W1"
    impl_names = ("floor", "floor-multi", "ours", "ours-direct", "0.1.0", "sdk")

    def rows(self) -> list[Row]:
        return [Row("W1", "W1", "add_items([user, assistant])", self.impl_names)]

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        session_id = f"w1-{tag}"
        session = impl.open(client, session_id)
        self.memory_sessions["W1", impl.name] = [session_id]
        return [Phase("W1", lambda _i: session.add_items(PAIR), ops)]

    async def verify(self, bench: Bench, impl: Impl) -> None:
        session_id = f"w1-r{self.rounds() - 1}"
        length = await bench.control.llen(impl.list_key(session_id))
        tail = await impl.open(bench.client, session_id).get_items(2)
        expected = 2 * self.ops()
        ok = length == expected and tail == PAIR
        bench.check("W1", impl.name, ok, f"length {length} of {expected}, last pair intact: {ok}")


class GetAll(Workload):
    """W2: the SDK's default read, ``get_items()`` of a whole 100-item session."""

    name = "W2"
    impl_names = SINGLE_CALLER_IMPLS

    def rows(self) -> list[Row]:
        count = self.config.w2_items
        return [Row("W2", "W2", f"get_items() of {count} items", self.impl_names)]

    async def setup(self, bench: Bench, impl: Impl) -> None:
        await prefill(impl.open(bench.client, "w2"), alternating(self.config.w2_items))
        self.memory_sessions["W2", impl.name] = ["w2"]

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        session = impl.open(client, "w2")
        return [Phase("W2", lambda _i: session.get_items(), ops)]

    async def verify(self, bench: Bench, impl: Impl) -> None:
        items = await impl.open(bench.client, "w2").get_items()
        expected = alternating(self.config.w2_items)
        bench.check("W2", impl.name, items == expected, f"{len(items)} items read back")


def _latest(session: BenchSession, limit: int) -> Op:
    return lambda _index: session.get_items(limit)


def size_label(count: int) -> str:
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


class GetLatest(Workload):
    """W3: ``get_items(limit=10)`` on a long session: the cost must not grow with its length."""

    name = "W3"
    impl_names = SINGLE_CALLER_IMPLS

    def row_id(self, count: int) -> str:
        return f"W3@{size_label(count)}"

    def rows(self) -> list[Row]:
        return [
            Row(self.row_id(count), "W3", f"get_items(limit=10) of {count:,}", self.impl_names)
            for count in self.config.w3_sizes
        ]

    async def setup(self, bench: Bench, impl: Impl) -> None:
        for count in self.config.w3_sizes:
            session_id = f"w3-{count}"
            await prefill(impl.open(bench.client, session_id), alternating(count))
            self.memory_sessions[self.row_id(count), impl.name] = [session_id]

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        phases = []
        for count in self.config.w3_sizes:
            session = impl.open(client, f"w3-{count}")
            phases.append(Phase(self.row_id(count), _latest(session, 10), ops))
        return phases

    async def verify(self, bench: Bench, impl: Impl) -> None:
        for count in self.config.w3_sizes:
            items = await impl.open(bench.client, f"w3-{count}").get_items(10)
            ok = items == alternating(count)[-10:]
            bench.check("W3", impl.name, ok, f"latest 10 of {count:,} read back: {ok}")


class Pop(Workload):
    """W4: ``pop_item()``, the SDK's undo; each block pops from a session refilled untimed."""

    name = "W4"
    impl_names = SINGLE_CALLER_IMPLS
    spare = 100

    def rows(self) -> list[Row]:
        return [Row("W4", "W4", "pop_item()", self.impl_names)]

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        session_id = f"w4-{tag}"
        session = impl.open(client, session_id)
        await prefill(session, alternating(ops + self.spare))
        self.memory_sessions["W4", impl.name] = [session_id]
        return [Phase("W4", lambda _i: session.pop_item(), ops)]

    async def verify(self, bench: Bench, impl: Impl) -> None:
        session = impl.open(bench.client, "w4-check")
        await prefill(session, alternating(4))
        popped = [await session.pop_item() for _ in range(5)]
        ok = popped == [*reversed(alternating(4)), None]
        bench.check("W4", impl.name, ok, f"pops newest first, then None: {ok}")


class AgentTurn(Workload):
    """W5: what ``Runner.run`` does per turn: ``get_items()``, then ``add_items`` of 3 items."""

    name = "W5"
    impl_names = ("floor", "floor-multi", "ours", "0.1.0", "sdk")

    def rows(self) -> list[Row]:
        turns = self.config.w5_turns
        return [
            Row("W5", "W5", f"turn: get_items() + add_items(3), {turns}/session", self.impl_names)
        ]

    def ops(self) -> int:
        return self.config.w5_turns

    def warmup_ops(self) -> int:
        return max(2, self.config.w5_turns // 10)

    def rounds(self) -> int:
        return self.config.w5_rounds

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        session_id = f"w5-{tag}"
        session = impl.open(client, session_id)
        self.memory_sessions["W5", impl.name] = [session_id]

        async def turn(_index: int) -> None:
            await session.get_items()
            await session.add_items(TURN)

        return [Phase("W5", turn, ops)]

    async def verify(self, bench: Bench, impl: Impl) -> None:
        session_id = f"w5-r{self.rounds() - 1}"
        items = await impl.open(bench.client, session_id).get_items()
        expected = TURN * self.ops()
        bench.check("W5", impl.name, items == expected, f"{len(items)} of {len(expected)} items")


class BigItem(Workload):
    """W7: one 256 KB tool output, added to a new session and read back."""

    name = "W7"
    impl_names = ("floor", "floor-multi", "ours", "0.1.0", "sdk")
    read_impls = ("floor", "ours", "0.1.0", "sdk")

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.previous: dict[str, list[str]] = {}

    def rows(self) -> list[Row]:
        return [
            Row(
                "W7-add", "W7", "add_items([256 KB tool output]) to a new session", self.impl_names
            ),
            Row("W7-get", "W7", "get_items() of that one 256 KB item", self.read_impls),
        ]

    def ops(self) -> int:
        return self.config.w7_block

    def warmup_ops(self) -> int:
        return max(2, self.config.w7_block // 4)

    async def block(
        self, bench: Bench, impl: Impl, client: Client, tag: str, ops: int
    ) -> list[Phase]:
        # Free the previous block's 256 KB lists first, so memory stays bounded.
        await drop_sessions(bench, impl, self.previous.get(impl.name, []))
        session_ids = [f"w7-{tag}-{index}" for index in range(ops)]
        self.previous[impl.name] = session_ids
        sessions = [impl.open(client, session_id) for session_id in session_ids]
        self.memory_sessions["W7-add", impl.name] = session_ids[:1]
        phases = [Phase("W7-add", lambda i: sessions[i].add_items([BIG_OUTPUT]), ops)]
        if impl.name in self.read_impls:
            self.memory_sessions["W7-get", impl.name] = session_ids[:1]
            phases.append(Phase("W7-get", lambda i: sessions[i].get_items(), ops))
        return phases

    async def verify(self, bench: Bench, impl: Impl) -> None:
        session = impl.open(bench.client, "w7-check")
        await session.add_items([BIG_OUTPUT])
        ok = await session.get_items() == [BIG_OUTPUT]
        bench.check("W7", impl.name, ok, f"256 KB item read back intact: {ok}")


def all_workloads(config: Config) -> list[Workload]:
    return [
        AddPair(config),
        GetAll(config),
        GetLatest(config),
        Pop(config),
        AgentTurn(config),
        BigItem(config),
    ]


MEMORY_TURNS = (1, 5)


async def run_memory(bench: Bench) -> None:
    """Bytes per session by ``INFO memory``: many sessions of realistic turns, TTL on each.

    ``used_memory`` before and after writing ``memory_sessions`` sessions of one and of five
    turns (``add_items([user, assistant])`` each), so key names, expiry entries and the
    server's tables count too, as they do in a real deployment; the floor is the bare list.
    """
    config = bench.config
    # The first fill after the other workloads finds memory they freed and reuses it: a
    # throwaway fill first, so the first store measured is not favoured.
    floor = bench.impls["floor"]
    for index in range(config.memory_sessions):
        await floor.open(bench.client, f"warm-{index}").add_items(PAIR)
    # ours-direct writes exactly what ours writes: its sessions would take the same memory.
    for impl in (impl for name, impl in bench.impls.items() if name != "ours-direct"):
        for turns in MEMORY_TURNS:
            await bench.control.flushall(asynchronous=False)
            ids = [
                f"conv-{turns}-{uuid.UUID(int=index)}" for index in range(config.memory_sessions)
            ]
            before = int((await bench.control.info("memory"))["used_memory"])
            keys_before = int(await bench.control.dbsize())
            for session_id in ids:
                session = impl.open(bench.client, session_id)
                for _ in range(turns):
                    await session.add_items(PAIR)
            after = int((await bench.control.info("memory"))["used_memory"])
            keys = int(await bench.control.dbsize()) - keys_before
            bench.memory.append(
                MemoryRow(impl.name, turns, len(ids), (after - before) / len(ids), keys / len(ids))
            )
    await bench.control.flushall(asynchronous=False)
    bench.log("memory done")
