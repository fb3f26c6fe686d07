"""DynamoDB workloads on DynamoDB Local: ours and 0.1.0's ``DynamoDBSession``, interleaved.

``python -m benchmarks.dynamodb [--quick]`` (run by ``make bench``) starts its own DynamoDB Local
on a free loopback port, creates one table per store (each as its library creates it), runs
the workloads below in rounds that alternate the stores, and writes
``benchmarks/results/dynamodb.{md,json}``:

- D1: ``add_items([user, assistant])`` on a session of 10 / 100 / 1,000 / 10,000 items; two
  untimed pops after each append keep the session at its size.
- D2: ``get_items(limit=10)`` of such a session.
- D3: 64 coroutines on one client, each owning 4 of 256 sessions, running turns of
  ``get_items(limit=20)`` + ``add_items([user, assistant])`` for a fixed time.
- WALL: appends to one session until the store refuses one (0.1.0 keeps a session in one
  item, which DynamoDB caps at 400 KB).

Per operation: p50/p95 latency, HTTP requests and their bytes (counted on the timed client),
and the RCU/WCU AWS would bill, computed from item sizes on a separate accounting client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import importlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession

from openai_agents_session.dynamodb import DynamoDBSession, create_table_if_not_exists

from . import dynamodb_report
from .capacity import item_size
from .dynamodb_floor import TransactionFloorSession
from .dynamodb_meter import Capacity, CapacityMeter, RequestCounter, Traffic
from .impls import REPO, TTL_S, BenchSession, compat_dir_from_env, load_0_1_0
from .items import PAIR, alternating
from .mix import run_turn_mix
from .run import DEFAULT_OUT, _cpu_model, _git_commit, _src_modified, _version
from .selection import SUITES, only_option, selected
from .workloads import Check, Row, percentile

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

Op = Callable[[int], Awaitable[object]]
T = TypeVar("T")
WORKLOAD_NAMES = SUITES["benchmarks.dynamodb"]
FLOOR_TABLE = "bench_floor"
OURS_TABLE = "bench_ours"
OLD_TABLE = "bench_0_1_0"
# Our transaction holds 99 items; 0.1.0 takes any batch. Both prefill alike.
PREFILL_BATCH = 98


@dataclass(frozen=True)
class Config:
    """Sizes of one run; ``QUICK`` finishes in seconds, ``FULL`` in a few minutes."""

    rounds: int
    warmup: int
    block: int
    append_sizes: tuple[int, ...]
    latest_sizes: tuple[int, ...]
    mix_seconds: float
    mix_warmup_seconds: float
    mix_rounds: int
    mix_workers: int
    mix_sessions: int
    accounting_ops: int
    wall_start: int
    wall_max: int
    wall_stores: tuple[str, ...] = ("ours", "0.1.0")


# Many short rounds: a burst of load from elsewhere lands on both stores' blocks alike.
FULL = Config(
    rounds=20,
    warmup=60,
    block=25,
    append_sizes=(10, 100, 1_000, 10_000),
    latest_sizes=(100, 1_000, 10_000),
    mix_seconds=3.0,
    mix_warmup_seconds=2.0,
    mix_rounds=4,
    mix_workers=64,
    mix_sessions=256,
    accounting_ops=5,
    wall_start=900,
    wall_max=1_200,
)
# Small: seconds on an idle machine. Only 0.1.0 goes to the wall (ours needs no proof there,
# FULL's 10,000-item session is one).
QUICK = Config(
    rounds=2,
    warmup=1,
    block=3,
    append_sizes=(10, 100),
    latest_sizes=(10, 100),
    mix_seconds=0.3,
    mix_warmup_seconds=0.1,
    mix_rounds=1,
    mix_workers=16,
    mix_sessions=32,
    accounting_ops=1,
    wall_start=980,
    wall_max=994,
    wall_stores=("0.1.0",),
)


@dataclass(frozen=True)
class Store:
    """One session store: its table, its key attributes, and how to open a session."""

    name: str
    description: str
    table: str
    key_names: tuple[str, ...]
    open: Callable[[DynamoDBClient, str], BenchSession]
    # The key of the one item holding a whole session, for a store that keeps it in one.
    whole_session_key: Callable[[str], dict[str, Any]] | None = None


@dataclass
class Acc:
    """Everything measured for one (row, store) pair."""

    latencies_ns: list[int] = field(default_factory=list)
    round_p50_ns: list[int] = field(default_factory=list)
    traffic: Traffic = field(default_factory=Traffic)
    calls: int = 0
    failures: int = 0
    error: str | None = None
    skipped: str | None = None
    capacity_ops: int = 0
    capacity: Capacity = field(default_factory=Capacity)
    wall_ns: int = 0
    written: int | None = None
    lost_writes: int | None = None


@dataclass
class Bench:
    """The clients, the stores and what has been measured so far."""

    client: DynamoDBClient
    reader: DynamoDBClient
    accounting: DynamoDBClient
    counter: RequestCounter
    meter: CapacityMeter
    stores: dict[str, Store]
    config: Config
    log: Callable[[str], None]
    results: dict[tuple[str, str], Acc] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    # Why a store cannot hold a session of n items (its prefill failed), by (store, n).
    cannot_hold: dict[tuple[str, int], str] = field(default_factory=dict)
    walls: list[dict[str, Any]] = field(default_factory=list)

    def acc(self, row: str, store: str) -> Acc:
        return self.results.setdefault((row, store), Acc())

    def check(self, workload: str, store: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(workload, store, ok, detail))
        if not ok:
            self.log(f"  CHECK FAILED {workload} {store}: {detail}")


def describe(exc: BaseException) -> str:
    """One line naming the error; DynamoDB's code and message when it has them."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def rotated(items: Sequence[T], offset: int) -> list[T]:
    """The stores in round-robin order, starting at ``offset``: none always goes first."""
    shift = offset % len(items)
    return [*items[shift:], *items[:shift]]


