"""``ls``: the sessions of a store, with their size, age and title.

Without ``--sort`` the ids stream: each page of SCAN (or of the owner index) is looked up and
printed before the next is read, so memory stays flat however many sessions there are.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import click
from rich.console import JustifyMethod, OverflowMethod
from rich.table import Table

from ._click import Command
from ._failures import CommandError
from ._output import (
    Output,
    format_bytes,
    format_duration,
    format_time,
    info_as_json,
    printable,
)
from ._target import StoreTarget, open_target, store_options, store_target

if TYPE_CHECKING:
    from .._store import SessionInfo, SessionStore

__all__ = ["list_command"]

# Sessions looked up concurrently, and printed together, while streaming.
PAGE_SESSIONS = 50
# Entries read from an owner's index per round trip.
OWNER_PAGE = 100
TITLE_MAX_CHARS = 40

SORT_ORDERS: dict[str, Callable[[SessionInfo], float]] = {
    "size": lambda info: -(info.size_bytes or 0),
    "idle": lambda info: -(info.idle_seconds or 0),
    "updated": lambda info: -(info.metadata.updated_at or 0.0),
}
# (header, justify): the columns of the human table.
COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("id", "left"),
    ("items", "right"),
    ("ttl", "right"),
    ("memory", "right"),
    ("idle", "right"),
    ("updated (UTC)", "left"),
    ("title", "left"),
)


def _cells(info: SessionInfo) -> tuple[str, ...]:
    return (
        printable(info.session_id),
        str(info.item_count),
        format_duration(info.ttl_seconds, none="never"),
        format_bytes(info.size_bytes),
        format_duration(info.idle_seconds),
        format_time(info.metadata.updated_at),
        printable(info.metadata.title or ""),
    )


class SessionTable:
    """Renders pages of sessions as one table: the first page fixes the column widths."""

    def __init__(self) -> None:
        self._widths: list[int] | None = None

    def render(self, page: list[SessionInfo]) -> Table:
        """Return the page as a table; only the first page has a header."""
        rows = [_cells(info) for info in page]
        first = self._widths is None
        if self._widths is None:
            self._widths = [
                max([len(header), *(len(row[index]) for row in rows)])
                for index, (header, _) in enumerate(COLUMNS)
            ]
            self._widths[-1] = min(self._widths[-1], TITLE_MAX_CHARS)
        table = Table(box=None, pad_edge=False, show_header=first, header_style="bold")
        for (header, justify), width in zip(COLUMNS, self._widths, strict=True):
            overflow: OverflowMethod = "ellipsis" if header == "title" else "fold"
            table.add_column(header, justify=justify, width=width, overflow=overflow)
        for row in rows:
            table.add_row(*row)
        return table


async def _owner_ids(store: SessionStore, owner: str, pattern: str) -> AsyncIterator[str]:
    cursor: str | None = None
    while True:
        page = await store.owner_page(owner, cursor=cursor, count=OWNER_PAGE)
        for entry in page.sessions:
            if fnmatch.fnmatchcase(entry.session_id, pattern):
                yield entry.session_id
        if page.cursor is None:
            return
        cursor = page.cursor


async def _info_pages(
    store: SessionStore, ids: AsyncIterator[str]
) -> AsyncIterator[list[SessionInfo]]:
    """Look ids up a page at a time; sessions gone since they were listed are left out."""
    batch: list[str] = []

    async def lookup() -> list[SessionInfo]:
        infos = await asyncio.gather(*(store.info(session_id) for session_id in batch))
        return [info for info in infos if info.exists]

    async for session_id in ids:
        batch.append(session_id)
        if len(batch) == PAGE_SESSIONS:
            yield await lookup()
            batch = []
    if batch:
        yield await lookup()


async def _sorted_page(
    pages: AsyncIterator[list[SessionInfo]], sort: str, limit: int | None
) -> list[SessionInfo]:
    everything = [info async for page in pages for info in page]
    if sort == "idle" and any(info.idle_seconds is None for info in everything):
        raise CommandError(
            "the server does not report idle times the command line's own reads leave alone "
            "(CLIENT NO-TOUCH needs Redis 7.2 or Valkey); use --sort updated"
        )
    everything.sort(key=SORT_ORDERS[sort])
    return everything[:limit]


async def _limited(
    pages: AsyncIterator[list[SessionInfo]], limit: int | None
) -> AsyncIterator[list[SessionInfo]]:
    left = limit
    async for page in pages:
        if left is not None:
            page = page[:left]
            left -= len(page)
        if page:
            yield page
        if left == 0:
            return


async def _list(
    output: Output,
    target: StoreTarget,
    pattern: str,
    *,
    owner: str | None,
    sort: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    async with open_target(target) as store:
        ids = _owner_ids(store, owner, pattern) if owner else store.list_sessions(pattern)
        pages = _info_pages(store, ids)
        if sort is not None:
            pages = _single(await _sorted_page(pages, sort, limit))
        else:
            pages = _limited(pages, limit)
        table = SessionTable()
        shown = 0
        async for page in pages:
            shown += len(page)
            if as_json:
                for info in page:
                    output.data(info_as_json(info))
            else:
                output.show(table.render(page))
    if as_json:
        return
    where = f"owner {owner!r}" if owner else target.namespace
    if shown == 0:
        output.note(f"no sessions of {where} match {pattern!r}")
    elif output.stdout.is_terminal:
        output.line(f"{shown} session{'s' if shown != 1 else ''} of {where}")


async def _single(page: list[SessionInfo]) -> AsyncIterator[list[SessionInfo]]:
    if page:
        yield page


@click.command("ls", cls=Command, short_help="List sessions.")
@click.argument("pattern", default="*")
@click.option(
    "--owner",
    metavar="NAME",
    help="List this owner's sessions from the owner index (most recently updated first) "
    "instead of scanning the keyspace.",
)
@click.option(
    "--sort",
    type=click.Choice(sorted(SORT_ORDERS)),
    help="Largest memory, longest idle or latest update first; reads every session first.",
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N sessions.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per session and line.")
@store_options
@click.pass_obj
def list_command(
    output: Output,
    pattern: str,
    owner: str | None,
    sort: str | None,
    limit: int | None,
    as_json: bool,
    url: str | None,
    prefix: str | None,
) -> None:
    """List the sessions whose id matches PATTERN (a glob, default *)."""
    target = store_target(output, url, prefix)
    asyncio.run(
        _list(output, target, pattern, owner=owner, sort=sort, limit=limit, as_json=as_json)
    )
