"""``python -m benchmarks.dynamodb_contention``: many DynamoDB writers appending to one session.

Starts its own DynamoDB Local (in-memory, telemetry off) on a free loopback port, then runs
``--writers`` writers, each with a client of its own, appending ``--batches`` batches of two
items to one session id, and prints how long that took, how many transactions each append
sent (1 = no lost race) and the append latencies; it checks that nothing was lost and each
writer's order was kept.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _servers_module() -> Any:
    """The test suite's DynamoDB Local helpers: started the same way, telemetry off."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("dynamodb_servers")


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(endpoint_url: str, writers: int, batches: int) -> dict[str, Any]:
    from aiobotocore.session import AioSession

    from openai_agents_session.dynamodb import DynamoDBSession, create_table_if_not_exists

    servers = _servers_module()
    options = {
        "region_name": servers.REGION,
        "endpoint_url": endpoint_url,
        "aws_access_key_id": servers.ACCESS_KEY_ID,
        "aws_secret_access_key": servers.SECRET_ACCESS_KEY,
    }
    table, session_id = f"bench-{uuid.uuid4().hex[:8]}", "shared"
    factory = AioSession()
    async with factory.create_client("dynamodb", **options) as admin:
        await create_table_if_not_exists(admin, table)
    attempts: list[int] = []
    latencies: list[float] = []

    async def write(writer: int) -> None:
        async with factory.create_client("dynamodb", **options) as client:
            sent = 0
            send = client.transact_write_items

            async def counted(**kwargs: Any) -> Any:
                nonlocal sent
                sent += 1
                return await send(**kwargs)

            client.transact_write_items = counted  # type: ignore[method-assign]
            session = DynamoDBSession(session_id, client, table)
            for batch in range(batches):
                sent = 0
                started = time.perf_counter()
                pair: list[Any] = [
                    {"w": writer, "b": batch, "i": 0},
                    {"w": writer, "b": batch, "i": 1},
                ]
                await session.add_items(pair)
                latencies.append(time.perf_counter() - started)
                attempts.append(sent)

    started = time.perf_counter()
    await asyncio.gather(*(write(writer) for writer in range(writers)))
    elapsed = time.perf_counter() - started
    async with factory.create_client("dynamodb", **options) as client:
        items: list[Any] = await DynamoDBSession(session_id, client, table).get_items()
        await client.delete_table(TableName=table)
    assert len(items) == writers * batches * 2, len(items)
    for writer in range(writers):
        mine = [(item["b"], item["i"]) for item in items if item["w"] == writer]
        assert mine == [(b, i) for b in range(batches) for i in (0, 1)], writer
    return {
        "writers x batches": f"{writers} x {batches}",
        "seconds": round(elapsed, 1),
        "appends per second": round(len(attempts) / elapsed, 1),
        "transactions per append (mean, p50, p99, max)": (
            round(statistics.mean(attempts), 1),
            _quantile([float(a) for a in attempts], 0.5),
            _quantile([float(a) for a in attempts], 0.99),
            max(attempts),
        ),
        "append seconds (p50, p99, max)": tuple(
            round(value, 2)
            for value in (
                _quantile(latencies, 0.5),
                _quantile(latencies, 0.99),
                max(latencies),
            )
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the contention benchmark once and print its numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dynamodb_contention")
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        server = _servers_module().start_dynamodb_local(Path(workdir))
        try:
            result = asyncio.run(_run(server.endpoint_url, args.writers, args.batches))
        finally:
            server.stop()
    for name, value in result.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
