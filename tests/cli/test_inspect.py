"""``show`` and ``info``: one session's items and vital signs, for people and for scripts."""

from __future__ import annotations

import json

import pytest
from cli.support import Run, Store

standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)

ITEMS = [
    {"role": "user", "content": "What's the weather in Paris?\nAnd tomorrow?"},
    {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": '{"city":"Paris"}'},
    {"type": "function_call_output", "call_id": "c1", "output": "21 C, sunny"},
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Sunny, 21 C.", "annotations": []}],
    },
]


@standalone
def test_show_prints_one_numbered_line_per_item(run: Run, store: Store) -> None:
    """Role or type, then the text; a line break inside an item stays on its line."""
    store.write({"chat": ITEMS})

    result = run("show", "chat", *store.args())

    assert result.code == 0, result.err
    assert result.lines == [
        "1  user                  What's the weather in Paris? ↵ And tomorrow?",
        '2  function_call         weather({"city":"Paris"})',
        "3  function_call_output  21 C, sunny",
        "4  assistant             Sunny, 21 C.",
    ]


@standalone
def test_show_limit_prints_the_latest_items_with_their_numbers(run: Run, store: Store) -> None:
    """--limit N: the last N items, numbered as in the whole session."""
    store.write({"chat": ITEMS})

    result = run("show", "chat", "--limit", "2", *store.args())

    assert result.code == 0
    assert result.lines[0] == "(2 earlier items not shown)"
    assert [line.split()[0] for line in result.lines[1:]] == ["3", "4"]


@standalone
def test_show_json_is_the_export_line_and_items_only_the_array(run: Run, store: Store) -> None:
    """--json prints the SessionRecord line; --items-only the items as one JSON array."""
    store.write({"chat": ITEMS}, ttl=900, title="Weather")

    record = run("show", "chat", "--json", *store.args())
    items = run("show", "chat", "--items-only", "--limit", "1", *store.args())

    parsed = json.loads(record.out)
    assert list(parsed) == ["session_id", "ttl_seconds", "metadata", "items"]
    assert parsed["session_id"] == "chat"
    assert parsed["items"] == ITEMS
    assert 898 <= parsed["ttl_seconds"] <= 900
    assert parsed["metadata"]["title"] == "Weather"
    assert json.loads(items.out) == ITEMS[-1:]


@standalone
def test_info_prints_the_fields_and_metadata(run: Run, store: Store) -> None:
    """One labelled line per field, metadata included."""
    store.write({"chat": ITEMS}, ttl=3600, owner="ada", title="Weather")

    result = run("info", "chat", *store.args())

    assert result.code == 0, result.err
    fields = {line.split()[0]: line.split(maxsplit=1)[1] for line in result.lines}
    assert list(fields) == [
        "id",
        "key",
        "items",
        "ttl",
        "memory",
        "idle",
        "created",
        "updated",
        "title",
        "owner",
        "tags",
    ]
    assert fields["key"] == f"{store.prefix}:chat"
    assert fields["items"] == "4"
    assert fields["ttl"].endswith("(59m59s)") or fields["ttl"].endswith("(1h00m)")
    assert fields["title"] == "Weather"
    assert fields["owner"] == "ada"
    assert fields["tags"] == "-"


@standalone
def test_info_json_has_the_session_info_fields(run: Run, store: Store) -> None:
    """--json: SessionInfo's fields, metadata as an object."""
    store.write({"chat": ITEMS}, owner="ada")

    result = run("info", "chat", "--json", *store.args())

    info = json.loads(result.out)
    assert info["session_id"] == "chat"
    assert info["item_count"] == 4
    assert info["ttl_seconds"] is None
    assert info["metadata"]["owner"] == "ada"
    assert isinstance(info["metadata"]["created_at"], float)


@standalone
@pytest.mark.parametrize("command", ["show", "info"])
def test_a_missing_session_is_an_error(run: Run, store: Store, command: str) -> None:
    """A session that does not exist: exit 1, one line naming it and the prefix."""
    result = run(command, "nobody", *store.args())

    assert result.code == 1
    assert result.out == ""
    assert result.err == (f"error: session 'nobody' does not exist under prefix {store.prefix!r}\n")
