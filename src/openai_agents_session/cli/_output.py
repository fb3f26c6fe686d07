"""Where the command line writes, and how it shows sizes, durations and times.

Results go to stdout and everything about them (progress, counts next to data, errors) to
stderr, so ``export -o -`` and ``--json`` pipe cleanly. Every message the command line
composes passes through the redactor; session data (items, titles) is printed as stored.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ._redaction import Redactor

if TYPE_CHECKING:
    from .._store import SessionInfo, SessionMetadata

__all__ = [
    "Output",
    "format_bytes",
    "format_duration",
    "format_time",
    "info_as_json",
    "json_line",
    "metadata_as_json",
    "plural",
    "printable",
    "progress_bar",
]

# Wide enough that a table written to a pipe or a file is never wrapped.
PIPE_WIDTH = 1000


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, highlight=False, markup=False, emoji=False)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


@dataclass
class Output:
    """The two streams of one invocation, and the redactor every message goes through."""

    redact: Redactor = field(default_factory=Redactor)
    debug: bool = False
    # The store options given before the command (--url falls back to REDIS_URL there).
    url: str | None = None
    prefix: str | None = None
    # --region, --endpoint-url and --profile, before or after the command (after wins).
    aws: dict[str, str] = field(default_factory=dict)
    stdout: Console = field(default_factory=lambda: _console(stderr=False))
    stderr: Console = field(default_factory=lambda: _console(stderr=True))

    def line(self, message: str) -> None:
        """Write one composed message to stdout."""
        click.echo(self.redact(message))

    def note(self, message: str) -> None:
        """Write one composed message to stderr."""
        click.echo(self.redact(message), err=True)

    def show(self, renderable: RenderableType) -> None:
        """Print a table to stdout; in a pipe, without the padding that ends its lines."""
        if self.stdout.is_terminal:
            self.stdout.print(renderable)
            return
        with self.stdout.capture() as captured:
            self.stdout.print(renderable)
        for line in captured.get().splitlines():
            click.echo(line.rstrip())

    def data(self, text: str) -> None:
        """Write one line of session data to stdout, as it is."""
        click.echo(text)


def plural(count: int, noun: str) -> str:
    """Return ``1 session`` or ``2 sessions``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_duration(seconds: float | None, *, none: str = "-") -> str:
    """Return ``seconds`` as ``42s``, ``12m05s``, ``3h07m`` or ``2d04h``."""
    if seconds is None:
        return none
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def format_bytes(size: int | None) -> str:
    """Return a byte count as ``812 B``, ``1.4 KiB`` or ``2.0 MiB``."""
    if size is None:
        return "-"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value:.1f} TiB"


def format_time(unix_seconds: float | None) -> str:
    """Return a unix time as ``2025-11-25 08:30:12`` in UTC, or ``-``."""
    if unix_seconds is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix_seconds))


def metadata_as_json(metadata: SessionMetadata) -> dict[str, Any]:
    """Return metadata as the JSON object export writes."""
    return {
        "created_at": metadata.created_at,
        "updated_at": metadata.updated_at,
        "title": metadata.title,
        "owner": metadata.owner,
        "tags": list(metadata.tags),
    }


def printable(text: str) -> str:
    """Return ``text`` writable as UTF-8, showing the bytes of a non-UTF-8 key name escaped."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no key name produced
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def json_line(value: Any) -> str:
    """Return ``value`` as one line of JSON, non-ASCII text kept unless it cannot be UTF-8."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


def info_as_json(info: SessionInfo) -> str:
    """Return a session's info as one line of JSON, in the vocabulary of docs/cli.md."""
    return json_line(
        {
            "session_id": info.session_id,
            "location": info.location,
            "item_count": info.item_count,
            "ttl_seconds": info.ttl_seconds,
            "size_bytes": info.size_bytes,
            "idle_seconds": info.idle_seconds,
            "metadata": metadata_as_json(info.metadata),
        }
    )


def progress_bar(output: Output) -> Progress:
    """Return a progress bar on stderr, shown only when stderr is a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.stderr,
        disable=not output.stderr.is_terminal,
    )
