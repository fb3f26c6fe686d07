"""The benchmark suite's quick mode runs end to end, writes its report and loses no write.

Numbers are not checked here: they depend on the machine. ``make bench`` is the real run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STORES = {"floor", "floor-multi", "ours", "0.1.0", "sdk"}


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

    w6 = [entry for entry in report["results"] if entry["workload"] == "W6"]
    assert {entry["impl"] for entry in w6} == STORES
    for entry in w6:
        assert entry["items_written"] > 0, entry
        assert entry["lost_writes"] == 0, entry
    assert "No store lost a write" in markdown


def test_quick_operations_benchmark_writes_its_report(tmp_path: Path) -> None:
    """Listing, info, export, import and migration at (small) scale run end to end."""
    command = [sys.executable, "-m", "benchmarks.operations", "--quick", "--out", str(tmp_path)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=100, check=False
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    report = json.loads((tmp_path / "operations.json").read_text())
    assert len(report["results"]) == 6
    assert "migrate from SDK SQLiteSession" in (tmp_path / "operations.md").read_text()
