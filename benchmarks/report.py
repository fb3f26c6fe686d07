"""Turn measurements into ``latest.json``, ``latest.md`` and ``latest.png``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .workloads import Acc, Bench, percentile

# What the issue asks of "ours"; reported as met or missed, never enforced.
P50_WITHIN_FLOOR = 1.15
P50_ROWS_AGAINST_FLOOR = ("W1", "W2", "W3", "W4", "W7")
# Coalescing must cost a lone caller nothing: ours against ours with coalesce=False.
P50_ROWS_AGAINST_DIRECT = ("W1", "W2", "W3", "W4")
W6_THROUGHPUT_OF_FLOOR = 2.0
W1_SERVER_CPU_OF_FLOOR = 1.3
ONE_TURN_MEMORY_OF_FLOOR = 1.25
W3_LARGE_OVER_SMALL = 1.2
W6_OVER_BEST_OTHER = 3.0
RIVALS = ("0.1.0", "sdk")
# Batch sizes are shown as the share of the calls sent in batches of these sizes (and up).
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


def concurrent(workload: str) -> bool:
    """W6 and W6-256: rates are turns per second of wall time, all coroutines together."""
    return workload.startswith("W6")


def _us(ns: float) -> float:
    return round(ns / 1000, 1)


def _rows(bench: Bench) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for row in bench.rows:
        direct = bench.results.get((row.id, "ours-direct"))
        floor = bench.results.get((row.id, "floor"))
        floor_p50 = percentile(sorted(floor.latencies_ns), 0.5) if floor else 0
        floor_rate = _rate(row.workload, floor) if floor else 0.0
        for impl in row.impls:
            acc = bench.results.get((row.id, impl))
            if acc is None or not acc.latencies_ns:
                continue
            latencies = sorted(acc.latencies_ns)
            ops = len(latencies)
            p50 = percentile(latencies, 0.5)
            rate = _rate(row.workload, acc)
            commandstats = {
                name: round(calls / ops, 2)
                for name, calls in sorted(acc.commandstats.items(), key=lambda kv: -kv[1])
                if calls
            }
            entry: dict[str, Any] = {
                "row": row.id,
                "workload": row.workload,
                "title": row.title,
                "impl": impl,
                "ops": ops,
                "p50_us": _us(p50),
                "p99_us": _us(percentile(latencies, 0.99)),
                "mean_us": _us(sum(latencies) / ops),
                "round_p50_us": [_us(value) for value in acc.round_p50_ns],
                "ops_per_s": round(rate, 1),
                "p50_ratio_to_floor": round(p50 / floor_p50, 3) if floor_p50 else None,
                "round_ratio_to_floor_median": _paired_ratio(acc.round_p50_ns, floor),
                "round_trips_per_op": (
                    None if acc.round_trips_per_op is None else round(acc.round_trips_per_op, 2)
                ),
                "server_commands_per_op": round(acc.commands / ops, 2),
                "server_cpu_us_per_op": round(acc.server_cpu_us / ops, 1),
                "commandstats_per_op": commandstats,
                "bytes_per_item": (
                    None if acc.bytes_per_item is None else round(acc.bytes_per_item, 1)
                ),
            }
            if concurrent(row.workload):
                entry["throughput_ratio_to_floor"] = (
                    round(rate / floor_rate, 3) if floor_rate else None
                )
                entry["items_written"] = acc.written
                entry["lost_writes"] = acc.lost_writes
            if impl == "ours" and direct is not None:
                entry["round_ratios_to_direct"] = _round_ratios(acc.round_p50_ns, direct)
            if acc.direct_calls or acc.batches:
                entry["coalescing"] = coalescing(acc.direct_calls, acc.batches)
            rows.append(entry)
    return rows


def _round_ratios(round_p50_ns: list[int], other: Acc) -> list[float]:
    """Per round, p50 over ``other``'s p50 in the same round (their blocks ran side by side)."""
    if len(other.round_p50_ns) != len(round_p50_ns):
        return []
    return [
        round(mine / theirs, 4)
        for mine, theirs in zip(round_p50_ns, other.round_p50_ns, strict=True)
        if theirs
    ]


