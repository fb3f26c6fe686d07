"""``show`` and ``info``: one session's items, or its size, age and metadata."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from rich.text import Text

from .._items import encode_item
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

__all__ = ["info_command", "show_command"]

# Stands for a line break inside an item, so that each item stays on one line.
LINE_BREAK = " ↵ "


def _part_text(part: object) -> str:
    if not isinstance(part, Mapping):
        return str(part)
    for name in ("text", "refusal", "transcript"):
        if isinstance(part.get(name), str):
            return str(part[name])
    return f"[{part.get('type', 'part')}]"


def item_line(item: Mapping[str, Any]) -> tuple[str, str]:
    """Return an item's label (its role, else its type) and its text, on one line."""
    label = str(item.get("role") or item.get("type") or "item")
    content = item.get("content")
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = " ".join(_part_text(part) for part in content)
    elif item.get("type") == "function_call":
        text = f"{item.get('name', '?')}({item.get('arguments', '')})"
    elif "output" in item:
        output = item["output"]
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    elif isinstance(item.get("summary"), list):
        text = " ".join(_part_text(part) for part in item["summary"])
    else:
        rest = {name: value for name, value in item.items() if name not in ("type", "id")}
        text = json.dumps(rest, ensure_ascii=False, default=str)
    return label, LINE_BREAK.join(text.splitlines())


async def _existing(store: SessionStore, target: StoreTarget, session_id: str) -> SessionInfo:
    info = await store.info(session_id)
    if not info.exists:
        raise CommandError(f"session {session_id!r} does not exist {target.within}")
    return info


async def _show(
    output: Output,
    target: StoreTarget,
    session_id: str,
    *,
    limit: int | None,
    as_json: bool,
    items_only: bool,
) -> None:
    async with open_target(target) as store:
        record = await store.export_session(session_id)
    if record is None:
        raise CommandError(f"session {session_id!r} does not exist {target.within}")
    items = record.items if limit is None else record.items[-limit:]
    count = len(record.items)
    if items_only:
        output.data("[" + ",".join(encode_item(item).decode() for item in items) + "]")
        return
    if as_json:
        output.data(dataclasses.replace(record, items=items).to_json().decode())
        return
    first = count - len(items) + 1
    if first > 1:
        output.line(f"({first - 1} earlier items not shown)")
    number_width = len(str(count))
    labels = [item_line(item) for item in items]
    label_width = max((len(label) for label, _ in labels), default=0)
    for number, (label, text) in enumerate(labels, start=first):
        line = Text(f"{number:>{number_width}}  ", style="dim")
        line.append(f"{printable(label):<{label_width}}", style="bold cyan")
        line.append(f"  {printable(text)}")
        output.stdout.print(line, soft_wrap=True)


@click.command("show", cls=Command, short_help="Print a session's items.")
@click.argument("session_id")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Only the latest N items.")
@click.option("--json", "as_json", is_flag=True, help="The session as one line of export JSON.")
@click.option("--items-only", is_flag=True, help="Only the items, as one JSON array.")
@store_options
@click.pass_obj
def show_command(
    output: Output,
    session_id: str,
    limit: int | None,
    as_json: bool,
    items_only: bool,
    url: str | None,
    prefix: str | None,
) -> None:
    """Print a session's items, oldest first, numbered from the session's first item."""
    target = store_target(output, url, prefix)
    asyncio.run(
        _show(output, target, session_id, limit=limit, as_json=as_json, items_only=items_only)
    )


def _info_rows(info: SessionInfo) -> list[tuple[str, str]]:
    metadata = info.metadata
    ttl = "never expires" if info.ttl_seconds is None else f"{info.ttl_seconds} s"
    memory = "-" if info.size_bytes is None else f"{info.size_bytes} bytes"
    return [
        ("id", printable(info.session_id)),
        ("key", printable(info.location)),
        ("items", str(info.item_count)),
        ("ttl", f"{ttl} ({format_duration(info.ttl_seconds, none='-')})"),
        ("memory", f"{memory} ({format_bytes(info.size_bytes)})"),
        ("idle", format_duration(info.idle_seconds)),
        ("created", f"{format_time(metadata.created_at)} UTC"),
        ("updated", f"{format_time(metadata.updated_at)} UTC"),
        ("title", printable(metadata.title or "-")),
        ("owner", printable(metadata.owner or "-")),
        ("tags", printable(", ".join(metadata.tags) or "-")),
    ]


async def _info(output: Output, target: StoreTarget, session_id: str, *, as_json: bool) -> None:
    async with open_target(target) as store:
        info = await _existing(store, target, session_id)
    if as_json:
        output.data(info_as_json(info))
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for name, value in _info_rows(info):
        table.add_row(name, value)
    output.show(table)


@click.command("info", cls=Command, short_help="Print a session's size, age and metadata.")
@click.argument("session_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with SessionInfo's fields.")
@store_options
@click.pass_obj
def info_command(
    output: Output,
    session_id: str,
    as_json: bool,
    url: str | None,
    prefix: str | None,
) -> None:
    """Print a session's item count, TTL, memory, idle time and metadata."""
    target = store_target(output, url, prefix)
    asyncio.run(_info(output, target, session_id, as_json=as_json))
