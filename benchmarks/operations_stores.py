"""The same store operations on Redis and on DynamoDB, side by side, at 10,000 sessions.

Each backend runs one workload through its ``SessionStore``: import every session (then
import them all again, every one skipped as present), list and count them, page through
one owner's sessions, export them all, and migrate an SDK ``SQLiteSession`` database into
a fresh namespace; DynamoDB also migrates a table written by 0.1.0's own ``DynamoDBSession``.
Imports and migrations run ``CONCURRENCY`` sessions at a time, as the CLI does.

On DynamoDB the timed client counts its HTTP requests (``dynamodb_meter.RequestCounter``);
capacity units come from a second, untimed pass of the same operations over a small table
on an accounting client (``dynamodb_meter.CapacityMeter``). A Scan is priced from the size
of every item in the table (it bills for all it reads, messages included), eventually
consistent: ``list``, ``count`` and ``export`` carry that cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis_asyncio
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession

from openai_agents_session import RedisSessionStore
from openai_agents_session._store import SessionMetadata, SessionRecord
from openai_agents_session.dynamodb import DynamoDBSessionStore, create_table_if_not_exists
from openai_agents_session.sources import iter_sqlite_sessions
from openai_agents_session.sources._dynamodb_0_1_0 import iter_v010_dynamodb_sessions

from .capacity import item_size, read_units
from .dynamodb_meter import CapacityMeter, RequestCounter
from .impls import load_0_1_0

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

    from openai_agents_session._store import SessionStore

CONCURRENCY = 16
OWNER = "bench-owner"
TTL_S = 3600
USER = {"role": "user", "content": "x" * 200}
ASSISTANT = {"role": "assistant", "content": "y" * 400}


@dataclass(frozen=True)
class Sizes:
    """How many sessions each operation handles."""

    sessions: int
    owned: int
    page: int
    migrated: int
    priced: int


FULL = Sizes(sessions=10_000, owned=1_000, page=20, migrated=2_000, priced=100)
QUICK = Sizes(sessions=50, owned=30, page=10, migrated=20, priced=5)


@dataclass
class Row:
    """One operation on one backend: its time and, on DynamoDB, what it sent and would cost."""

    operation: str
    backend: str
    sessions: int
    seconds: float
    requests: int | None = None
    rcu_per_session: float | None = None
    wcu_per_session: float | None = None

    @property
    def rate(self) -> float:
        return self.sessions / self.seconds if self.seconds else 0.0


Work = Callable[[], Awaitable[int]]


def record(n: int, sizes: Sizes) -> SessionRecord:
    """Session ``n``: a user message and a reply; the first ``owned`` belong to OWNER."""
    owner = OWNER if n < sizes.owned else None
    now = time.time()
    metadata = SessionMetadata(now, now, owner=owner)
    return SessionRecord(f"s{n:07d}", [USER, ASSISTANT], TTL_S, metadata)  # type: ignore[list-item]


async def bounded(
    records: Iterable[SessionRecord] | AsyncIterator[SessionRecord], write: Any
) -> int:
    """Write every record, CONCURRENCY at a time; return how many were written."""
    limit = asyncio.Semaphore(CONCURRENCY)
    tasks: list[asyncio.Task[bool]] = []

    async def one(item: SessionRecord) -> bool:
        try:
            return bool(await write(item))
        finally:
            limit.release()

    async def spawn(item: SessionRecord) -> None:
        await limit.acquire()
        tasks.append(asyncio.create_task(one(item)))

    if isinstance(records, AsyncIterator):
        async for item in records:
            await spawn(item)
    else:
        for item in records:
            await spawn(item)
    return sum(await asyncio.gather(*tasks))


async def sqlite_records(path: Path, limit: int) -> AsyncIterator[SessionRecord]:
    ids = [sqlite_id(n) for n in range(limit)]
    for source in iter_sqlite_sessions(path, session_ids=ids):
        metadata = SessionMetadata(source.created_at, source.updated_at)
        yield SessionRecord(source.session_id, source.items, source.ttl_seconds, metadata)


async def v010_records(client: DynamoDBClient, table: str) -> AsyncIterator[SessionRecord]:
    async for read in iter_v010_dynamodb_sessions(client, table):
        source = read.session
        metadata = SessionMetadata(source.created_at, source.updated_at)
        yield SessionRecord(source.session_id, source.items, source.ttl_seconds, metadata)


def sqlite_id(n: int) -> str:
    """The id of the SDK SQLiteSession number ``n`` (``operations.make_sqlite`` names them)."""
    return f"sql-{n:06d}"


def operations(
    store: SessionStore,
    migrated: SessionStore,
    sizes: Sizes,
    sqlite_path: Path,
    count: int,
) -> list[tuple[str, int, Work]]:
    """(operation, sessions, work) in the order they run; each work returns what it handled."""
    records = [record(n, sizes) for n in range(count)]
    owned = min(sizes.owned, count)

    async def import_all() -> int:
        return await bounded(records, store.import_session)

    async def reimport_all() -> int:
        written = await bounded(records, store.import_session)
        assert written == 0, f"re-import wrote {written} sessions; expected all skipped"
        return count

    async def list_all() -> int:
        return sum([1 async for _ in store.list_sessions()])

    async def count_all() -> int:
        return await store.count_sessions()

    async def owner_pages() -> int:
        seen, cursor = 0, None
        while True:
            page = await store.owner_page(OWNER, cursor=cursor, count=sizes.page)
            seen += len(page.sessions)
            cursor = page.cursor
            if cursor is None:
                return seen

    async def export_all() -> int:
        return sum([1 async for _ in store.export()])

    async def migrate_sqlite() -> int:
        return await bounded(sqlite_records(sqlite_path, sizes.migrated), migrated.import_session)

    return [
        (f"import {count:,} sessions", count, import_all),
        (f"import {count:,} again: all present, skipped", count, reimport_all),
        (f"list {count:,} sessions", count, list_all),
        (f"count {count:,} sessions", count, count_all),
        (f"owner pages of {sizes.page} over {owned:,} owned sessions", owned, owner_pages),
        (f"export {count:,} sessions", count, export_all),
        ("migrate from SDK SQLiteSession", sizes.migrated, migrate_sqlite),
    ]


async def run_timed(
    backend: str, ops: list[tuple[str, int, Work]], counter: RequestCounter | None
) -> list[Row]:
    rows = []
    for name, sessions, work in ops:
        before = counter.now() if counter else None
        started = time.perf_counter()
        done = await work()
        seconds = time.perf_counter() - started
        assert done == sessions, f"{backend} {name}: {done} of {sessions}"
        requests = (counter.now() - before).requests if counter and before else None
        rows.append(Row(name, backend, sessions, seconds, requests))
    return rows


async def redis_rows(url: str, sizes: Sizes, sqlite_path: Path) -> list[Row]:
    """The workload on Redis, under prefixes of its own; deletes what it wrote."""
    async with redis_asyncio.from_url(url, max_connections=64) as client:
        store = RedisSessionStore(client, key_prefix="bench-side")
        migrated = RedisSessionStore(client, key_prefix="bench-side-migrated")
        ops = operations(store, migrated, sizes, sqlite_path, sizes.sessions)
        rows = await run_timed("redis", ops, None)
        await client.flushdb()
    return rows


def client_options(server: Any, servers: Any) -> dict[str, Any]:
    return {
        "region_name": servers.REGION,
        "endpoint_url": server.endpoint_url,
        "aws_access_key_id": servers.ACCESS_KEY_ID,
        "aws_secret_access_key": servers.SECRET_ACCESS_KEY,
        "config": AioConfig(
            max_pool_connections=64,
            connect_timeout=10,
            read_timeout=120,
            retries={"mode": "standard", "total_max_attempts": 3},
        ),
    }


async def write_v010_table(
    client: DynamoDBClient, compat_dir: Path, table: str, sessions: int
) -> None:
    """A 0.1.0 table written by 0.1.0's own helper and DynamoDBSession, one turn per session."""
    v010 = load_0_1_0(compat_dir, "dynamodb")
    await v010.create_table_if_not_exists(client, table, enable_ttl=False)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with limit:
            session = v010.DynamoDBSession(
                f"v010-{n:06d}", dynamodb_client=client, table_name=table, ttl_seconds=TTL_S
            )
            await session.add_items([USER, ASSISTANT])

    await asyncio.gather(*(one(n) for n in range(sessions)))


