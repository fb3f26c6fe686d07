"""``ls``: every session once, filtered by pattern or owner, sorted, limited, as JSON."""

from __future__ import annotations

import json
import time

import pytest
from cli.support import Run, Store

both = pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)

HEADER = ["id", "items", "ttl", "memory", "idle", "updated", "(UTC)", "title"]


def msg(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


@both
def test_ls_lists_a_thousand_sessions_once_each(run: Run, store: Store) -> None:
    """A table with a header and one row per session, every session exactly once."""
    ids = store.fill(1000)

    result = run("ls", *store.args())

    assert result.code == 0, result.err
    assert result.lines[0].split() == HEADER
    rows = [line.split() for line in result.lines[1:]]
    assert sorted(row[0] for row in rows) == sorted(ids)
    for row in rows:  # id, items, ttl, memory as "56 B", idle, no update time, no title
        assert row[1:3] == ["1", "never"] and row[4] == "B" and row[6] == "-" and len(row) == 7
    assert result.err == ""


@both
def test_ls_json_is_one_object_per_session_with_the_info_fields(run: Run, store: Store) -> None:
    """--json: one line per session, SessionInfo's field names, metadata included."""
    ids = store.fill(1000)
    store.write({"titled": [msg("a"), msg("b")]}, ttl=600, title="Trip")

    result = run("ls", "--json", *store.args())

    assert result.code == 0, result.err
    objects = [json.loads(line) for line in result.lines]
    assert {o["session_id"] for o in objects} == ids | {"titled"}
    titled = next(o for o in objects if o["session_id"] == "titled")
    assert set(titled) == {
        "session_id",
        "location",
        "item_count",
        "ttl_seconds",
        "size_bytes",
        "idle_seconds",
        "metadata",
    }
    assert titled["location"] == f"{store.prefix}:titled"
    assert titled["item_count"] == 2
    assert 598 <= titled["ttl_seconds"] <= 600
    assert titled["size_bytes"] > 0
    assert titled["metadata"]["title"] == "Trip"
    assert titled["metadata"]["updated_at"] == pytest.approx(time.time(), abs=30)


@standalone
def test_ls_pattern_and_limit_filter_the_listing(run: Run, store: Store) -> None:
    """A glob selects ids; --limit caps the number of rows."""
    store.fill(200)

    matched = run("ls", "s000?1", "--json", *store.args())
    limited = run("ls", "--limit", "7", *store.args())

    assert sorted(json.loads(line)["session_id"] for line in matched.lines) == [
        "s00001",
        "s00011",
        "s00021",
        "s00031",
        "s00041",
        "s00051",
        "s00061",
        "s00071",
        "s00081",
        "s00091",
    ]
    assert limited.code == 0
    assert len(limited.lines) == 1 + 7


@both
def test_ls_owner_lists_that_owners_sessions_newest_first(run: Run, store: Store) -> None:
    """--owner reads the owner index: only that owner's sessions, most recent first."""
    store.fill(50)
    for session_id in ("ada-1", "ada-2", "ada-3"):
        store.write({session_id: [msg(session_id)]}, owner="ada")
    store.write({"bob-1": [msg("bob")]}, owner="bob")

    result = run("ls", "--owner", "ada", "--json", *store.args())
    filtered = run("ls", "*-2", "--owner", "ada", "--json", *store.args())

    assert result.code == 0, result.err
    assert [json.loads(line)["session_id"] for line in result.lines] == ["ada-3", "ada-2", "ada-1"]
    assert [json.loads(line)["session_id"] for line in filtered.lines] == ["ada-2"]


@standalone
def test_ls_sort_orders_by_size_update_and_idle(run: Run, store: Store) -> None:
    """--sort size puts the largest first, --sort updated the latest; --limit keeps the top."""
    store.write({"small": [msg("x")]})
    store.write({"large": [msg("x" * 5000)] * 20})
    store.write({"medium": [msg("x" * 500)] * 5})
    store.write({"latest": [msg("y")]})

    by_size = run("ls", "--sort", "size", "--json", *store.args())
    by_update = run("ls", "--sort", "updated", "--limit", "2", *store.args())

    assert [json.loads(line)["session_id"] for line in by_size.lines][:2] == ["large", "medium"]
    assert [line.split()[0] for line in by_update.lines[1:]] == ["latest", "medium"]
    # --sort idle: test_stores.py, on a server with CLIENT NO-TOUCH and one without


@standalone
def test_ls_human_columns_show_items_ttl_and_title(run: Run, store: Store) -> None:
    """The table shows the item count, a readable TTL and the title."""
    store.write({"trip": [msg("a"), msg("b"), msg("c")]}, ttl=7200, title="Trip to Rome")

    result = run("ls", *store.args())

    row = result.lines[1]
    assert row.split()[:3] == ["trip", "3", "1h59m"] or row.split()[:3] == ["trip", "3", "2h00m"]
    assert row.endswith("Trip to Rome")


@standalone
def test_ls_with_no_match_says_so_and_succeeds(run: Run, store: Store) -> None:
    """No session: exit 0, nothing on stdout, one line on stderr."""
    result = run("ls", "nothing-*", *store.args())

    assert result.code == 0
    assert result.out == ""
    assert result.err == f"no sessions of prefix {store.prefix!r} match 'nothing-*'\n"


@standalone
def test_ids_and_titles_are_printed_as_stored_never_as_markup(run: Run, store: Store) -> None:
    """Brackets and colons in ids and titles are not styles or emoji codes."""
    store.write({"[bold]x[/bold]": [msg("a")]}, title=":smile: [red]")

    result = run("ls", *store.args())
    sorted_empty = run("ls", "nothing-*", "--sort", "size", *store.args())

    assert result.lines[1].split()[0] == "[bold]x[/bold]"
    assert result.lines[1].endswith(":smile: [red]")
    assert sorted_empty.out == ""