def coalescing(direct: int, batches: Counter[int]) -> dict[str, Any]:
    """What a coalescer sent: calls alone, batches, their sizes, and a histogram of the calls."""
    coalesced = sum(size * count for size, count in batches.items())
    sizes = sorted(size for size, count in batches.items() for _ in range(count))
    shares: dict[str, float] = {}
    for index, low in enumerate(BATCH_BUCKETS):
        high = BATCH_BUCKETS[index + 1] - 1 if index + 1 < len(BATCH_BUCKETS) else None
        calls = sum(
            size * count
            for size, count in batches.items()
            if size >= low and (high is None or size <= high)
        )
        label = str(low) if high == low else (f"{low}+" if high is None else f"{low}-{high}")
        shares[label] = round(calls / coalesced, 3) if coalesced else 0.0
    return {
        "direct": direct,
        "coalesced": coalesced,
        "batches": len(sizes),
        "share_coalesced": round(coalesced / (coalesced + direct), 3),
        "mean_batch": round(coalesced / len(sizes), 2) if sizes else None,
        "batch_p50": percentile(sizes, 0.5) if sizes else None,
        "batch_p90": percentile(sizes, 0.9) if sizes else None,
        "batch_p99": percentile(sizes, 0.99) if sizes else None,
        "batch_max": sizes[-1] if sizes else None,
        "calls_by_batch_size": shares,
        "batch_sizes": {str(size): batches[size] for size in sorted(batches)},
    }


def _paired_ratio(round_p50_ns: list[int], floor: Acc | None) -> float | None:
    """Median over rounds of p50 / floor's p50 in the same round: robust to slow drift."""
    if floor is None or len(floor.round_p50_ns) != len(round_p50_ns) or not round_p50_ns:
        return None
    ratios = sorted(
        mine / theirs for mine, theirs in zip(round_p50_ns, floor.round_p50_ns, strict=True)
    )
    middle = len(ratios) // 2
    median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
    return round(median, 3)


def _rate(workload: str, acc: Acc) -> float:
    """Operations per second: of the wall clock under concurrency, else of one connection."""
    if not acc.latencies_ns:
        return 0.0
    if concurrent(workload):
        return float(len(acc.latencies_ns) * 1e9 / acc.wall_ns) if acc.wall_ns else 0.0
    return float(len(acc.latencies_ns) * 1e9 / sum(acc.latencies_ns))


def _find(rows: list[dict[str, Any]], row: str, impl: str) -> dict[str, Any] | None:
    for entry in rows:
        if entry["row"] == row and entry["impl"] == impl:
            return entry
    return None


