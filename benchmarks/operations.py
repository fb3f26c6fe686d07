"""Operations at scale: listing, inspecting, exporting, importing and migrating sessions.

``python -m benchmarks.operations [--quick]`` (run by ``make bench``) fills one private
redis-server, then runs the same operations on Redis and on a private DynamoDB Local side by
side (``operations_stores``), and reports rates, memory, DynamoDB requests and capacity units
in ``benchmarks/results/operations.{md,json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as redis_asyncio

from openai_agents_session import RedisSessionStore
from openai_agents_session.redis import SessionMetadata, SessionRecord
from openai_agents_session.sources import iter_sqlite_sessions

from . import operations_stores
from .impls import compat_dir_from_env
from .operations_stores import Row
from .run import DEFAULT_OUT, _servers_module, machine_info
from .selection import SUITES, only_option, selected

ITEM = b'{"role":"user","content":"' + b"x" * 200 + b'"}'


@dataclass
class Result:
    """One measured operation."""

    operation: str
    sessions: int
    seconds: float
    peak_traced_bytes: int | None = None

    @property
    def rate(self) -> float:
        return self.sessions / self.seconds if self.seconds else 0.0


async def fill(client: redis_asyncio.Redis, prefix: str, sessions: int, items: int) -> None:
    """Write sessions straight in the list format, many per round trip."""
    for start in range(0, sessions, 1000):
        pipe = client.pipeline(transaction=False)
        for n in range(start, min(start + 1000, sessions)):
            pipe.rpush(f"{prefix}:s{n:07d}", *([ITEM] * items))
        await pipe.execute()


async def timed(name: str, sessions: int, work: Callable[[], Awaitable[int]]) -> Result:
    started = time.perf_counter()
    done = await work()
    assert done == sessions, f"{name}: {done} of {sessions}"
    return Result(name, sessions, time.perf_counter() - started)


async def traced(name: str, sessions: int, work: Callable[[], Awaitable[int]]) -> Result:
    """Run ``work`` under tracemalloc and keep only its peak (its time is not the rate)."""
    tracemalloc.start()
    try:
        await work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Result(name, sessions, 0.0, peak)


def make_sqlite(path: Path, sessions: int, items: int) -> None:
    """An Agents SDK SQLiteSession database, written by the SDK itself."""
    from agents import SQLiteSession

    async def write() -> None:
        for n in range(sessions):
            session = SQLiteSession(f"sql-{n:06d}", str(path))
            await session.add_items([{"role": "user", "content": "x" * 200}] * items)
            session.close()

    asyncio.run(write())


async def measure(url: str, sessions: int, sqlite_path: Path, sqlite_sessions: int) -> list[Result]:
    results: list[Result] = []
    async with redis_asyncio.from_url(url, max_connections=64) as client:
        store = RedisSessionStore(client, key_prefix="bench-ops")
        await fill(client, "bench-ops", sessions, items=2)

        async def list_all() -> int:
            return sum([1 async for _ in store.list_sessions()])

        results.append(await timed(f"list {sessions:,} sessions (SCAN)", sessions, list_all))
        results.append(await traced(f"list {sessions:,} sessions: memory", sessions, list_all))

        sample = [f"s{n:07d}" for n in range(0, sessions, max(1, sessions // 2000))]

        async def info_sample() -> int:
            return len([await store.info(session_id) for session_id in sample])

        results.append(await timed("info, one after another", len(sample), info_sample))

        records: list[bytes] = []

        async def export_sample() -> int:
            for session_id in sample:
                record = await store.export_session(session_id)
                assert record is not None
                records.append(record.to_json())
            return len(records)

        results.append(await timed("export, one after another", len(sample), export_sample))

        target = RedisSessionStore(client, key_prefix="bench-ops-import")

        async def import_sample() -> int:
            written = [
                await target.import_session(SessionRecord.from_json(line)) for line in records
            ]
            return sum(written)

        results.append(await timed("import, one after another", len(records), import_sample))

        migrated = RedisSessionStore(client, key_prefix="bench-ops-migrated")

        async def migrate_sqlite() -> int:
            count = 0
            for source in iter_sqlite_sessions(sqlite_path):
                metadata = SessionMetadata(source.created_at, source.updated_at)
                record = SessionRecord(source.session_id, source.items, None, metadata)
                count += await migrated.import_session(record)
            return count

        results.append(
            await timed("migrate from SDK SQLiteSession", sqlite_sessions, migrate_sqlite)
        )
        await client.flushdb()
    return results


def side_by_side(rows: list[Row], sizes: operations_stores.Sizes) -> list[str]:
    """The Redis and DynamoDB rows of each operation on one line."""
    by_name: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_name.setdefault(row.operation, {})[row.backend] = row
    lines = [
        "",
        "## Redis and DynamoDB side by side",
        "",
        f"Imports and migrations run {operations_stores.CONCURRENCY} sessions at a time; each"
        " session is a user message and a reply (~0.7 KB) with a TTL. Requests are DynamoDB"
        " HTTP requests of the timed run; RCU and WCU per session are what AWS would bill,"
        f" priced on a pass over {sizes.priced:,} sessions (a Scan: the full table's size,"
        " eventually consistent).",
        "",
        "| operation | sessions | Redis s | Redis sessions/s | DynamoDB s | DynamoDB sessions/s"
        " | DynamoDB requests | RCU/session | WCU/session |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def cells(row: Row | None) -> str:
        return f"{row.seconds:.2f} | {row.rate:,.0f}" if row else " | "

    def units(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    for name, pair in by_name.items():
        redis_row, dynamodb_row = pair.get("redis"), pair.get("dynamodb")
        sessions = (redis_row or dynamodb_row).sessions  # type: ignore[union-attr]
        requests = dynamodb_row.requests if dynamodb_row else None
        lines.append(
            f"| {name} | {sessions:,} | {cells(redis_row)} | {cells(dynamodb_row)}"
            f" | {'' if requests is None else f'{requests:,}'}"
            f" | {units(dynamodb_row.rcu_per_session if dynamodb_row else None)}"
            f" | {units(dynamodb_row.wcu_per_session if dynamodb_row else None)} |"
        )
    return lines


def write_report(
    results: list[Result],
    info: dict[str, Any],
    out: Path,
    rows: list[Row],
    sizes: operations_stores.Sizes,
) -> str:
    lines = [
        "# Operations at scale",
        "",
        f"`{info['command']}` on {info['cpu']} ({info['cores']} cores), Python {info['python']},"
        f" redis-py {info['redis_py']}, {info['server']}.",
        "",
        "| operation | sessions | seconds | sessions/s | peak traced memory |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        peak = f"{result.peak_traced_bytes / 1024:,.0f} KiB" if result.peak_traced_bytes else ""
        seconds = f"{result.seconds:.2f}" if result.seconds else ""
        rate = f"{result.rate:,.0f}" if result.seconds else ""
        lines.append(f"| {result.operation} | {result.sessions:,} | {seconds} | {rate} | {peak} |")
    lines += side_by_side(rows, sizes)
    lines += [
        "",
        f"DynamoDB: {info.get('dynamodb_server', 'unknown')}, loopback. Load average (1, 5,"
        f" 15 min) before the run {info.get('load_average_before')},"
        f" after {info.get('load_average_after')}.",
    ]
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "operations.md").write_text(text)
    payload = {
        "machine": info,
        "results": [asdict(r) | {"rate": r.rate} for r in results],
        "side_by_side": [asdict(row) | {"rate": row.rate} for row in rows],
    }
    (out / "operations.json").write_text(json.dumps(payload, indent=2) + "\n")
    return text


def _dynamodb_servers_module() -> Any:
    """The test suite's DynamoDB Local helpers (``tests/dynamodb_servers.py``)."""
    from .dynamodb import _servers_module as dynamodb_servers

    return dynamodb_servers()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.operations", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts, seconds not minutes")
    parser.add_argument("--out", type=Path, default=None)
    only_option(parser, "OPS")
    args = parser.parse_args(argv)
    if not selected(parser, args.only, SUITES["benchmarks.operations"]):
        print("no operations workload selected by --only; nothing to run", file=sys.stderr)
        return 0
    out = args.out or (DEFAULT_OUT / "quick" if args.quick else DEFAULT_OUT)
    sizes = operations_stores.QUICK if args.quick else operations_stores.FULL
    sessions, sqlite_sessions = (500, sizes.migrated) if args.quick else (100_000, sizes.migrated)
    servers = _servers_module()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as workdir:
        sqlite_path = Path(workdir) / "sdk.db"
        make_sqlite(sqlite_path, sqlite_sessions, items=10)
        server = servers.start_redis(Path(workdir) / "redis")
        try:
            results = asyncio.run(measure(server.url, sessions, sqlite_path, sqlite_sessions))
            rows = asyncio.run(operations_stores.redis_rows(server.url, sizes, sqlite_path))
            server_info = server.info("server")
        finally:
            server.stop()
        dynamodb_servers = _dynamodb_servers_module()
        local = dynamodb_servers.start_dynamodb_local(Path(workdir) / "dynamodb-local")
        try:
            rows += asyncio.run(
                operations_stores.dynamodb_rows(
                    local, dynamodb_servers, sizes, sqlite_path, compat_dir_from_env()
                )
            )
        finally:
            local.stop()
    info = machine_info(server_info, [])
    info["dynamodb_server"] = f"DynamoDB Local {local.version}, in memory, -disableTelemetry"
    info["load_average_before"] = [round(value, 2) for value in load_before]
    info["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    info["command"] = shlex.join(["python", "-m", "benchmarks.operations", *(argv or sys.argv[1:])])
    print(write_report(results, info, out, rows, sizes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