def size_label(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def session_id_of(count: int) -> str:
    return f"h-{count}"


def build_stores(compat_dir: Path) -> dict[str, Store]:
    """Ours and 0.1.0, each in its own table; both with a TTL, as a deployment would set."""
    v010 = load_0_1_0(compat_dir, "dynamodb")

    def open_floor(client: DynamoDBClient, session_id: str) -> BenchSession:
        return TransactionFloorSession(client, FLOOR_TABLE, session_id)

    def open_ours(client: DynamoDBClient, session_id: str) -> BenchSession:
        return DynamoDBSession(session_id, client, OURS_TABLE, ttl_seconds=TTL_S)

    def open_v010(client: DynamoDBClient, session_id: str) -> BenchSession:
        session: BenchSession = v010.DynamoDBSession(
            session_id, dynamodb_client=client, table_name=OLD_TABLE, ttl_seconds=TTL_S
        )
        return session

    stores = [
        Store(
            "floor",
            "aiobotocore + orjson: one TransactWriteItems (META update + a Put per item, no "
            "condition) per append, one Query per read; the least this layout sends",
            FLOOR_TABLE,
            ("pk", "sk"),
            open_floor,
        ),
        Store(
            "ours",
            "openai_agents_session.DynamoDBSession (this tree): an item per message + META",
            OURS_TABLE,
            ("pk", "sk"),
            open_ours,
        ),
        Store(
            "0.1.0",
            "openai-agents-session 0.1.0 from PyPI: the whole session as one JSON item",
            OLD_TABLE,
            ("session_id",),
            open_v010,
            whole_session_key=lambda session_id: {"session_id": {"S": session_id}},
        ),
    ]
    return {store.name: store for store in stores}


async def create_tables(client: DynamoDBClient, compat_dir: Path) -> None:
    """Each store's table as its own library creates it (both enable DynamoDB's TTL)."""
    await create_table_if_not_exists(client, FLOOR_TABLE, enable_ttl=False)
    await create_table_if_not_exists(client, OURS_TABLE)
    await load_0_1_0(compat_dir, "dynamodb").create_table_if_not_exists(client, OLD_TABLE)


async def timed_block(
    bench: Bench, row: str, store: Store, op: Op, ops: int, between: Op | None = None
) -> None:
    """Time ``op(i)`` ``ops`` times, each alone, counting its requests; ``between`` is untimed.

    A call that raises is counted as a failure with its error, and left out of the latencies.
    """
    gc.collect()
    clock = time.perf_counter_ns
    acc = bench.acc(row, store.name)
    latencies: list[int] = []
    for index in range(ops):
        before = bench.counter.now()
        start = clock()
        try:
            await op(index)
        except Exception as exc:
            acc.failures += 1
            acc.error = acc.error or describe(exc)
        else:
            latencies.append(clock() - start)
        acc.traffic += bench.counter.now() - before
        acc.calls += 1
        if between is not None:
            await between(index)
    acc.latencies_ns.extend(latencies)
    if latencies:
        acc.round_p50_ns.append(percentile(sorted(latencies), 0.5))


async def priced(bench: Bench, row: str, store: Store, op: Op, between: Op | None = None) -> None:
    """Price ``accounting_ops`` calls of ``op`` (on the accounting client) in capacity units."""
    acc = bench.acc(row, store.name)
    for index in range(bench.config.accounting_ops):
        bench.meter.total = Capacity()
        bench.meter.enabled = True
        try:
            await op(index)
        except Exception as exc:
            acc.error = acc.error or describe(exc)
            continue
        finally:
            bench.meter.enabled = False
        acc.capacity_ops += 1
        acc.capacity.rcu += bench.meter.total.rcu
        acc.capacity.wcu += bench.meter.total.wcu
        acc.capacity.unpriced.update(bench.meter.total.unpriced)
        if between is not None:
            await between(index)


async def prefill(bench: Bench, store: Store, count: int, session_id: str) -> str | None:
    """Write ``count`` items through the store itself; the reason it could not, or None."""
    session = store.open(bench.client, session_id)
    items = alternating(count)
    for start in range(0, count, PREFILL_BATCH):
        try:
            await session.add_items(items[start : start + PREFILL_BATCH])
        except Exception as exc:
            return f"cannot hold {count:,} items: {describe(exc)} (failed at item {start:,})"
    return None


async def setup_histories(bench: Bench) -> None:
    """The long sessions D1 and D2 use, one per size and store; untimed."""
    sizes = sorted({*bench.config.append_sizes, *bench.config.latest_sizes})
    for store in bench.stores.values():
        for count in sizes:
            started = time.monotonic()
            reason = await prefill(bench, store, count, session_id_of(count))
            if reason is not None:
                bench.cannot_hold[store.name, count] = reason
                bench.log(f"  {store.name}: {reason}")
            else:
                bench.log(f"  {store.name}: {count:,} items in {time.monotonic() - started:.1f} s")


def _append_op(session: BenchSession) -> Op:
    return lambda _index: session.add_items(PAIR)


def _undo_op(session: BenchSession) -> Op:
    async def undo(_index: int) -> None:
        await session.pop_item()
        await session.pop_item()

    return undo


def _latest_op(session: BenchSession) -> Op:
    return lambda _index: session.get_items(10)


async def _open_primed(store: Store, client: DynamoDBClient, session_id: str) -> BenchSession:
    # A request reads its history before it appends (Runner.run does): ours learns its META.
    session = store.open(client, session_id)
    await session.get_items(1)
    return session


async def run_histories(bench: Bench, only: Sequence[str]) -> None:
    """D1 (appends) and D2 (latest 10) on the prefilled sessions, rounds alternating stores."""
    config = bench.config
    stores = list(bench.stores.values())
    names = tuple(bench.stores)
    plan: list[tuple[str, int]] = []
    if "D1" in only:
        plan += [("D1", count) for count in config.append_sizes]
        bench.rows += [
            Row(f"D1@{size_label(n)}", "D1", f"add_items([user, assistant]) at {n:,} items", names)
            for n in config.append_sizes
        ]
    if "D2" in only:
        plan += [("D2", count) for count in config.latest_sizes]
        bench.rows += [
            Row(f"D2@{size_label(n)}", "D2", f"get_items(limit=10) of {n:,} items", names)
            for n in config.latest_sizes
        ]
    if not plan:
        return
    started = time.monotonic()

    async def block(
        store: Store, client: DynamoDBClient, ops: int, record: bool, offset: int = 0
    ) -> None:
        # The rows rotate too: none always runs first after the other stores' blocks.
        for workload, count in rotated(plan, offset):
            row = f"{workload}@{size_label(count)}"
            reason = bench.cannot_hold.get((store.name, count))
            if reason is not None:
                bench.acc(row, store.name).skipped = reason
                continue
            session = await _open_primed(store, client, session_id_of(count))
            if workload == "D1":
                op, between = _append_op(session), _undo_op(session)
            else:
                op, between = _latest_op(session), None
            if record:
                await timed_block(bench, row, store, op, ops, between)
            else:
                for index in range(ops):
                    await op(index)
                    if between is not None:
                        await between(index)

    for store in stores:
        await block(store, bench.client, config.warmup, record=False)
    for round_index in range(config.rounds):
        for store in rotated(stores, round_index):
            await block(store, bench.client, config.block, record=True, offset=round_index)
    for store in stores:
        for workload, count in plan:
            if (store.name, count) in bench.cannot_hold:
                continue
            row = f"{workload}@{size_label(count)}"
            session = await _open_primed(store, bench.accounting, session_id_of(count))
            if workload == "D1":
                await priced(bench, row, store, _append_op(session), _undo_op(session))
            else:
                await priced(bench, row, store, _latest_op(session))
    await verify_histories(bench, plan)
    bench.log(f"D1/D2 done in {time.monotonic() - started:.1f} s")


async def verify_histories(bench: Bench, plan: Sequence[tuple[str, int]]) -> None:
    """After appends and pops, each session holds exactly what was prefilled, in order."""
    for store in bench.stores.values():
        for count in sorted({count for _workload, count in plan}):
            if (store.name, count) in bench.cannot_hold:
                continue
            session = store.open(bench.reader, session_id_of(count))
            latest = await session.get_items(10)
            every = await session.get_items()
            expected = alternating(count)
            ok = latest == expected[-10:] and every == expected
            bench.check(
                "D1/D2", store.name, ok, f"{len(every):,} of {count:,} items read back in order"
            )


async def run_mix(bench: Bench) -> None:
    """D3: many coroutines on one client, each owning its sessions; turns per second.

    Afterwards every session must hold exactly what its coroutine wrote: a store that loses
    writes under load is reported.
    """
    config = bench.config
    stores = list(bench.stores.values())
    row = "D3"
    title = (
        f"{config.mix_workers} coroutines x {config.mix_sessions} sessions: "
        "get_items(limit=20) + add_items([user, assistant])"
    )
    bench.rows.append(Row(row, "D3", title, tuple(bench.stores)))
    started = time.monotonic()
    for store in stores:
        await _mix_round(bench, store, "warm", config.mix_warmup_seconds)
    for round_index in range(config.mix_rounds):
        for store in rotated(stores, round_index):
            gc.collect()
            before = bench.counter.now()
            latencies, wall_ns, written = await _mix_round(
                bench, store, f"r{round_index}", config.mix_seconds
            )
            acc = bench.acc(row, store.name)
            acc.traffic += bench.counter.now() - before
            acc.calls += len(latencies)
            acc.latencies_ns.extend(latencies)
            acc.round_p50_ns.append(percentile(sorted(latencies), 0.5))
            acc.wall_ns += wall_ns
            lost = 0
            for session_id, count in written.items():
                stored = await store.open(bench.reader, session_id).get_items()
                lost += abs(len(stored) - count)
            acc.lost_writes = (acc.lost_writes or 0) + lost
            acc.written = (acc.written or 0) + sum(written.values())
    for store in stores:
        acc = bench.acc(row, store.name)
        bench.check(
            "D3",
            store.name,
            acc.lost_writes == 0,
            f"{acc.written} items written by {len(acc.latencies_ns)} turns, {acc.lost_writes} lost",
        )
        session = await _open_primed(store, bench.accounting, "mix-acct")

        async def turn(_index: int, session: BenchSession = session) -> None:
            await session.get_items(20)
            await session.add_items(PAIR)

        await priced(bench, row, store, turn)
    bench.log(f"D3 done in {time.monotonic() - started:.1f} s")


async def _mix_round(
    bench: Bench, store: Store, tag: str, seconds: float
) -> tuple[list[int], int, dict[str, int]]:
    config = bench.config
    session_ids = [f"mix-{tag}-{index}" for index in range(config.mix_sessions)]
    sessions = [store.open(bench.client, session_id) for session_id in session_ids]
    return await run_turn_mix(sessions, session_ids, config.mix_workers, seconds)


async def probe_walls(bench: Bench) -> None:
    """Append turns to one session from ``wall_start`` items until the store refuses one.

    0.1.0 rewrites the whole session as one item per append, and an item holds 400 KB: this
    finds the turn where it stops, the item's size then, and the bytes its last appends sent.
    """
    config = bench.config
    for store in bench.stores.values():
        if store.name not in config.wall_stores:
            continue
        session_id = f"wall-{config.wall_start}"
        reason = await prefill(bench, store, config.wall_start, session_id)
        result: dict[str, Any] = {"store": store.name, "start_items": config.wall_start}
        if reason is not None:
            result.update(fails_at_items=None, error=reason)
            bench.walls.append(result)
            continue
        session = store.open(bench.client, session_id)
        held = config.wall_start
        last_ok = Traffic()
        result.update(fails_at_items=None, error=None)
        while held < config.wall_max:
            before = bench.counter.now()
            try:
                await session.add_items(PAIR)
            except Exception as exc:
                failed = bench.counter.now() - before
                result.update(
                    fails_at_items=held,
                    error=describe(exc),
                    failed_append_request_bytes=failed.request_bytes,
                )
                break
            last_ok = bench.counter.now() - before
            held += len(PAIR)
        result["held_items"] = held
        result["last_append_request_bytes"] = last_ok.request_bytes
        result["last_append_requests"] = last_ok.requests
        if store.whole_session_key is not None:
            reply = await bench.reader.get_item(
                TableName=store.table, Key=store.whole_session_key(session_id), ConsistentRead=True
            )
            result["item_bytes"] = item_size(reply.get("Item"))
        bench.walls.append(result)
        bench.log(f"  WALL {store.name}: {result}")


def _servers_module() -> Any:
    """The test suite's DynamoDB Local helpers: the benchmark starts the server the same way."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("dynamodb_servers")


def _java_version() -> str:
    try:
        result = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (result.stderr or result.stdout).splitlines()
    return lines[0].strip() if lines else "unknown"


def machine_info(server: Any, argv: Sequence[str], config: Config) -> dict[str, Any]:
    """Where and how the numbers were taken, so a reader can tell two runs apart."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "python": f"{sys.implementation.name} {'.'.join(map(str, sys.version_info[:3]))}",
        "aiobotocore": _version("aiobotocore"),
        "botocore": _version("botocore"),
        "openai_agents": _version("openai-agents"),
        "openai_agents_session": _version("openai-agents-session"),
        "git_commit": _git_commit(),
        "src_modified": _src_modified(),
        "server": f"DynamoDB Local {server.version}",
        "java": _java_version(),
        "server_config": "in memory (-inMemory -sharedDb), -disableTelemetry, 127.0.0.1",
        "command": shlex.join(["python", "-m", "benchmarks.dynamodb", *argv]),
        "ttl_s": TTL_S,
        "config": dataclasses.asdict(config),
    }


