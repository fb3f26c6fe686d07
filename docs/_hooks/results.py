"""MkDocs hook: publish the committed benchmark results on the Performance page.

The numbers live in ``benchmarks/results/``, written by ``make bench``; copying them into a page
by hand would let the two drift. Instead, a page line of the form

    <!-- include: benchmarks/results/latest.md -->

is replaced at build time by that file without its title, its other headings moved one level
down. Several paths separated by ``|`` name alternatives: the first that exists is used, and
none existing fails the build. The chart ``benchmarks/results/latest.png`` is published as
``assets/benchmarks/latest.png``, so a page links it like any file of ``docs/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "benchmarks" / "results" / "latest.png"
CHART_URI = "assets/benchmarks/latest.png"

_INCLUDE = re.compile(r"^<!-- include: (?P<paths>[^>]+?) -->$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,5}) ")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the benchmark chart to the site's files."""
    if not CHART.is_file():
        raise PluginError(f"{CHART.relative_to(ROOT)} is missing; run `make bench`")
    files.append(File.generated(config, CHART_URI, abs_src_path=str(CHART)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace every include line of a page with the file it names."""
    return _INCLUDE.sub(lambda match: _included(match.group("paths"), page), markdown)


def _included(paths: str, page: Page) -> str:
    candidates = [ROOT / path.strip() for path in paths.split("|")]
    for candidate in candidates:
        if candidate.is_file():
            return _demoted(candidate.read_text(encoding="utf-8"))
    raise PluginError(f"{page.file.src_uri}: none of {paths.strip()!r} exists")


def _demoted(markdown: str) -> str:
    """Drop the document's title and move every other heading one level down."""
    lines: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            continue
        elif not in_fence and _HEADING.match(line):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines).strip("\n")
