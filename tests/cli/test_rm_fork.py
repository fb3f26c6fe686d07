"""``rm`` and ``fork``: confirmation, counts, and copies across cluster slots."""

from __future__ import annotations

import pytest
from cli.support import FakeTerminal, Run, Store
from redis.crc import key_slot

both = pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)

TURN = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


@both
def test_rm_yes_deletes_and_counts_what_existed(run: Run, store: Store) -> None:
    """--yes deletes at once; missing ids are counted apart."""
    store.write({"a": TURN, "b": TURN, "keep": TURN}, owner="ada")

    result = run("rm", "a", "b", "missing", "--yes", *store.args())

    assert result.code == 0, result.err
    assert result.out == "deleted 2 sessions (1 did not exist)\n"
    assert store.ids() == {"keep"}


@standalone
def test_rm_without_yes_and_without_a_terminal_refuses(run: Run, store: Store) -> None:
    """No --yes and stdin is not a terminal: exit 1, nothing deleted."""
    store.write({"a": TURN})

    result = run("rm", "a", *store.args())

    assert result.code == 1
    assert result.err == (
        "error: refusing to delete 1 session without confirmation: "
        "stdin is not a terminal; pass --yes\n"
    )
    assert store.ids() == {"a"}


@standalone
def test_rm_asks_on_a_terminal_and_obeys_the_answer(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the question names the sessions; "n" keeps them, "y" deletes them."""
    store.write({"a": TURN, "b": TURN})

    monkeypatch.setattr("sys.stdin", FakeTerminal("n\n"))
    declined = run("rm", "a", "b", *store.args())
    assert declined.code == 1
    assert f"Delete 2 sessions ('a', 'b') under prefix {store.prefix!r} at " in declined.err
    assert "error: nothing was deleted: the deletion was not confirmed" in declined.err
    assert store.ids() == {"a", "b"}

    monkeypatch.setattr("sys.stdin", FakeTerminal("y\n"))
    confirmed = run("rm", "a", *store.args())
    assert confirmed.code == 0
    assert confirmed.out.endswith("deleted 1 session\n")
    assert store.ids() == {"b"}


@both
def test_fork_copies_items_ttl_and_metadata_across_slots(run: Run, store: Store) -> None:
    """The copy has the same items, TTL and title, also when its key is in another slot."""
    store.write({"src": TURN}, ttl=500, title="Original")
    assert key_slot(f"{store.prefix}:src".encode()) != key_slot(f"{store.prefix}:dst".encode())

    result = run("fork", "src", "dst", *store.args())

    assert result.code == 0, result.err
    assert result.out == "forked 'src' to 'dst': 2 items\n"
    assert store.items("dst") == TURN
    info = store.info("dst")
    assert info.ttl_seconds is not None and 498 <= info.ttl_seconds <= 500
    assert info.metadata.title == "Original"


@both
def test_fork_onto_an_existing_session_needs_replace(run: Run, store: Store) -> None:
    """An existing target: exit 1 naming --replace; with --replace it is overwritten."""
    store.write({"src": TURN, "dst": TURN[:1]})

    refused = run("fork", "src", "dst", *store.args())
    replaced = run("fork", "src", "dst", "--replace", *store.args())

    assert refused.code == 1
    assert refused.err == (
        f"error: session 'dst' exists under prefix {store.prefix!r}; "
        "pass --replace to overwrite it\n"
    )
    assert replaced.code == 0
    assert store.items("dst") == TURN


@standalone
def test_fork_of_a_missing_session_is_an_error(run: Run, store: Store) -> None:
    """A source that does not exist: exit 1, nothing created."""
    result = run("fork", "nobody", "copy", *store.args())

    assert result.code == 1
    assert "session 'nobody' does not exist" in result.err
    assert store.ids() == set()
