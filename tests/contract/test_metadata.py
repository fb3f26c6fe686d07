"""Metadata: created_at set once, updated_at follows appends, user fields set, kept, removed."""

from __future__ import annotations

import time

from contract.backends import Backend
from contract.items import user
from contract.test_owner_listing import listed_for


async def test_created_at_is_set_once_and_updated_at_advances(backend: Backend) -> None:
    """created_at is the first append's time; updated_at follows every append."""
    session = backend.session("s", ttl=60)
    assert (await session.get_metadata()).created_at is None
    before = time.time()
    await session.add_items([user("1")])
    first = await session.get_metadata()
    await session.add_items([user("2")])
    second = await session.get_metadata()
    assert first.created_at is not None and before - 1 <= first.created_at <= time.time() + 1
    assert second.created_at == first.created_at
    assert second.updated_at is not None and first.updated_at is not None
    assert second.updated_at >= first.updated_at


async def test_setting_metadata_after_the_first_append_keeps_created_at(backend: Backend) -> None:
    """A title set after the first turn does not move created_at past updated_at."""
    session = backend.session("s", ttl=60)
    await session.add_items([user("1")])
    first = await session.get_metadata()
    await session.set_metadata(title="Trip")
    after = await session.get_metadata()
    assert after.created_at == first.created_at
    assert after.created_at is not None and after.updated_at is not None
    assert after.created_at <= after.updated_at


async def test_user_fields_are_set_kept_and_removed(backend: Backend) -> None:
    """Omitted fields stay, None removes one, tags round-trip."""
    session = backend.session("s", ttl=60)
    await session.set_metadata(title="Trip to Rome", tags=["travel", "it"], owner="ada")
    await session.add_items([user("1")])
    await session.set_metadata(title=None)
    metadata = await session.get_metadata()
    assert (metadata.title, metadata.owner, metadata.tags) == (None, "ada", ("travel", "it"))
    assert metadata.created_at is not None
    await session.set_metadata(tags=None, owner=None)
    metadata = await session.get_metadata()
    assert (metadata.title, metadata.owner, metadata.tags) == (None, None, ())


async def test_store_metadata_is_the_sessions_metadata(backend: Backend) -> None:
    """store.get_metadata/set_metadata read and write what the session sees."""
    session = backend.session("s", ttl=60)
    await session.add_items([user("1")])
    await backend.store.set_metadata("s", title="From the store", tags=["x"])
    assert (await session.get_metadata()).title == "From the store"
    assert await backend.store.get_metadata("s") == await session.get_metadata()


async def test_store_set_metadata_keeps_the_sessions_ttl(backend: Backend) -> None:
    """Metadata written through the store expires with the session, not later."""
    await backend.session("s", ttl=300).add_items([user("1")])
    await backend.store.set_metadata("s", title="t")
    info = await backend.store.info("s")
    assert info.ttl_seconds is not None and info.ttl_seconds <= 300
    assert info.metadata.title == "t"


async def test_clear_session_removes_the_metadata(backend: Backend) -> None:
    """A cleared session has no metadata left."""
    session = backend.session("s", ttl=60, owner="ada")
    await session.add_items([user("1")])
    await session.set_metadata(title="t")
    await session.clear_session()
    assert await session.get_metadata() == await backend.session("never").get_metadata()


async def test_popping_the_last_item_removes_the_metadata(backend: Backend) -> None:
    """A session popped empty keeps no metadata and leaves its owner's listing."""
    session = backend.session("u", owner="ada")
    await session.set_metadata(title="t")
    await session.add_items([user("a"), user("b")])
    assert await session.pop_item() == user("b")
    assert await session.pop_item() == user("a")
    assert await session.pop_item() is None
    assert (await session.get_metadata()).title is None
    await listed_for(backend, "ada", [])
