"""``rm`` and ``fork``: the two commands that change sessions in place."""

from __future__ import annotations

import asyncio
import sys

import click

from ..errors import SessionExistsError
from ._click import Command
from ._failures import CommandError
from ._output import Output, plural
from ._target import StoreTarget, open_target, store_options, store_target

__all__ = ["fork_command", "remove_command"]

# How many ids the confirmation question names before it only counts the rest.
NAMED_IN_QUESTION = 5


def _confirm(output: Output, target: StoreTarget, session_ids: tuple[str, ...]) -> None:
    if not sys.stdin.isatty():
        raise CommandError(
            f"refusing to delete {plural(len(session_ids), 'session')} without confirmation: "
            "stdin is not a terminal; pass --yes"
        )
    named = ", ".join(repr(session_id) for session_id in session_ids[:NAMED_IN_QUESTION])
    more = len(session_ids) - NAMED_IN_QUESTION
    if more > 0:
        named += f" and {more} more"
    question = output.redact(
        f"Delete {plural(len(session_ids), 'session')} ({named}) {target.within} at {target.label}?"
    )
    if not click.confirm(question, default=False, err=True):
        raise CommandError("nothing was deleted: the deletion was not confirmed")


async def _remove(output: Output, target: StoreTarget, session_ids: tuple[str, ...]) -> None:
    async with open_target(target) as store:
        deleted = await store.delete(*session_ids)
    missing = len(session_ids) - deleted
    absent = f" ({missing} did not exist)" if missing else ""
    output.line(f"deleted {plural(deleted, 'session')}{absent}")


@click.command("rm", cls=Command, short_help="Delete sessions.")
@click.argument("session_ids", metavar="ID...", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Delete without asking.")
@store_options
@click.pass_obj
def remove_command(
    output: Output,
    session_ids: tuple[str, ...],
    yes: bool,
    url: str | None,
    prefix: str | None,
) -> None:
    """Delete sessions with their metadata; asks first unless --yes."""
    target = store_target(output, url, prefix)
    unique = tuple(dict.fromkeys(session_ids))
    if not yes:
        _confirm(output, target, unique)
    asyncio.run(_remove(output, target, unique))


async def _fork(
    output: Output, target: StoreTarget, source_id: str, new_id: str, *, replace: bool
) -> None:
    async with open_target(target) as store:
        if not (await store.info(source_id)).exists:
            raise CommandError(f"session {source_id!r} does not exist {target.within}")
        try:
            copied = await store.fork(source_id, new_id, replace=replace)
        except SessionExistsError:
            raise CommandError(
                f"session {new_id!r} exists {target.within}; pass --replace to overwrite it"
            ) from None
    output.line(f"forked {source_id!r} to {new_id!r}: {plural(copied, 'item')}")


@click.command("fork", cls=Command, short_help="Copy a session to a new id.")
@click.argument("source_id", metavar="SRC")
@click.argument("new_id", metavar="DST")
@click.option("--replace", is_flag=True, help="Overwrite DST if it exists.")
@store_options
@click.pass_obj
def fork_command(
    output: Output,
    source_id: str,
    new_id: str,
    replace: bool,
    url: str | None,
    prefix: str | None,
) -> None:
    """Copy session SRC, items, TTL and metadata, to a new session DST."""
    target = store_target(output, url, prefix)
    asyncio.run(_fork(output, target, source_id, new_id, replace=replace))
