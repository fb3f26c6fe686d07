"""Exactly-once appends, where the backend claims them: a retried batch is stored once.

A lost reply is provoked here without a proxy, by cancelling ``add_items`` at every point
of its round trip; tests/redis keeps the proxy-based ones (a reply cut on the wire).
"""

from __future__ import annotations

import asyncio

import pytest
from contract.backends import Backend
from contract.items import assistant, user

BATCH = [user("once"), assistant("only once")]


@pytest.fixture(autouse=True)
def _exactly_once(backend: Backend) -> None:
    backend.require("exactly_once")


async def test_same_batch_id_twice_stores_the_batch_once(backend: Backend) -> None:
    """Two session objects (two workers) retrying with one batch_id store the batch once."""
    first, second = backend.session("s", ttl=60), backend.session("s", ttl=60)
    await first.add_items(BATCH, batch_id="job-42")
    await second.add_items(BATCH, batch_id="job-42")
    await second.add_items(BATCH, batch_id="job-43")
    assert await first.get_items() == BATCH * 2


async def test_identical_batches_from_separate_calls_are_all_stored(backend: Backend) -> None:
    """De-duplication is by batch id, never by content."""
    session = backend.session("s")
    for _ in range(3):
        await session.add_items(BATCH)
    assert await session.get_items() == BATCH * 3


async def test_replace_items_with_a_batch_id_it_applied_is_skipped(backend: Backend) -> None:
    """A replacement retried with its batch id does not undo what was appended since."""
    session = backend.session("s")
    await session.replace_items([user("summary")], batch_id="compact-1")
    await session.add_items([user("after")])
    await session.replace_items([user("summary")], batch_id="compact-1")
    assert await session.get_items() == [user("summary"), user("after")]


async def test_retry_after_a_cancelled_add_items_stores_the_batch_once(backend: Backend) -> None:
    """Cancelled at any point, then retried with the same items: stored exactly once."""
    session = backend.session("s", ttl=60)
    batch = [user(f"b{i}") for i in range(200)]
    for step in range(25):
        await session.clear_session()
        task = asyncio.ensure_future(session.add_items(batch))
        await asyncio.sleep(step * 0.0002)
        task.cancel()
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, asyncio.CancelledError):
            await session.add_items([dict(item) for item in batch])  # the SDK retries copies
        assert await session.get_items() == batch


async def test_a_new_call_after_a_success_is_a_new_batch(backend: Backend) -> None:
    """Once a retry succeeded, the same items again are a new batch, stored again."""
    session = backend.session("s", ttl=60)
    task = asyncio.ensure_future(session.add_items(BATCH))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await session.add_items(BATCH)  # the retry: stored at most once in all
    assert await session.get_items() == BATCH
    await session.add_items(BATCH)
    assert await session.get_items() == BATCH * 2