def _target(name: str, met: bool | None, detail: str) -> dict[str, Any]:
    status = "n/a" if met is None else ("met" if met else "missed")
    return {"target": name, "status": status, "detail": detail}


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each goal of the issue for "ours", met or missed, with the numbers behind it."""
    found: list[dict[str, Any]] = []
    row_ids = list(dict.fromkeys(entry["row"] for entry in rows))
    for op, row_names in (("add", ["W1"]), ("get", ["W2", *_w3(row_ids)]), ("pop", ["W4"])):
        values = [
            (name, entry["round_trips_per_op"])
            for name in row_names
            if (entry := _find(rows, name, "ours")) is not None
        ]
        if values:
            met = all(value == 1 for _, value in values)
            detail = ", ".join(f"{name}: {value}" for name, value in values)
            found.append(_target(f"{op}: 1 round trip per call", met, detail))
    for name in row_ids:
        if not name.startswith(P50_ROWS_AGAINST_FLOOR):
            continue
        ours, floor = _find(rows, name, "ours"), _find(rows, name, "floor")
        if ours and floor:
            ratio = ours["p50_ratio_to_floor"]
            found.append(
                _target(
                    f"{name}: p50 within {P50_WITHIN_FLOOR}x of floor",
                    ratio <= P50_WITHIN_FLOOR,
                    f"{ours['p50_us']} us vs {floor['p50_us']} us = {ratio}x"
                    f" (median of per-round ratios {ours['round_ratio_to_floor_median']}x)",
                )
            )
    found += _direct_targets(rows, row_ids)
    for name in row_ids:
        ours, floor = _find(rows, name, "ours"), _find(rows, name, "floor")
        if not (ours and floor and concurrent(ours["workload"])):
            continue
        ratio = ours["throughput_ratio_to_floor"]
        found.append(
            _target(
                f"{name}: throughput >= {W6_THROUGHPUT_OF_FLOOR:g}x floor",
                ratio >= W6_THROUGHPUT_OF_FLOOR,
                f"{ours['ops_per_s']:.0f} vs {floor['ops_per_s']:.0f} turns/s = {ratio}x",
            )
        )
        others = [e for impl in ("ours-direct", "floor") if (e := _find(rows, name, impl))]
        if others:
            mine = ours["server_cpu_us_per_op"]
            found.append(
                _target(
                    f"{name}: server CPU per turn <= ours-direct and floor",
                    all(mine <= other["server_cpu_us_per_op"] for other in others),
                    f"{mine} us vs "
                    + ", ".join(f"{e['impl']} {e['server_cpu_us_per_op']} us" for e in others),
                )
            )
    ours1, floor1 = _find(rows, "W1", "ours"), _find(rows, "W1", "floor")
    if ours1 and floor1 and floor1["server_cpu_us_per_op"]:
        ratio = round(ours1["server_cpu_us_per_op"] / floor1["server_cpu_us_per_op"], 2)
        found.append(
            _target(
                f"W1: server CPU per append <= {W1_SERVER_CPU_OF_FLOOR}x floor",
                ratio <= W1_SERVER_CPU_OF_FLOOR,
                f"{ours1['server_cpu_us_per_op']} us vs {floor1['server_cpu_us_per_op']} us"
                f" = {ratio}x; {ours1['server_commands_per_op']} vs"
                f" {floor1['server_commands_per_op']} server commands per append",
            )
        )
    w3 = _w3(row_ids)
    if len(w3) == 2:
        small, large = _find(rows, w3[0], "ours"), _find(rows, w3[1], "ours")
        if small and large:
            ratio = round(large["p50_us"] / small["p50_us"], 3)
            found.append(
                _target(
                    f"{w3[1]} within {W3_LARGE_OVER_SMALL}x of {w3[0]}",
                    ratio <= W3_LARGE_OVER_SMALL,
                    f"{large['p50_us']} us vs {small['p50_us']} us = {ratio}x",
                )
            )
    for name in row_ids:
        ours = _find(rows, name, "ours")
        rivals = [entry for impl in RIVALS if (entry := _find(rows, name, impl)) is not None]
        if not ours or not rivals:
            continue
        if concurrent(ours["workload"]):
            best = max(rivals, key=lambda entry: entry["ops_per_s"])
            ratio = round(ours["ops_per_s"] / best["ops_per_s"], 2)
            found.append(
                _target(
                    f"{name}: throughput >= {W6_OVER_BEST_OTHER:g}x the better of 0.1.0 and sdk",
                    ratio >= W6_OVER_BEST_OTHER,
                    f"{ours['ops_per_s']:.0f} vs {best['impl']} {best['ops_per_s']:.0f} turns/s"
                    f" = {ratio}x",
                )
            )
            continue
        best = min(rivals, key=lambda entry: entry["p50_us"])
        found.append(
            _target(
                f"{name}: ahead of 0.1.0 and sdk (p50)",
                ours["p50_us"] < best["p50_us"],
                f"{ours['p50_us']} us vs {best['impl']} {best['p50_us']} us"
                f" = {round(ours['p50_us'] / best['p50_us'], 2)}x",
            )
        )
    return found


def _direct_targets(rows: list[dict[str, Any]], row_ids: list[str]) -> list[dict[str, Any]]:
    """A lone caller's p50 with coalescing on, against the same store with it off.

    Met when the median of the per-round ratios is at most 1, or above 1 by no more than half
    their interquartile range: the noise between two blocks that ran side by side.
    """
    found = []
    for name in row_ids:
        if not name.startswith(P50_ROWS_AGAINST_DIRECT):
            continue
        ours, direct = _find(rows, name, "ours"), _find(rows, name, "ours-direct")
        ratios = sorted((ours or {}).get("round_ratios_to_direct") or [])
        if not (ours and direct and ratios):
            continue
        median, lower, upper = _median(ratios), _quartile(ratios, 1), _quartile(ratios, 3)
        noise = (upper - lower) / 2
        found.append(
            _target(
                f"{name}: p50 no worse than ours-direct beyond noise",
                median <= 1 + noise,
                f"{ours['p50_us']} us vs {direct['p50_us']} us ="
                f" {round(ours['p50_us'] / direct['p50_us'], 3)}x; per-round ratios: median"
                f" {median:.3f}x, quartiles {lower:.3f}-{upper:.3f}x (noise +-{noise:.3f})",
            )
        )
    return found


def _median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _quartile(ordered: list[float], which: int) -> float:
    return ordered[min(len(ordered) - 1, (which * len(ordered)) // 4)]


def _w3(row_ids: list[str]) -> list[str]:
    return [name for name in row_ids if name.startswith("W3")]


def _memory(bench: Bench) -> list[dict[str, Any]]:
    floors = {row.turns: row.bytes_per_session for row in bench.memory if row.impl == "floor"}
    return [
        {
            "impl": row.impl,
            "turns": row.turns,
            "sessions": row.sessions,
            "bytes_per_session": round(row.bytes_per_session, 1),
            "keys_per_session": round(row.keys_per_session, 2),
            "ratio_to_floor": (
                round(row.bytes_per_session / floors[row.turns], 3)
                if floors.get(row.turns)
                else None
            ),
        }
        for row in bench.memory
    ]


def memory_targets(memory: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The memory goal for "ours": a one-turn session within a factor of the bare list."""
    ours = next((m for m in memory if m["impl"] == "ours" and m["turns"] == 1), None)
    if ours is None or ours["ratio_to_floor"] is None:
        return []
    floor = next(m for m in memory if m["impl"] == "floor" and m["turns"] == 1)
    return [
        _target(
            f"memory: a one-turn session <= {ONE_TURN_MEMORY_OF_FLOOR}x the bare list",
            ours["ratio_to_floor"] <= ONE_TURN_MEMORY_OF_FLOOR,
            f"{ours['bytes_per_session']} vs {floor['bytes_per_session']} bytes ="
            f" {ours['ratio_to_floor']}x ({ours['sessions']} sessions)",
        )
    ]


