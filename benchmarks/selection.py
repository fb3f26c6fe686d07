"""One ``--only`` for every suite of ``make bench``: each runs its own names, ignores the others'.

A name no suite knows is a typo, and every suite refuses it, so the mistake shows at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

# Every suite's workload names, in the order `make bench` runs the suites.
SUITES: dict[str, tuple[str, ...]] = {
    "benchmarks": ("W1", "W2", "W3", "W4", "W5", "W6", "W6-256", "W7", "MEM"),
    "benchmarks.operations": ("OPS",),
    "benchmarks.dynamodb": ("D1", "D2", "D3", "WALL"),
}
ALL_NAMES = tuple(name for names in SUITES.values() for name in names)


def selected(parser: argparse.ArgumentParser, only: str | None, own: Sequence[str]) -> list[str]:
    """Return the names of ``own`` that ``only`` lists (all of them when it is None).

    Exits through ``parser.error`` when ``only`` names a workload of no suite.
    """
    if only is None:
        return list(own)
    names = [name.strip().upper() for name in only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ALL_NAMES))
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(ALL_NAMES)}")
    return [name for name in own if name in names]


def only_option(parser: argparse.ArgumentParser, example: str) -> None:
    """Add the shared ``--only`` option to a suite's parser."""
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated workloads, e.g. {example} (default: all); names of the other "
        "suites of `make bench` are ignored, so one --only serves them all",
    )
