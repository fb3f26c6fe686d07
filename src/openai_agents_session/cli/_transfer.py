"""``export`` and ``import``: sessions to and from JSON Lines, one SessionRecord per line.

Export streams: each session is read, written and forgotten before the next. A file is
written beside its destination and renamed over it at the end, so an interrupted export
never leaves a file that looks complete. Import goes on past a bad line, names it, and
exits with 1 at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import click

from .._store import SessionRecord
from ..errors import ConfigurationError, ItemDecodeError, ItemEncodeError, WrongKeyTypeError
from ._click import Command
from ._concurrency import for_each_bounded
from ._failures import CommandError
from ._output import Output, plural, progress_bar
from ._target import StoreTarget, open_target, store_options, store_target

__all__ = ["export_command", "import_command"]

STDIO = "-"
# Failed line numbers named in the final error; the rest are counted.
NAMED_FAILURES = 10
# Sessions written at once by import.
DEFAULT_CONCURRENCY = 16

# Shared by import and migrate: how many sessions are written at once.
concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    metavar="N",
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Sessions written at once.",
)
# What makes one record unusable without making the store unusable: the line is skipped.
RECORD_ERRORS = (ItemDecodeError, ItemEncodeError, ConfigurationError, WrongKeyTypeError)


@contextlib.contextmanager
def _line_writer(destination: str) -> Iterator[Callable[[bytes], None]]:
    """Yield a function writing one line to stdout or to a file renamed into place at the end."""
    if destination == STDIO:
        stream = sys.stdout

        def write_stdout(line: bytes) -> None:
            stream.write(line.decode() + "\n")

        yield write_stdout
        stream.flush()
        return
    path = Path(destination)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as file:

            def write_file(line: bytes) -> None:
                file.write(line + b"\n")

            yield write_file
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


async def _export(output: Output, target: StoreTarget, pattern: str, destination: str) -> None:
    sessions = items = 0
    async with open_target(target) as store:
        show_total = output.stderr.is_terminal
        total = await store.count_sessions(pattern) if show_total else None
        with _line_writer(destination) as write, progress_bar(output) as bar:
            task = bar.add_task("export", total=total)
            async for record in store.export(pattern):
                write(record.to_json())
                sessions += 1
                items += len(record.items)
                bar.advance(task)
    where = "stdout" if destination == STDIO else repr(destination)
    output.note(f"exported {plural(sessions, 'session')} ({plural(items, 'item')}) to {where}")


@click.command("export", cls=Command, short_help="Write sessions as JSON Lines.")
@click.argument("pattern", default="*")
@click.option(
    "-o",
    "--output",
    "destination",
    required=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the JSON Lines; - for stdout.",
)
@store_options
@click.pass_obj
def export_command(
    output: Output,
    pattern: str,
    destination: str,
    url: str | None,
    prefix: str | None,
) -> None:
    """Write every session matching PATTERN as JSON Lines, one session per line."""
    target = store_target(output, url, prefix)
    asyncio.run(_export(output, target, pattern, destination))


@dataclass
class ImportCounts:
    """What an import did, line by line."""

    imported: int = 0
    items: int = 0
    skipped: int = 0
    failed_lines: list[int] = field(default_factory=list)


@contextlib.contextmanager
def _line_reader(source: str) -> Iterator[BinaryIO]:
    if source == STDIO:
        yield sys.stdin.buffer
        return
    with Path(source).open("rb") as file:
        yield file


async def _numbered_lines(stream: BinaryIO) -> AsyncIterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


async def _import(
    output: Output, target: StoreTarget, source: str, *, replace: bool, concurrency: int
) -> ImportCounts:
    counts = ImportCounts()

    async def import_line(numbered: tuple[int, bytes]) -> None:
        number, line = numbered
        try:
            record = SessionRecord.from_json(line)
            if not record.items:
                raise ItemDecodeError(f"session {record.session_id!r} has no items to import")
            written = await store.import_session(record, replace=replace)
        except RECORD_ERRORS as exc:
            counts.failed_lines.append(number)
            output.note(f"line {number}: {exc}")
            return
        if written:
            counts.imported += 1
            counts.items += len(record.items)
        else:
            counts.skipped += 1

    async with open_target(target) as store:
        with _line_reader(source) as stream:
            await for_each_bounded(_numbered_lines(stream), import_line, limit=concurrency)
    return counts


@click.command("import", cls=Command, short_help="Write sessions from JSON Lines.")
@click.argument("source", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--replace", is_flag=True, help="Overwrite sessions that exist already.")
@concurrency_option
@store_options
@click.pass_obj
def import_command(
    output: Output,
    source: str,
    replace: bool,
    concurrency: int,
    url: str | None,
    prefix: str | None,
) -> None:
    """Write the sessions of a JSON Lines FILE (- for stdin), skipping those that exist."""
    target = store_target(output, url, prefix)
    counts = asyncio.run(_import(output, target, source, replace=replace, concurrency=concurrency))
    failed = sorted(counts.failed_lines)
    output.line(
        f"imported {plural(counts.imported, 'session')} ({plural(counts.items, 'item')}), "
        f"skipped {counts.skipped} already present, {plural(len(failed), 'line')} failed"
    )
    if failed:
        named = ", ".join(str(number) for number in failed[:NAMED_FAILURES])
        more = f" and {len(failed) - NAMED_FAILURES} more" if len(failed) > NAMED_FAILURES else ""
        where = "stdin" if source == STDIO else repr(source)
        raise CommandError(
            f"{plural(len(failed), 'line')} of {where} could not be imported: {named}{more}"
        )
