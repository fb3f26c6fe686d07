"""Every Python example of the docs and the README runs, or says why it cannot."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

Parse = Callable[[Path], tuple[list[Any], list[Any]]]


def test_page_examples_run(
    page: Path, markdown: Parse, docs_environment: Callable[[list[Any]], None]
) -> None:
    """The page's unmarked Python blocks run in order against private servers."""
    blocks, _ = markdown(page)
    runnable = [block for block in blocks if block.not_run is None]
    if runnable:
        docs_environment(runnable)


def test_not_run_markers_give_a_reason_and_precede_a_python_block(
    page: Path, markdown: Parse
) -> None:
    """A not-run marker says why, and sits on the line right before a Python fence."""
    _, markers = markdown(page)
    for marker in markers:
        where = f"{marker.path.name}:{marker.line}"
        assert marker.reason, f"{where}: a not-run marker needs a reason"
        assert marker.before_python, f"{where}: a not-run marker must precede a Python fence"


def test_collector_finds_every_kind_of_block(tmp_path: Path, markdown: Parse) -> None:
    """Plain, indented (tabs), marked, snippet and longer fences are all collected."""
    page = tmp_path / "page.md"
    page.write_text(
        textwrap.dedent(
            """\
            ```python
            a = 1
            ```

            === "Tab"

                ```py
                b = a + 1
                ```

            <!-- not-run: needs a cloud account -->
            ```python
            c = 3
            ```

            ````markdown
            ```python
            inside = "shown, not run"
            ```
            ````

            ```python
            --8<-- "pyproject.toml"
            ```

            ```bash
            echo not python
            ```
            """
        )
    )
    blocks, markers = markdown(page)
    assert [(block.line, block.not_run) for block in blocks] == [
        (2, None),
        (8, None),
        (13, "needs a cloud account"),
        (23, None),
    ]
    assert blocks[1].code == "b = a + 1\n"
    assert "[project]" in blocks[3].code
    assert [(marker.line, marker.before_python) for marker in markers] == [(11, True)]


def test_the_docs_have_examples(markdown: Parse) -> None:
    """The collector sees the pages' blocks: a broken collector must not pass silently."""
    root = Path(__file__).resolve().parents[2]
    blocks, _ = markdown(root / "docs" / "backends" / "redis.md")
    assert len([block for block in blocks if block.not_run is None]) >= 25
    blocks, _ = markdown(root / "docs" / "backends" / "dynamodb.md")
    assert len([block for block in blocks if block.not_run is None]) >= 6