async def table_scan_rcu(client: DynamoDBClient, table: str) -> float:
    """What one eventually consistent Scan of the whole table costs: every item's size."""
    sizes: list[int] = []
    start: Any = None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = await client.scan(TableName=table, **extra)
        sizes += [item_size(item) for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return read_units(sizes, consistent=False)


async def dynamodb_rows(
    server: Any, servers: Any, sizes: Sizes, sqlite_path: Path, compat_dir: Path
) -> list[Row]:
    """The workload on DynamoDB Local, timed with request counts, then priced on a sample."""
    session = AioSession()
    options = client_options(server, servers)
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(session.create_client("dynamodb", **options))
        reader = await stack.enter_async_context(session.create_client("dynamodb", **options))
        accounting = await stack.enter_async_context(session.create_client("dynamodb", **options))
        tables = ("ops_main", "ops_migrated", "ops_from_v010")
        priced_tables = ("ops_priced", "ops_priced_mig", "ops_priced_from_v010")
        for table in tables + priced_tables:
            await create_table_if_not_exists(reader, table)
        await write_v010_table(reader, compat_dir, "ops_v010", sizes.migrated)
        await write_v010_table(reader, compat_dir, "ops_v010_priced", sizes.priced)

        counter = RequestCounter()
        counter.attach(client)
        store = DynamoDBSessionStore(client, "ops_main")
        migrated = DynamoDBSessionStore(client, "ops_migrated")
        ops = operations(store, migrated, sizes, sqlite_path, sizes.sessions)
        ops.append(v010_migration(client, "ops_v010", "ops_from_v010", sizes.migrated))
        rows = await run_timed("dynamodb", ops, counter)

        keys = dict.fromkeys(priced_tables, ("pk", "sk")) | {"ops_v010_priced": ("session_id",)}
        meter = CapacityMeter(reader, keys)
        meter.attach(accounting)
        priced = await priced_units(accounting, meter, sizes, sqlite_path)
        # What the Scans of the full-size run read: its table, or the 0.1.0 source.
        scanned = {"ops_priced": "ops_main", "ops_v010_priced": "ops_v010"}
        scan_rcu = {table: await table_scan_rcu(reader, table) for table in scanned.values()}
        for row, (rcu, wcu, scan_table) in zip(rows, priced, strict=True):
            scan = scan_rcu[scanned[scan_table]] / row.sessions if scan_table else 0.0
            row.rcu_per_session = rcu + scan
            row.wcu_per_session = wcu
    return rows


def v010_migration(
    client: DynamoDBClient, source: str, target: str, sessions: int
) -> tuple[str, int, Work]:
    """Migrate a 0.1.0 table into one of ours, as the ``migrate`` command reads it."""
    store = DynamoDBSessionStore(client, target)

    async def migrate() -> int:
        return await bounded(v010_records(client, source), store.import_session)

    return ("migrate from 0.1.0's DynamoDB table", sessions, migrate)


async def priced_units(
    accounting: DynamoDBClient, meter: CapacityMeter, sizes: Sizes, sqlite_path: Path
) -> list[tuple[float, float, str | None]]:
    """(RCU, WCU, Scanned table) per session of each operation, run over ``priced`` sessions.

    The meter does not price a Scan: the caller adds the cost of scanning the full-size
    counterpart of the table named, once per operation (each lists its table once).
    """
    store = DynamoDBSessionStore(accounting, "ops_priced")
    migrated = DynamoDBSessionStore(accounting, "ops_priced_mig")
    small = Sizes(sizes.priced, sizes.priced, sizes.page, sizes.priced, sizes.priced)
    ops = operations(store, migrated, small, sqlite_path, sizes.priced)
    ops.append(v010_migration(accounting, "ops_v010_priced", "ops_priced_from_v010", sizes.priced))
    units: list[tuple[float, float, str | None]] = []
    for name, _sessions, work in ops:
        meter.total.rcu, meter.total.wcu = 0.0, 0.0
        meter.total.unpriced.clear()
        meter.enabled = True
        handled = await work()
        meter.enabled = False
        unpriced = set(meter.total.unpriced) - {"Scan"}
        assert not unpriced, f"{name}: the meter cannot price {sorted(unpriced)}"
        scanned = None
        if meter.total.unpriced["Scan"]:
            scanned = "ops_v010_priced" if "0.1.0" in name else "ops_priced"
        units.append((meter.total.rcu / handled, meter.total.wcu / handled, scanned))
    return units
