"""The benchmark suite's quick mode runs end to end, writes its report and loses no write.

Numbers are not checked here: they depend on the machine. ``make bench`` is the real run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STORES = {"floor", "floor-multi", "ours", "ours-direct", "0.1.0", "sdk"}


def test_quick_benchmark_writes_report_and_loses_no_write(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "benchmarks", "--quick", "--no-chart", "--out", str(tmp_path)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=100, check=False
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"

    markdown = (tmp_path / "latest.md").read_text()
    assert "| workload | store | p50 us |" in markdown
    assert "## Targets (ours)" in markdown
    report = json.loads((tmp_path / "latest.json").read_text())
    assert {entry["impl"] for entry in report["results"]} == STORES

    for row in ("W6", "W6-256"):
        concurrent = [entry for entry in report["results"] if entry["row"] == row]
        assert {entry["impl"] for entry in concurrent} == STORES
        for entry in concurrent:
            assert entry["items_written"] > 0, entry
            assert entry["lost_writes"] == 0, entry
        # Only ours coalesces; every call it made is counted, alone or in a batch.
        (ours,) = [entry for entry in concurrent if entry["impl"] == "ours"]
        assert ours["coalescing"]["direct"] + ours["coalescing"]["coalesced"] == 2 * ours["ops"]
        assert all("coalescing" not in entry for entry in concurrent if entry is not ours)
    assert "No store lost a write" in markdown
    assert "## Coalescing: how ours sent its calls" in markdown


def test_quick_operations_benchmark_runs_redis_and_dynamodb_side_by_side(tmp_path: Path) -> None:
    """Listing, export, import and migration at (small) scale run on Redis and DynamoDB.

    DynamoDB's rows count the requests sent and are priced in capacity units.
    """
    command = [sys.executable, "-m", "benchmarks.operations", "--quick", "--out", str(tmp_path)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=100, check=False
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    report = json.loads((tmp_path / "operations.json").read_text())
    assert len(report["results"]) == 6
    rows = {(row["operation"], row["backend"]): row for row in report["side_by_side"]}
    operations = {operation for operation, _backend in rows}
    assert len(operations) == 8
    assert ("migrate from 0.1.0's DynamoDB table", "dynamodb") in rows
    for operation in operations - {"migrate from 0.1.0's DynamoDB table"}:
        assert rows[operation, "redis"]["sessions"] == rows[operation, "dynamodb"]["sessions"]
    for (_operation, backend), row in rows.items():
        assert row["seconds"] > 0 and row["rate"] > 0, row
        if backend == "dynamodb":
            assert row["requests"] > 0 and row["rcu_per_session"] > 0, row
            assert row["wcu_per_session"] is not None, row
    # An import is one read of the target's META (1 RCU) and one transaction of META and
    # both items (2 WCU per KB each); a re-import reads META only and writes nothing.
    from benchmarks.operations_stores import QUICK

    imported = rows[f"import {QUICK.sessions} sessions", "dynamodb"]
    # ... and one DescribeTable: a store checks its table's layout on its first call.
    assert imported["requests"] == 2 * imported["sessions"] + 1
    assert (imported["rcu_per_session"], imported["wcu_per_session"]) == (1, 6)
    skipped = rows[f"import {QUICK.sessions} again: all present, skipped", "dynamodb"]
    assert skipped["requests"] == skipped["sessions"] and skipped["wcu_per_session"] == 0
    markdown = (tmp_path / "operations.md").read_text()
    assert "migrate from SDK SQLiteSession" in markdown
    assert "## Redis and DynamoDB side by side" in markdown


def test_quick_dynamodb_benchmark_compares_both_stores_and_finds_the_wall(tmp_path: Path) -> None:
    """DynamoDB Local, ours and 0.1.0: every row measured and priced, nothing lost, 0.1.0's wall."""
    command = [sys.executable, "-m", "benchmarks.dynamodb", "--quick", "--out", str(tmp_path)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=100, check=False
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"

    report = json.loads((tmp_path / "dynamodb.json").read_text())
    rows = {(entry["row"], entry["store"]): entry for entry in report["results"]}
    assert set(rows) == {
        (row, store)
        for row in ("D1@10", "D1@100", "D2@10", "D2@100", "D3")
        for store in ("floor", "ours", "0.1.0")
    }
    for entry in rows.values():
        assert entry["ops"] > 0 and entry["failures"] == 0, entry
        assert entry["requests_per_op"] >= 1 and entry["request_bytes_per_op"] > 0, entry
        assert entry["rcu_per_op"] is not None and entry["wcu_per_op"] is not None, entry
    # Our append is one transaction of META and two items (2 WCU per KB each), read-free;
    # 0.1.0 reads the whole session (GetItem) and writes it back (PutItem).
    assert rows["D1@100", "ours"]["requests_per_op"] == 1
    assert rows["D1@100", "ours"]["wcu_per_op"] == 6
    assert rows["D1@100", "ours"]["rcu_per_op"] == 0
    assert rows["D1@100", "0.1.0"]["requests_per_op"] == 2
    assert rows["D1@100", "0.1.0"]["wcu_per_op"] > 40  # the whole ~42 KB item, rewritten
    for store in ("floor", "ours", "0.1.0"):
        assert rows["D3", store]["items_written"] > 0
        assert rows["D3", store]["lost_writes"] == 0

    (wall,) = report["walls"]
    assert wall["store"] == "0.1.0" and wall["fails_at_items"] is not None
    assert "Item size has exceeded the maximum allowed size" in wall["error"]
    assert 400 * 1024 - 2048 < wall["item_bytes"] <= 400 * 1024

    markdown = (tmp_path / "dynamodb.md").read_text()
    assert "| workload | store | p50 ms | p95 ms | x floor | ours / 0.1.0 |" in markdown
    assert "## Targets (ours)" in markdown
    assert "correctness checks passed" in markdown


def test_one_only_serves_every_suite_and_a_typo_is_refused() -> None:
    """`make bench BENCH_ARGS="--only W1,D1"` runs W1 in one suite and D1 in another."""
    import argparse

    from benchmarks.selection import SUITES, selected

    parser = argparse.ArgumentParser()
    assert selected(parser, "w1,D1", SUITES["benchmarks"]) == ["W1"]
    assert selected(parser, "W6,w6-256", SUITES["benchmarks"]) == ["W6", "W6-256"]
    assert selected(parser, "w1,D1", SUITES["benchmarks.dynamodb"]) == ["D1"]
    assert selected(parser, "W1", SUITES["benchmarks.operations"]) == []
    assert selected(parser, None, SUITES["benchmarks.operations"]) == ["OPS"]
    with pytest.raises(SystemExit):
        selected(parser, "W1,W9", SUITES["benchmarks"])
