"""Code blocks of README.md, so tests run exactly what the README shows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).parents[1] / "README.md"


def block_after(heading: str) -> str:
    """Return the first fenced code block after the line ``heading``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    match = re.compile(r"```[a-z]*\n(.*?)```", re.DOTALL).search(text, start)
    if match is None:
        raise LookupError(f"no code block after {heading!r} in README.md")
    return match.group(1)


def run_block(heading: str) -> dict[str, Any]:
    """Execute the Python block after ``heading`` and return the names it defined."""
    namespace: dict[str, Any] = {}
    exec(compile(block_after(heading), f"README.md ({heading})", "exec"), namespace)
    return namespace
