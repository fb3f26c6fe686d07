"""Run the benchmark against one private redis-server and write the report.

``python -m benchmarks`` (what ``make bench`` runs) or ``python -m benchmarks --quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import gc
import importlib
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis.asyncio as redis_asyncio
import redis.asyncio.connection as redis_connection

from . import report
from .concurrency import concurrency_rows, run_concurrency
from .impls import FLOOR_SCRIPT, REPO, TTL_S, build_impls, compat_dir_from_env, discover_keys
from .selection import SUITES, only_option, selected
from .workloads import (
    FULL,
    QUICK,
    Bench,
    Config,
    CountingConnection,
    all_workloads,
    calibrate_info_overhead,
    run_memory,
    run_workload,
)

DEFAULT_OUT = REPO / "benchmarks" / "results"
WORKLOAD_NAMES = SUITES["benchmarks"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts: a smoke run in seconds, not minutes"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where latest.md/.json/.png go (default: benchmarks/results, or its quick/ folder"
        " with --quick, which git ignores: a smoke run never replaces the committed results)",
    )
    parser.add_argument(
        "--compat-0-1-0",
        type=Path,
        default=None,
        help="folder holding the published 0.1.0 (default: $OAS_COMPAT_0_1_0, else "
        ".venv/compat/0.1.0)",
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    only_option(parser, "W1,W6")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = DEFAULT_OUT / "quick" if args.quick else DEFAULT_OUT
    args.only = selected(parser, args.only, WORKLOAD_NAMES)
    return args


def _servers_module() -> Any:
    """The test suite's server helpers: the benchmark starts redis-server the same way."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("servers")


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() or "unknown"


def _src_modified() -> bool | None:
    """Whether src/ differs from the commit (read-only: ``git diff --quiet``)."""
    try:
        result = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", "src"],
            cwd=REPO,
            capture_output=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {0: False, 1: True}.get(result.returncode)


def machine_info(server_info: dict[str, Any], argv: Sequence[str]) -> dict[str, Any]:
    """Where and how the numbers were taken, so a reader can tell two runs apart."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "redis_py": _version("redis"),
        "hiredis": _version("hiredis"),
        "parser": redis_connection.DefaultParser.__name__,
        "orjson": _version("orjson"),
        "openai_agents": _version("openai-agents"),
        "openai_agents_session": _version("openai-agents-session"),
        "git_commit": _git_commit(),
        "src_modified": _src_modified(),
        "server": (
            f"valkey {server_info['valkey_version']}"
            if "valkey_version" in server_info
            else f"redis {server_info['redis_version']}"
        ),
        "server_config": "private, 127.0.0.1, no persistence (save '', appendonly no)",
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "ttl_s": TTL_S,
    }


async def _run(server: Any, config: Config, args: argparse.Namespace, log: Any) -> Bench:
    host, port = server.host, server.port
    client = redis_asyncio.Redis(
        host=host, port=port, max_connections=config.w6_workers, socket_timeout=60
    )
    control = redis_asyncio.Redis(host=host, port=port, socket_timeout=120)
    # W6-256's client: room for 256 coroutines that each hold a connection (uncoalesced).
    wide = redis_asyncio.Redis(
        host=host, port=port, max_connections=config.w6_wide_pool, socket_timeout=60
    )
    counting = redis_asyncio.Redis.from_pool(
        redis_asyncio.ConnectionPool(
            connection_class=CountingConnection, host=host, port=port, socket_timeout=60
        )
    )
    try:
        sha = await control.script_load(FLOOR_SCRIPT)
        compat = args.compat_0_1_0 or compat_dir_from_env()
        impls = {
            name: await discover_keys(impl, client, control)
            for name, impl in build_impls(sha, compat).items()
        }
        bench = Bench(
            client=client,
            control=control,
            counting=counting,
            impls=impls,
            config=config,
            log=log,
            host=host,
            port=port,
        )
        bench.info_overhead = await calibrate_info_overhead(control)
        # Everything imported so far lives on in the permanent generation: the collector then
        # scans only what the stores allocate, for each of them alike.
        gc.collect()
        gc.freeze()
        for workload in all_workloads(config):
            if workload.name in args.only:
                await run_workload(bench, workload)
            if workload.name == "W5":  # report order: W6 after W5, before W7
                for row in concurrency_rows(bench, wide):
                    if row.name in args.only:
                        await run_concurrency(bench, row)
        if "MEM" in args.only:
            await run_memory(bench)
        return bench
    finally:
        await counting.aclose()
        await wide.aclose()
        await control.aclose()
        await client.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; exit 1 when a store failed a correctness check (lost writes included)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    config = QUICK if args.quick else FULL

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    began = dt.datetime.now(dt.timezone.utc)
    load_before = os.getloadavg()
    servers = _servers_module()
    with tempfile.TemporaryDirectory(prefix="oas-bench-") as workdir:
        server = servers.start_redis(Path(workdir) / "redis")
        try:
            log(f"redis-server {servers.server_version(server)} on port {server.port}")
            server_info = server.info("server")
            bench = asyncio.run(_run(server, config, args, log))
        finally:
            server.stop()
    info = machine_info(server_info, argv)
    info["mode"] = "quick" if args.quick else "full"
    info["started_utc"] = began.isoformat(timespec="seconds")
    info["duration_s"] = round(time.monotonic() - started, 1)
    info["load_average_before"] = [round(value, 2) for value in load_before]
    info["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    info["config"] = dataclasses.asdict(config)
    result = report.build(bench, info)
    paths = report.write(result, args.out, chart_wanted=not args.no_chart, log=log)
    print(paths["md"].read_text())
    log("wrote " + ", ".join(str(path) for path in paths.values()))
    return 0 if all(check.ok for check in bench.checks) else 1
