"""``export`` and ``import``: JSON Lines out and back in, TTLs kept, bad lines named."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from cli.support import Run, Store

from openai_agents_session.redis import RedisSessionStore

both = pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)


def history(session_id: str) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": f"hello from {session_id}"},
        {"role": "assistant", "content": "hi"},
    ]


@both
def test_export_rm_import_round_trip_keeps_items_ttls_and_metadata(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """Every session comes back with its items, its TTL within a second, and its title."""
    store.write({f"t{n}": history(f"t{n}") for n in range(20)}, ttl=1000, title="Timed")
    store.write({f"p{n}": history(f"p{n}") for n in range(20)})
    ttls = {f"t{n}": store.client.ttl(f"{store.prefix}:t{n}") for n in range(20)}
    file = tmp_path / "sessions.jsonl"

    exported = run("export", "-o", str(file), *store.args())
    assert exported.code == 0, exported.err
    assert exported.err == f"exported 40 sessions (80 items) to {str(file)!r}\n"
    assert len(file.read_text().splitlines()) == 40
    assert not file.with_name(file.name + ".partial").exists()

    removed = run("rm", "--yes", *sorted(store.ids()), *store.args())
    assert removed.out == "deleted 40 sessions\n"

    imported = run("import", str(file), *store.args())
    after = {session_id: store.client.ttl(f"{store.prefix}:{session_id}") for session_id in ttls}
    assert imported.code == 0, imported.err
    assert imported.out == (
        "imported 40 sessions (80 items), skipped 0 already present, 0 lines failed\n"
    )
    assert len(store.ids()) == 40
    exported_ttls = {
        record["session_id"]: record["ttl_seconds"]
        for record in map(json.loads, file.read_text().splitlines())
    }
    for session_id, before in ttls.items():
        exported_ttl = exported_ttls[session_id]
        assert exported_ttl <= before
        assert exported_ttl - 1 <= after[session_id] <= exported_ttl

    async def read_back(library: RedisSessionStore) -> dict[str, tuple[list[Any], str | None]]:
        return {
            session_id: (
                list(await library.session(session_id).get_items()),
                (await library.info(session_id)).metadata.title,
            )
            for session_id in ttls
        }

    for session_id, (items, title) in store.call(read_back).items():
        assert (items, title) == (history(session_id), "Timed")
    assert store.client.ttl(f"{store.prefix}:p0") == -1

    again = run("import", str(file), *store.args())
    assert (
        again.out == "imported 0 sessions (0 items), skipped 40 already present, 0 lines failed\n"
    )


@standalone
def test_export_pattern_to_stdout_writes_one_record_per_line(run: Run, store: Store) -> None:
    """-o - streams the matching sessions to stdout; the count goes to stderr."""
    store.write({"keep-1": history("keep-1"), "keep-2": history("keep-2"), "other": history("o")})

    result = run("export", "keep-*", "-o", "-", *store.args())

    assert result.code == 0
    records = [json.loads(line) for line in result.lines]
    assert sorted(record["session_id"] for record in records) == ["keep-1", "keep-2"]
    assert records[0]["items"] == history(records[0]["session_id"])
    assert result.err == "exported 2 sessions (4 items) to stdout\n"


@standalone
def test_import_goes_past_bad_lines_names_them_and_fails(
    run: Run, store: Store, tmp_path: Path
) -> None:
    """Good lines are imported; each bad one is named with its number; exit 1 at the end."""
    good = {"session_id": "good", "ttl_seconds": None, "items": history("good")}
    lines = [
        json.dumps(good),
        "{not json",
        "",
        # Files written before 0.2 name the id "id" and the TTL "ttl": still read.
        json.dumps({"id": "also-good", "ttl": None, "items": history("also-good")}),
        json.dumps({"session_id": 5, "items": []}),
        json.dumps({"session_id": "empty", "items": []}),
        json.dumps({"session_id": "nan", "items": [{"role": "user", "n": float("nan")}]}),
    ]
    file = tmp_path / "mixed.jsonl"
    file.write_text("\n".join(lines) + "\n")

    result = run("import", str(file), *store.args())

    assert result.code == 1
    assert result.out == (
        "imported 2 sessions (4 items), skipped 0 already present, 4 lines failed\n"
    )
    err = result.err.splitlines()
    assert err[0].startswith("line 2: session line is not JSON")
    assert err[1] == 'line 5: session line must be an object with a string "session_id"'
    assert err[2] == "line 6: session 'empty' has no items to import"
    assert err[3].startswith("line 7: ")
    assert err[4] == f"error: 4 lines of {str(file)!r} could not be imported: 2, 5, 6, 7"
    assert store.ids() == {"good", "also-good"}


@standalone
def test_import_reads_stdin_and_replace_overwrites(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FILE - reads standard input; --replace overwrites a session that exists."""
    store.write({"chat": history("old")})
    line = json.dumps({"id": "chat", "items": history("new")}) + "\n"

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(line.encode())))
    kept = run("import", "-", *store.args())
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(line.encode())))
    replaced = run("import", "-", "--replace", *store.args())

    assert kept.out.startswith("imported 0 sessions (0 items), skipped 1 already present")
    assert replaced.out.startswith("imported 1 session (2 items), skipped 0 already present")
    assert store.items("chat") == history("new")


@standalone
def test_import_of_a_missing_file_is_an_error(run: Run, store: Store, tmp_path: Path) -> None:
    """A file that does not exist: exit 1, one line naming it."""
    missing = tmp_path / "nope.jsonl"

    result = run("import", str(missing), *store.args())

    assert result.code == 1
    assert result.err == f"error: cannot use {str(missing)!r}: No such file or directory\n"
