"""TTL: set by every append, refreshed by the next one, and an expired session is gone."""

from __future__ import annotations

import asyncio
import time

from contract.backends import Backend
from contract.items import user


async def wait_until_gone(backend: Backend, session_id: str, ttl: int, since: float) -> float:
    """Poll until the session reads empty; return when, failing after TTL plus resolution."""
    deadline = since + ttl + backend.ttl_resolution_s + 1.0
    session = backend.session(session_id)
    while await session.get_items():
        assert time.monotonic() < deadline, f"{session_id!r} outlived its TTL of {ttl}s"
        await asyncio.sleep(0.05)
    return time.monotonic()


async def test_add_items_sets_the_ttl(backend: Backend) -> None:
    """After an append the session has its full TTL left."""
    await backend.session("s", ttl=3600).add_items([user("a")])
    ttl = (await backend.store.info("s")).ttl_seconds
    assert ttl is not None and 3600 - 10 <= ttl <= 3600


async def test_ttl_none_never_expires(backend: Backend) -> None:
    """ttl=None leaves the session without an expiry."""
    await backend.session("s", ttl=None).add_items([user("a")])
    assert (await backend.store.info("s")).ttl_seconds is None


async def test_add_items_sets_the_ttl_back_to_its_full_value(backend: Backend) -> None:
    """An append with a longer TTL than the time left extends the session to that TTL."""
    await backend.session("s", ttl=100).add_items([user("a")])
    await backend.session("s", ttl=3600).add_items([user("b")])
    ttl = (await backend.store.info("s")).ttl_seconds
    assert ttl is not None and 3600 - 10 <= ttl <= 3600


async def test_add_items_refreshes_the_ttl_and_the_session_expires_after_it(
    backend: Backend,
) -> None:
    """An append keeps a session alive past its first TTL; once left alone, it expires."""
    session = backend.session("s", ttl=1)
    await session.add_items([user("a")])
    first = time.monotonic()
    await asyncio.sleep(0.6)
    await session.add_items([user("b")])
    refreshed = time.monotonic()
    await asyncio.sleep(max(0.0, first + 1.2 - time.monotonic()))
    assert await session.get_items() == [user("a"), user("b")], "the refresh was lost"
    gone = await wait_until_gone(backend, "s", 1, refreshed)
    assert gone >= refreshed + 1 - 0.1
    assert (await backend.store.info("s")).exists is False
    assert [s async for s in backend.store.list_sessions()] == []
    assert await backend.store.export_session("s") is None
