"""Turn the DynamoDB measurements into ``dynamodb.json`` and ``dynamodb.md``."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .workloads import percentile

if TYPE_CHECKING:
    from .dynamodb import Acc, Bench

# What the issue asks of "ours"; reported as met or missed, never enforced.
APPEND_LARGEST_OVER_SMALLEST = 1.2
FLOOR = "floor"
OURS = "ours"
RIVAL = "0.1.0"


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def _per(total: float, count: int, digits: int = 2) -> float | None:
    return round(total / count, digits) if count else None


def _median_ratio(ours: Sequence[float], other: Sequence[float]) -> float | None:
    """Median over rounds of ours' p50 over the other's in the same round: robust to drift."""
    pairs = [a / b for a, b in zip(ours, other, strict=False) if b]
    return round(statistics.median(pairs), 3) if pairs else None


def _entry(bench: Bench, row_id: str, workload: str, title: str, store: str) -> dict[str, Any]:
    acc: Acc = bench.acc(row_id, store)
    latencies = sorted(acc.latencies_ns)
    entry: dict[str, Any] = {
        "row": row_id,
        "workload": workload,
        "title": title,
        "store": store,
        "ops": len(latencies),
        "calls": acc.calls,
        "failures": acc.failures,
        "error": acc.error,
        "skipped": acc.skipped,
    }
    if not latencies:
        return entry
    p50 = percentile(latencies, 0.5)
    entry.update(
        p50_ms=_ms(p50),
        p95_ms=_ms(percentile(latencies, 0.95)),
        mean_ms=_ms(sum(latencies) / len(latencies)),
        round_p50_ms=[_ms(value) for value in acc.round_p50_ns],
        requests_per_op=_per(acc.traffic.requests, acc.calls),
        request_bytes_per_op=_per(acc.traffic.request_bytes, acc.calls, 0),
        response_bytes_per_op=_per(acc.traffic.response_bytes, acc.calls, 0),
        rcu_per_op=_per(acc.capacity.rcu, acc.capacity_ops),
        wcu_per_op=_per(acc.capacity.wcu, acc.capacity_ops),
        capacity_ops=acc.capacity_ops,
        unpriced_calls=dict(acc.capacity.unpriced),
    )
    if workload == "D3":
        seconds = acc.wall_ns / 1e9
        entry.update(
            turns_per_s=round(len(latencies) / seconds, 1) if seconds else None,
            items_written=acc.written,
            lost_writes=acc.lost_writes,
        )
    floor = bench.results.get((row_id, FLOOR))
    if floor is not None and floor.latencies_ns:
        entry["p50_ratio_to_floor"] = round(p50 / percentile(sorted(floor.latencies_ns), 0.5), 3)
    rival = bench.results.get((row_id, RIVAL))
    if store == OURS and rival is not None and rival.latencies_ns:
        entry["p50_ratio_to_0_1_0"] = round(p50 / percentile(sorted(rival.latencies_ns), 0.5), 3)
        entry["round_ratio_to_0_1_0_median"] = _median_ratio(acc.round_p50_ns, rival.round_p50_ns)
        if workload == "D3" and rival.wall_ns:
            ours_rate = len(latencies) / acc.wall_ns
            rival_rate = len(rival.latencies_ns) / rival.wall_ns
            entry["throughput_ratio_to_0_1_0"] = round(ours_rate / rival_rate, 3)
    return entry


def _targets(rows: list[dict[str, Any]], walls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    ours = {row["row"]: row for row in rows if row["store"] == OURS and "p50_ms" in row}
    appends = sorted(
        (row for row in ours.values() if row["workload"] == "D1"),
        key=lambda row: int(row["title"].split(" at ")[1].split()[0].replace(",", "")),
    )
    if len(appends) >= 2:
        small, large = appends[0], appends[-1]
        ratio = round(large["p50_ms"] / small["p50_ms"], 3)
        paired = _median_ratio(large["round_p50_ms"], small["round_p50_ms"])
        targets.append(
            {
                "target": f"append p50 at {large['row'][3:]} <= "
                f"{APPEND_LARGEST_OVER_SMALLEST}x at {small['row'][3:]}",
                "value": ratio,
                "paired_median": paired,
                "met": ratio <= APPEND_LARGEST_OVER_SMALLEST,
            }
        )
    for workload, what in (("D1", "append"), ("D2", "get_items(limit=10)")):
        trips = [row["requests_per_op"] for row in ours.values() if row["workload"] == workload]
        if trips:
            targets.append(
                {
                    "target": f"one request per {what}, at every size",
                    "value": max(trips),
                    "met": max(trips) == 1,
                }
            )
    both = [row for row in ours.values() if "p50_ratio_to_0_1_0" in row]
    if both:
        worst = max(row["p50_ratio_to_0_1_0"] for row in both)
        targets.append(
            {
                "target": "p50 below 0.1.0's wherever both ran",
                "value": worst,
                "met": worst < 1,
            }
        )
    held = [wall for wall in walls if wall["store"] == OURS]
    if held:
        targets.append(
            {
                "target": "no item-size wall (appends past where 0.1.0 stops)",
                "value": held[0].get("fails_at_items"),
                "met": held[0].get("fails_at_items") is None and held[0].get("error") is None,
            }
        )
    lost = [row.get("lost_writes") for row in rows if row["workload"] == "D3"]
    if lost:
        targets.append(
            {
                "target": "no lost write under 64 coroutines",
                "value": sum(value or 0 for value in lost),
                "met": all(value == 0 for value in lost),
            }
        )
    return targets


def build(bench: Bench, info: dict[str, Any]) -> dict[str, Any]:
    rows = [
        _entry(bench, row.id, row.workload, row.title, store)
        for row in bench.rows
        for store in row.impls
    ]
    stores = [
        {"name": store.name, "description": store.description, "table": store.table}
        for store in bench.stores.values()
    ]
    return {
        "machine": info,
        "stores": stores,
        "results": rows,
        "walls": bench.walls,
        "targets": _targets(rows, bench.walls),
        "checks": [
            {"workload": c.workload, "store": c.impl, "ok": c.ok, "detail": c.detail}
            for c in bench.checks
        ],
    }


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _bytes(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _row_line(row: dict[str, Any], first: bool) -> str:
    label = f"**{row['row']}** {row['title']}" if first else ""
    store = f"**{row['store']}**" if row["store"] == OURS else row["store"]
    if "p50_ms" not in row:
        why = row["skipped"] or row["error"] or "no successful call"
        return f"| {label} | {store} | {why} |" + " |" * 8
    ratio = _num(row.get("p50_ratio_to_0_1_0"))
    floor = _num(row.get("p50_ratio_to_floor"))
    failures = f" ({row['failures']} failed: {row['error']})" if row["failures"] else ""
    return (
        f"| {label} | {store}{failures} | {_num(row['p50_ms'])} | {_num(row['p95_ms'])} "
        f"| {floor} | {ratio} | {_num(row['requests_per_op'])} "
        f"| {_bytes(row['request_bytes_per_op'])} | {_bytes(row['response_bytes_per_op'])} "
        f"| {_num(row['rcu_per_op'], 1)} | {_num(row['wcu_per_op'], 1)} |"
    )


def markdown(result: dict[str, Any]) -> str:
    info = result["machine"]
    lines = [
        "# DynamoDB benchmark",
        "",
        f"`{info['command']}` ({info['mode']}), {info['started_utc']}, {info['duration_s']} s, "
        f"commit {info['git_commit']}" + (" (src modified)" if info["src_modified"] else "") + ".",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}, {info['cores']} cores ({info['cores_usable']} usable)",
        f"- {info['python']}; aiobotocore {info['aiobotocore']}, botocore {info['botocore']}; "
        f"openai-agents {info['openai_agents']}; openai-agents-session "
        f"{info['openai_agents_session']} (ours)",
        f"- Server: {info['server']} ({info['java']}), {info['server_config']}; "
        f"TTL {info['ttl_s']} s on every session",
        f"- Load average before/after: {info['load_average_before']} / "
        f"{info['load_average_after']}",
        "",
        "DynamoDB Local over loopback is not AWS: it is one JVM on the same two cores as the "
        "client, with no network and no replication, so absolute latencies say little about a "
        "region. Ratios between the stores, request counts, bytes and capacity units carry over.",
        "",
        "| store | what | table |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {store['name']} | {store['description']} | `{store['table']}` |"
        for store in result["stores"]
    ]
    lines += [
        "",
        "## Results",
        "",
        "p50/p95: latency of one call (D3: of one turn), ms. x floor: p50 over the floor's. "
        "ours / 0.1.0: ours' p50 over 0.1.0's (the median of the per-round ratios is in the "
        "JSON). Requests: HTTP requests per call, retries and conflicts included. Request and "
        "response bytes: HTTP bodies per call. RCU/WCU: capacity units AWS would bill per call, "
        "computed from the sizes of the items read and written (reads of 4 KB, eventually "
        "consistent at half price; writes of 1 KB, doubled inside a transaction).",
        "",
        "| workload | store | p50 ms | p95 ms | x floor | ours / 0.1.0 | requests "
        "| request bytes | response bytes | RCU | WCU |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    previous = None
    for row in result["results"]:
        lines.append(_row_line(row, row["row"] != previous))
        previous = row["row"]
    mix = [row for row in result["results"] if row["workload"] == "D3" and "p50_ms" in row]
    if mix:
        lines += [
            "",
            "### D3: throughput and lost writes",
            "",
            "| store | turns/s | x 0.1.0 | items written | lost writes |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {row['store']} | {_num(row['turns_per_s'], 0)} "
            f"| {_num(row.get('throughput_ratio_to_0_1_0'))} | {row['items_written']:,} "
            f"| {row['lost_writes']} |"
            for row in mix
        ]
    if result["walls"]:
        lines += [
            "",
            "## The item-size wall",
            "",
            "One session, prefilled, then one `add_items([user, assistant])` after another.",
            "",
            "| store | from | stops at | error | item bytes | request bytes of the last "
            "append that worked |",
            "| --- | ---: | ---: | --- | ---: | ---: |",
        ]
        for wall in result["walls"]:
            stops = wall.get("fails_at_items")
            stops_text = (
                f"{stops:,} items" if stops is not None else f"not by {wall['held_items']:,} items"
            )
            lines.append(
                f"| {wall['store']} | {wall['start_items']:,} | {stops_text} "
                f"| {wall.get('error') or ''} | {_bytes(wall.get('item_bytes'))} "
                f"| {_bytes(wall.get('last_append_request_bytes'))} |"
            )
    if result["targets"]:
        lines += ["", "## Targets (ours)", ""]
        for target in result["targets"]:
            paired = target.get("paired_median")
            extra = f"; median of the per-round ratios {paired}" if paired is not None else ""
            state = "met" if target["met"] else "MISSED"
            lines.append(f"- {state}: {target['target']} ({target['value']}{extra})")
    failed = [check for check in result["checks"] if not check["ok"]]
    lines += ["", "## Checks", ""]
    if failed:
        lines += [f"- FAILED {c['workload']} {c['store']}: {c['detail']}" for c in failed]
    else:
        lines.append(f"All {len(result['checks'])} correctness checks passed.")
    return "\n".join(lines) + "\n"


def write(result: dict[str, Any], out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "dynamodb.json", "md": out / "dynamodb.md"}
    paths["json"].write_text(json.dumps(result, indent=2) + "\n")
    paths["md"].write_text(markdown(result))
    return paths
