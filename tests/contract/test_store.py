"""The SessionStore protocol: list, count, info, delete, fork, export and import."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from contract.backends import Backend
from contract.items import user
from contract.test_owner_listing import listed_for

from openai_agents_session import ConfigurationError, SessionExistsError
from openai_agents_session.redis import SessionMetadata, SessionRecord


async def listed(backend: Backend, pattern: str = "*") -> list[str]:
    return sorted([s async for s in backend.store.list_sessions(pattern)])


async def test_list_and_count_sessions_match_the_pattern(backend: Backend) -> None:
    """Every live session is listed once; metadata and owners add no entries; globs filter."""
    ids = [f"s{n:02d}" for n in range(25)]
    for session_id in ids:
        session = backend.session(session_id, owner="ada" if session_id < "s05" else None)
        await session.add_items([user(session_id)])
    await backend.session("s03").set_metadata(title="t", tags=["x"])
    await backend.session("other").add_items([user("o")])
    assert await listed(backend) == sorted([*ids, "other"])
    assert await listed(backend, "s0?") == ids[:10]
    assert await backend.store.count_sessions() == 26
    assert await backend.store.count_sessions("s[12]*") == 15
    assert await backend.store.count_sessions("nobody*") == 0


async def test_info_reports_items_ttl_and_metadata(backend: Backend) -> None:
    """Item count, TTL, location, size and idle time if known, and metadata."""
    session = backend.session("u1", ttl=300, owner="ada")
    await session.add_items([user("a"), user("b")])
    await session.set_metadata(title="Hello", tags=["x"])
    info = await backend.store.info("u1")
    assert (info.session_id, info.item_count, info.exists) == ("u1", 2, True)
    assert info.location
    assert info.ttl_seconds is not None and 290 <= info.ttl_seconds <= 300
    assert info.size_bytes is None or info.size_bytes > 0
    assert info.idle_seconds is None or info.idle_seconds >= 0
    assert (info.metadata.title, info.metadata.owner, info.metadata.tags) == (
        "Hello",
        "ada",
        ("x",),
    )


async def test_info_of_a_missing_session_is_empty(backend: Backend) -> None:
    """A session that does not exist has no items, no TTL and empty metadata."""
    missing = await backend.store.info("nobody")
    assert (missing.item_count, missing.ttl_seconds, missing.exists) == (0, None, False)
    assert missing.metadata.created_at is None


async def test_delete_counts_what_existed_and_removes_it(backend: Backend) -> None:
    """delete() returns how many existed; their items, metadata and listings are gone."""
    for session_id in ("a", "b", "c"):
        session = backend.session(session_id, owner="o", ttl=60)
        await session.add_items([user(session_id)])
        await session.set_metadata(title=session_id)
    assert await backend.store.delete("a", "b", "never") == 2
    assert await listed(backend) == ["c"]
    assert await backend.session("a").get_items() == []
    assert (await backend.store.get_metadata("a")).title is None
    await listed_for(backend, "o", ["c"])
    assert await backend.store.delete("a") == 0


async def test_fork_copies_items_ttl_and_metadata(backend: Backend) -> None:
    """Same items, same TTL and metadata, a created_at of its own; the source is untouched."""
    source = backend.session("src", ttl=500)
    await source.add_items([user(str(n)) for n in range(2500)])
    await source.set_metadata(title="original", tags=["t"])
    before = await source.get_metadata()
    await asyncio.sleep(0.01)
    assert await backend.store.fork("src", "copy") == 2500
    assert await backend.session("copy").get_items() == await source.get_items()
    info = await backend.store.info("copy")
    assert info.ttl_seconds is not None and 490 <= info.ttl_seconds <= 500
    assert (info.metadata.title, info.metadata.tags) == ("original", ("t",))
    assert info.metadata.created_at is not None and before.created_at is not None
    assert info.metadata.created_at > before.created_at
    assert info.metadata.updated_at == info.metadata.created_at  # a new session, written now
    assert await source.get_metadata() == before
    await backend.session("copy").add_items([user("only in the copy")])
    assert len(await source.get_items()) == 2500


async def test_fork_refuses_an_existing_target_unless_replace(backend: Backend) -> None:
    """SessionExistsError keeps the target; replace=True overwrites it."""
    await backend.session("src").add_items([user("1")])
    await backend.session("dst").add_items([user("mine")])
    with pytest.raises(SessionExistsError):
        await backend.store.fork("src", "dst")
    assert await backend.session("dst").get_items() == [user("mine")]
    await backend.session("src").add_items([user("2")])
    assert await backend.store.fork("src", "dst", replace=True) == 2
    assert await backend.session("dst").get_items() == [user("1"), user("2")]


async def test_fork_onto_itself_is_refused(backend: Backend) -> None:
    """A session cannot be forked onto its own id."""
    await backend.session("src").add_items([user("1")])
    with pytest.raises(ConfigurationError):
        await backend.store.fork("src", "src")
    assert await backend.session("src").get_items() == [user("1")]


async def test_export_delete_import_restores_items_ttl_and_metadata(backend: Backend) -> None:
    """Export -> delete -> import gives identical items, TTLs within a second, and metadata."""
    store = backend.store
    expected: dict[str, list[Any]] = {}
    written = time.monotonic()
    for n in range(30):
        session = backend.session(f"user-{n}", ttl=1000 + n, owner="ada" if n % 2 else None)
        items = [user(f"{n}-{i}") for i in range(n % 5 + 1)] + [{"big": 2**70}]
        await session.add_items(items)
        expected[f"user-{n}"] = items
    await store.set_metadata("user-3", title="three", tags=["t"])
    lines = [record.to_json() async for record in store.export()]
    assert len(lines) == 30
    # Exported TTLs are what was left: at most the full TTL, less the time since the writes.
    exported_ttls = {}
    for line in lines:
        record = SessionRecord.from_json(line)
        ttl = 1000 + int(record.session_id.split("-")[1])
        assert record.ttl_seconds is not None
        assert ttl - 1 - (time.monotonic() - written) <= record.ttl_seconds <= ttl
        exported_ttls[record.session_id] = record.ttl_seconds
    assert await store.delete(*expected) == 30
    assert await store.count_sessions() == 0

    started = time.monotonic()
    for line in lines:
        assert await store.import_session(SessionRecord.from_json(line)) is True
    for session_id, items in expected.items():
        assert await backend.session(session_id).get_items() == items
        info = await store.info(session_id)
        ttl = exported_ttls[session_id]
        assert info.ttl_seconds is not None
        assert ttl - 1 - (time.monotonic() - started) <= info.ttl_seconds <= ttl
    three = await store.info("user-3")
    assert (three.metadata.title, three.metadata.tags, three.metadata.owner) == (
        "three",
        ("t",),
        "ada",
    )
    await listed_for(backend, "ada", [f"user-{n}" for n in range(1, 30, 2)], ordered=False)


async def test_export_filters_by_pattern_and_export_session_of_a_missing_one_is_none(
    backend: Backend,
) -> None:
    """export(pattern) yields only matching sessions; export_session() of nothing is None."""
    for session_id in ("keep-1", "keep-2", "skip"):
        await backend.session(session_id).add_items([user(session_id)])
    exported = {record.session_id: record.items async for record in backend.store.export("keep*")}
    assert exported == {"keep-1": [user("keep-1")], "keep-2": [user("keep-2")]}
    assert await backend.store.export_session("nobody") is None
    record = await backend.store.export_session("skip")
    assert record is not None and record.items == [user("skip")] and record.ttl_seconds is None


async def test_import_is_idempotent_and_replace_overwrites(backend: Backend) -> None:
    """A second import of the same record writes nothing; replace=True writes it anew."""
    store = backend.store
    record = SessionRecord("s", [user("a"), user("b")], 60)
    assert await store.import_session(record) is True
    assert await store.import_session(record) is False
    assert await backend.session("s").get_items() == [user("a"), user("b")]
    assert await store.import_session(SessionRecord("s", [user("c")]), replace=True) is True
    assert await backend.session("s").get_items() == [user("c")]
    assert (await store.info("s")).ttl_seconds is None


async def test_import_replace_moves_the_session_to_its_new_owner(backend: Backend) -> None:
    """An import over an owned session lists it under the record's owner only, or none."""
    store = backend.store
    await store.import_session(SessionRecord("s", [user("a")], None, SessionMetadata(owner="zoe")))
    await listed_for(backend, "zoe", ["s"])
    ada = SessionRecord("s", [user("b")], None, SessionMetadata(owner="ada"))
    assert await store.import_session(ada, replace=True) is True
    await listed_for(backend, "ada", ["s"])
    await listed_for(backend, "zoe", [])
    assert await store.import_session(SessionRecord("s", [user("c")]), replace=True) is True
    await listed_for(backend, "ada", [])


async def test_import_lists_the_session_at_its_recorded_update_time(backend: Backend) -> None:
    """An imported session sits in its owner's listing at the record's updated_at."""
    store = backend.store
    await backend.session("new", owner="ada").add_items([user("b")])
    metadata = SessionMetadata(created_at=1_700_000_000.0, updated_at=1_700_000_100.5, owner="ada")
    assert await store.import_session(SessionRecord("old", [user("a")], None, metadata))
    await listed_for(backend, "ada", ["new", "old"])
    page = await store.owner_page("ada")
    assert page.sessions[1].updated_at == pytest.approx(1_700_000_100.5, abs=1e-3)


async def test_import_publishes_whole_sessions_only(backend: Backend) -> None:
    """Readers during an import of 3,500 items see nothing or all of it."""
    big = SessionRecord("big", [user(str(n)) for n in range(3500)])
    task = asyncio.ensure_future(backend.store.import_session(big))
    seen = set()
    reader = backend.session("big")
    while not task.done():
        seen.add(len(await reader.get_items()))
        await asyncio.sleep(0)
    await task
    assert seen <= {0, 3500}
    assert len(await reader.get_items()) == 3500
    assert await listed(backend) == ["big"]