def _client_config(pool: int) -> AioConfig:
    return AioConfig(
        max_pool_connections=pool,
        connect_timeout=10,
        read_timeout=120,
        retries={"mode": "standard", "total_max_attempts": 3},
    )


async def _run(server: Any, servers: Any, config: Config, args: argparse.Namespace) -> Bench:
    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    compat = args.compat_0_1_0 or compat_dir_from_env()
    stores = build_stores(compat)
    session = AioSession()
    options = {
        "region_name": servers.REGION,
        "endpoint_url": server.endpoint_url,
        "aws_access_key_id": servers.ACCESS_KEY_ID,
        "aws_secret_access_key": servers.SECRET_ACCESS_KEY,
    }
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            session.create_client("dynamodb", config=_client_config(config.mix_workers), **options)
        )
        reader = await stack.enter_async_context(
            session.create_client("dynamodb", config=_client_config(8), **options)
        )
        accounting = await stack.enter_async_context(
            session.create_client("dynamodb", config=_client_config(8), **options)
        )
        counter = RequestCounter()
        counter.attach(client)
        meter = CapacityMeter(reader, {store.table: store.key_names for store in stores.values()})
        meter.attach(accounting)
        await create_tables(reader, compat)
        bench = Bench(client, reader, accounting, counter, meter, stores, config, log)
        if {"D1", "D2"} & set(args.only):
            await setup_histories(bench)
        gc.collect()
        gc.freeze()
        await run_histories(bench, args.only)
        if "D3" in args.only:
            await run_mix(bench)
        if "WALL" in args.only:
            await probe_walls(bench)
        return bench


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dynamodb", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts: seconds, not minutes")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where dynamodb.md/.json go (default: benchmarks/results, or its quick/ folder"
        " with --quick, which git ignores)",
    )
    parser.add_argument(
        "--compat-0-1-0",
        type=Path,
        default=None,
        help="folder holding the published 0.1.0 (default: $OAS_COMPAT_0_1_0, else "
        ".venv/compat/0.1.0)",
    )
    only_option(parser, "D1,WALL")
    parser.add_argument("--no-chart", action="store_true", help="accepted for `make bench`")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_OUT / "quick" if args.quick else DEFAULT_OUT
    args.only = selected(parser, args.only, WORKLOAD_NAMES)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the DynamoDB workloads; exit 1 when a store failed a correctness check."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if not args.only:
        print("no DynamoDB workload selected by --only; nothing to run", file=sys.stderr)
        return 0
    config = QUICK if args.quick else FULL
    servers = _servers_module()
    started = time.monotonic()
    began = dt.datetime.now(dt.timezone.utc)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="oas-bench-dynamodb-") as workdir:
        server = servers.start_dynamodb_local(Path(workdir) / "dynamodb-local")
        try:
            print(
                f"DynamoDB Local {server.version} on port {server.port}",
                file=sys.stderr,
                flush=True,
            )
            bench = asyncio.run(_run(server, servers, config, args))
            info = machine_info(server, argv, config)
        finally:
            server.stop()
    info["mode"] = "quick" if args.quick else "full"
    info["started_utc"] = began.isoformat(timespec="seconds")
    info["duration_s"] = round(time.monotonic() - started, 1)
    info["load_average_before"] = [round(value, 2) for value in load_before]
    info["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    result = dynamodb_report.build(bench, info)
    paths = dynamodb_report.write(result, args.out)
    print(paths["md"].read_text())
    print("wrote " + ", ".join(str(path) for path in paths.values()), file=sys.stderr)
    return 0 if all(check.ok for check in bench.checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
