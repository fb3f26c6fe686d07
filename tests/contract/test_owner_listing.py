"""An owner's sessions, most recently updated first, paged by cursor; vanished ones excluded."""

from __future__ import annotations

import asyncio
import time

from contract.backends import Backend
from contract.items import user
from contract.test_ttl import wait_until_gone


async def ids(backend: Backend, owner: str, count: int = 100) -> list[str]:
    page = await backend.store.owner_page(owner, count=count)
    return [entry.session_id for entry in page.sessions]


async def listed_for(
    backend: Backend, owner: str, expected: list[str], *, count: int = 100, ordered: bool = True
) -> None:
    """Assert the owner's listing becomes ``expected``, polling while the backend's may lag.

    With ``ordered=False`` only the set of ids counts.
    """
    deadline = time.monotonic() + backend.owner_listing_lag_s
    while True:
        listed = await ids(backend, owner, count)
        if listed == expected or (not ordered and sorted(listed) == sorted(expected)):
            return
        assert time.monotonic() < deadline, f"{owner!r} lists {listed}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_owner_page_lists_sessions_most_recently_updated_first(backend: Backend) -> None:
    """Each append moves the session to the top; clear_session removes it."""
    first, second = backend.session("a", owner="ada"), backend.session("b", owner="ada")
    await first.add_items([user("1")])
    await second.add_items([user("2")])
    await listed_for(backend, "ada", ["b", "a"])
    await first.add_items([user("3")])
    await listed_for(backend, "ada", ["a", "b"])
    page = await backend.store.owner_page("ada")
    assert page.sessions[0].updated_at >= page.sessions[1].updated_at
    await first.clear_session()
    await listed_for(backend, "ada", ["b"])
    assert await ids(backend, "bob") == []


async def test_owner_page_follows_the_cursor_to_the_last_page(backend: Backend) -> None:
    """Pages of 3 over 7 sessions: 3, 3, 1, newest first, the last cursor None."""
    for n in range(7):
        await backend.session(f"chat-{n}", owner="ada").add_items([user(str(n))])
    await backend.session("chat-1", owner="ada").add_items([user("again")])
    await listed_for(backend, "ada", ["chat-1", *(f"chat-{n}" for n in (6, 5, 4, 3, 2, 0))])
    seen: list[list[str]] = []
    cursor = None
    for _ in range(5):
        page = await backend.store.owner_page("ada", cursor=cursor, count=3)
        seen.append([entry.session_id for entry in page.sessions])
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == [
        ["chat-1", "chat-6", "chat-5"],
        ["chat-4", "chat-3", "chat-2"],
        ["chat-0"],
    ]


async def test_owner_page_excludes_deleted_sessions(backend: Backend) -> None:
    """Sessions deleted through the store are no longer listed for their owner."""
    for n in range(4):
        await backend.session(f"chat-{n}", owner="ada").add_items([user(str(n))])
    assert await backend.store.delete("chat-3", "chat-1") == 2
    await listed_for(backend, "ada", ["chat-2", "chat-0"], count=2)


async def test_owner_page_excludes_expired_sessions(backend: Backend) -> None:
    """A short-lived session drops out of the listing; the owner's other sessions stay."""
    await backend.session("long", ttl=3600, owner="ada").add_items([user("a")])
    await backend.session("forever", owner="ada").add_items([user("a")])
    short = backend.session("short", ttl=1, owner="ada")
    await short.add_items([user("a")])
    written = time.monotonic()
    await listed_for(backend, "ada", ["short", "forever", "long"])
    await wait_until_gone(backend, "short", 1, written)
    await listed_for(backend, "ada", ["forever", "long"])


async def test_changing_the_owner_moves_the_session_between_owners(backend: Backend) -> None:
    """set_metadata(owner=...) removes it from the old owner's listing and adds it to the new."""
    session = backend.session("s", ttl=60, owner="ada")
    await session.add_items([user("1")])
    assert (await session.get_metadata()).owner == "ada"
    await session.set_metadata(owner="bob")
    assert (await session.get_metadata()).owner == "bob"
    await listed_for(backend, "ada", [])
    await listed_for(backend, "bob", ["s"])


async def test_fork_lists_the_copy_under_the_owner(backend: Backend) -> None:
    """A fork of an owned session is listed under the same owner."""
    await backend.session("src", ttl=60, owner="ada").add_items([user("a")])
    await backend.store.fork("src", "copy")
    await listed_for(backend, "ada", ["copy", "src"], ordered=False)