def build(bench: Bench, machine: dict[str, Any]) -> dict[str, Any]:
    """The whole result as plain data: what ``latest.json`` holds and the rest is drawn from."""
    rows = _rows(bench)
    memory = _memory(bench)
    return {
        "machine": machine,
        "workloads": [
            {"row": row.id, "workload": row.workload, "title": row.title} for row in bench.rows
        ],
        "results": rows,
        "checks": [
            {"workload": c.workload, "impl": c.impl, "ok": c.ok, "detail": c.detail}
            for c in bench.checks
        ],
        "targets": targets(rows) + memory_targets(memory),
        "memory": memory,
        "descriptions": {name: impl.description for name, impl in bench.impls.items()},
        "keys_per_session": {
            name: ["<id>".join(parts) for parts in impl.key_templates]
            for name, impl in bench.impls.items()
        },
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _commands(stats: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in stats.items()) or "-"


def _spread(values: list[float]) -> float:
    ordered = sorted(values)
    lower = ordered[len(ordered) // 4]
    upper = ordered[(3 * len(ordered)) // 4]
    return upper / lower if lower else 0.0


def _keys(keys: list[str]) -> str:
    return ", ".join(f"`{key}`" for key in keys)


def markdown(result: dict[str, Any]) -> str:
    machine = result["machine"]
    lines = [
        "# Session store benchmark",
        "",
        f"`{machine['command']}` ({machine['mode']}), {machine['started_utc']},"
        f" {machine['duration_s']} s, commit {machine['git_commit']}"
        + (" with local changes to src/" if machine.get("src_modified") else "")
        + ".",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores ({machine['cores_usable']} usable);"
        f" {machine['os']}",
        f"- {machine['python']}; redis-py {machine['redis_py']} with hiredis {machine['hiredis']}"
        f" ({machine['parser']}); orjson {machine['orjson']};"
        f" openai-agents {machine['openai_agents']};"
        f" openai-agents-session {machine['openai_agents_session']} (ours)",
        f"- Server: {machine['server']}, {machine['server_config']}; TTL {machine['ttl_s']} s"
        " on every session",
        f"- Load average before/after: {machine['load_average_before']} /"
        f" {machine['load_average_after']}",
        "",
        "| store | what | keys of one session |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {text} | {_keys(result['keys_per_session'][name])} |"
            for name, text in result["descriptions"].items()
        ),
        "",
        "## Results",
        "",
        "p50/p99: latency of one call (W5, W6: of one turn). ops/s: calls per second on one"
        " connection (W6: turns per second of wall time, all coroutines together)."
        " x floor: p50 over floor's p50. Round trips: client socket writes per call."
        " Server cmds: `total_commands_processed` per call, which counts the commands a script"
        " runs too; per command: `INFO commandstats` calls per call (script calls included)."
        " Server CPU: the server's user+sys CPU time (`INFO cpu`) per call."
        " Bytes/item: `MEMORY USAGE` of every key of the session over its items.",
        "",
        "| workload | store | p50 us | p99 us | ops/s | p50 x floor | round trips"
        " | server cmds | per command | server CPU us | bytes/item |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    titles = {w["row"]: w["title"] for w in result["workloads"]}
    previous = None
    for entry in result["results"]:
        label = f"**{entry['row']}** {titles[entry['row']]}" if entry["row"] != previous else ""
        previous = entry["row"]
        store = f"**{entry['impl']}**" if entry["impl"] == "ours" else entry["impl"]
        lines.append(
            f"| {label} | {store} | {_fmt(entry['p50_us'])} | {_fmt(entry['p99_us'])}"
            f" | {_fmt(entry['ops_per_s'], 0)} | {_fmt(entry['p50_ratio_to_floor'], 2)}"
            f" | {_fmt(entry['round_trips_per_op'], 2)}"
            f" | {_fmt(entry['server_commands_per_op'], 2)}"
            f" | {_commands(entry['commandstats_per_op'])}"
            f" | {_fmt(entry['server_cpu_us_per_op'])} | {_fmt(entry['bytes_per_item'], 0)} |"
        )
    spreads = [
        f"{entry['row']} {_spread(entry['round_p50_us']):.2f}"
        for entry in result["results"]
        if entry["impl"] == "floor" and len(entry["round_p50_us"]) > 3
    ]
    if spreads:
        lines += [
            "",
            "Noise: the spread of floor's own p50 between rounds (upper over lower quartile) is "
            + ", ".join(spreads)
            + ". A ratio closer to a target than that is within this machine's noise; the"
            " targets also give the median of per-round ratios, each taken between blocks that"
            " ran side by side.",
        ]
    w6 = [entry for entry in result["results"] if concurrent(entry["workload"])]
    if w6:
        lines += [
            "",
            "## W6, W6-256: throughput and lost writes",
            "",
            "Every store of a row shares one client: W6's has a pool of 64 connections, W6-256's"
            " a `ConnectionPool(max_connections=300)`, room for each of its 256 coroutines to hold"
            " a connection (on a pool of 64, the stores that send every call alone fail with"
            ' "Too many connections"). Round trips: socket writes per turn, counted in an'
            " untimed round under the same load on a counting client of the same pool size.",
            "",
            "| row | store | turns/s | x floor | p50 us | p99 us | round trips | server CPU us"
            " | items written | lost writes |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        previous = None
        for entry in w6:
            label = entry["row"] if entry["row"] != previous else ""
            previous = entry["row"]
            store = f"**{entry['impl']}**" if entry["impl"] == "ours" else entry["impl"]
            lines.append(
                f"| {label} | {store} | {_fmt(entry['ops_per_s'], 0)}"
                f" | {_fmt(entry['throughput_ratio_to_floor'], 2)} | {_fmt(entry['p50_us'])}"
                f" | {_fmt(entry['p99_us'])} | {_fmt(entry['round_trips_per_op'], 2)}"
                f" | {_fmt(entry['server_cpu_us_per_op'])} | {_fmt(entry['items_written'])}"
                f" | {_fmt(entry['lost_writes'])} |"
            )
        lost = sum(entry["lost_writes"] or 0 for entry in w6)
        lines += [
            "",
            "No store lost a write: every session's length equals what its worker wrote."
            if lost == 0
            else f"WRITES LOST: {lost} items missing or extra across the stores above.",
        ]
    lines += _coalescing_lines(result["results"])
    memory = result.get("memory") or []
    if memory:
        sessions = memory[0]["sessions"]
        lines += [
            "",
            "## Memory per session",
            "",
            f"`INFO memory` `used_memory` grown by {sessions:,} sessions of realistic turns"
            " (`add_items([user, assistant])` per turn, TTL on every session), over their count:"
            " key names, expiry entries and the server's tables included. The floor is the bare"
            " list.",
            "",
            "| store | turns | bytes/session | x floor | keys/session |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for entry in memory:
            store = f"**{entry['impl']}**" if entry["impl"] == "ours" else entry["impl"]
            lines.append(
                f"| {store} | {entry['turns']} | {_fmt(entry['bytes_per_session'], 0)}"
                f" | {_fmt(entry['ratio_to_floor'], 2)} | {_fmt(entry['keys_per_session'], 2)} |"
            )
    failed = [check for check in result["checks"] if not check["ok"]]
    lines += ["", "## Correctness", ""]
    if failed:
        lines += [f"- FAILED {c['workload']} {c['impl']}: {c['detail']}" for c in failed]
    else:
        stores = sorted({check["impl"] for check in result["checks"]})
        lines.append(
            f"Every check passed for {', '.join(stores)}: items read back equal to what was"
            " written, in order, with limits and pops as the SDK defines them."
        )
    lines += ["", "## Targets (ours)", "", "| target | status | numbers |", "| --- | --- | --- |"]
    for target in result["targets"]:
        status = target["status"] if target["status"] != "missed" else "**missed**"
        lines.append(f"| {target['target']} | {status} | {target['detail']} |")
    met = sum(target["status"] == "met" for target in result["targets"])
    lines += ["", f"{met} of {len(result['targets'])} targets met.", ""]
    return "\n".join(lines)


def _coalescing_lines(results: list[dict[str, Any]]) -> list[str]:
    """What ours' coalescer sent in each row's timed blocks: alone, or in batches of what size."""
    entries = [entry for entry in results if entry.get("coalescing")]
    if not entries:
        return []
    labels = list(entries[0]["coalescing"]["calls_by_batch_size"])
    lines = [
        "",
        "## Coalescing: how ours sent its calls",
        "",
        "Deltas of `coalescing_stats(client)` around each timed block. Direct: calls sent alone,"
        " nothing else of the client being in flight. Batch p50/p90/p99/max: over the batches;"
        " the last columns: the share of the batched calls that went in batches of that size.",
        "",
        "| row | store | calls | direct | batched | batches | mean batch | batch p50 | p90 | p99"
        " | max | " + " | ".join(f"in {label}" for label in labels) + " |",
        "| --- | --- |" + " ---: |" * (9 + len(labels)),
    ]
    for entry in entries:
        stats = entry["coalescing"]
        shares = stats["calls_by_batch_size"]
        lines.append(
            f"| {entry['row']} | {entry['impl']} | {stats['direct'] + stats['coalesced']:,}"
            f" | {stats['direct']:,} | {stats['coalesced']:,} | {stats['batches']:,}"
            f" | {_fmt(stats['mean_batch'], 2)} | {_fmt(stats['batch_p50'])}"
            f" | {_fmt(stats['batch_p90'])} | {_fmt(stats['batch_p99'])}"
            f" | {_fmt(stats['batch_max'])} | "
            + " | ".join(f"{shares[label]:.0%}" for label in labels)
            + " |"
        )
    return lines


# The chart is drawn for a ~750 px column (the docs' and PyPI's): 7.5 in at 100 px per inch,
# saved at twice that for sharp text on dense screens. Bars above CHART_CAP stop at the cap
# and carry their value, so one slow rival does not squash every other bar.
CHART_SIZE_IN = (7.5, 4.4)
CHART_DPI = 100
CHART_CAP = 3.0


def chart(result: dict[str, Any], path: Path) -> bool:
    """Grouped bars of p50 over floor's p50; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = list(dict.fromkeys(entry["row"] for entry in result["results"]))
    impls = [name for name in result["descriptions"] if name != "floor"]
    width = 0.84 / len(impls)
    top = CHART_CAP * 1.14  # room above the cap for the values of the capped bars
    handles: dict[str, Any] = {}
    capped: list[Any] = []
    with plt.rc_context({"font.size": 10}):
        fig, ax = plt.subplots(figsize=CHART_SIZE_IN, dpi=CHART_DPI, layout="constrained")
        for index, impl in enumerate(impls):
            xs, ys = [], []
            for position, row in enumerate(rows):
                entry = _find(result["results"], row, impl)
                if entry and entry["p50_ratio_to_floor"]:
                    xs.append(position + (index - (len(impls) - 1) / 2) * width)
                    ys.append(entry["p50_ratio_to_floor"])
            bars = ax.bar(
                xs,
                [min(y, CHART_CAP) for y in ys],
                width,
                label=impl,
                linewidth=1.2 if impl == "ours" else 0,
                edgecolor="k",
            )
            handles[impl] = bars
            for x, y, bar in zip(xs, ys, bars, strict=True):
                if y > CHART_CAP:
                    capped.append(bar)
                    ax.text(x, CHART_CAP * 1.01, f"{y:.1f}x", ha="center", va="bottom", size=9)
        handles["floor (1x)"] = ax.axhline(1.0, color="black", linewidth=0.9)
        handles[f"target ({P50_WITHIN_FLOOR}x)"] = ax.axhline(
            P50_WITHIN_FLOOR, color="grey", linewidth=0.9, linestyle="--"
        )
        ax.set_ylim(0, top)
        ticks = [tick / 2 for tick in range(int(CHART_CAP * 2) + 1)]
        ax.set_yticks(ticks, [f"{tick:g}x" for tick in ticks])
        ax.set_xlim(-0.5, len(rows) - 0.5)
        ax.set_xticks(range(len(rows)), rows, size=9)
        ax.set_ylabel("p50 / floor p50 (lower is better)")
        ax.set_title(
            f"p50 latency relative to floor ({result['machine']['mode']} run); "
            f"hatched bars go beyond {CHART_CAP:g}x",
            size=10,
        )
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        # Below the plot, never over a bar; drawn before the hatching, so that a capped first
        # bar does not give its store a hatched key.
        labels = {"floor-multi": "floor-multi (MULTI/EXEC)"}
        ax.legend(
            list(handles.values()),
            [labels.get(name, name) for name in handles],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.1),
            ncols=3,
            frameon=False,
        )
        for bar in capped:
            bar.set_hatch("//")
        fig.savefig(path, dpi=CHART_DPI * 2)
        plt.close(fig)
    return True


def write(
    result: dict[str, Any], out: Path, *, chart_wanted: bool, log: Callable[[str], None]
) -> dict[str, Path]:
    """Write latest.json, latest.md and (with matplotlib) latest.png into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "latest.json", "md": out / "latest.md"}
    paths["json"].write_text(json.dumps(result, indent=1) + "\n")
    paths["md"].write_text(markdown(result))
    if chart_wanted:
        png = out / "latest.png"
        if chart(result, png):
            paths["png"] = png
        else:
            log("matplotlib is not installed (pip install -e '.[bench]'): no chart")
    return paths
