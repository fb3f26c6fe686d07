"""Batches too big for one transaction: staged under a lease on META, committed at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from dynamodb.support import stored, user

from openai_agents_session.dynamodb import DynamoDBSession, _session, _staging
from openai_agents_session.dynamodb._schema import META_SK, key
from openai_agents_session.errors import ConflictError

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

NewSession = Callable[..., DynamoDBSession]


def output(text: str, call_id: str) -> Any:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


async def test_a_1000_item_batch_is_stored_whole_in_order_and_releases_its_lease(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """1,000 items in one call: all of them in order, and META keeps no lease."""
    session = new_session(ttl_seconds=600)
    await session.add_items([user("first")])
    batch = [user(str(n)) for n in range(1000)]
    await session.add_items(batch)
    await session.add_items([user("last")])
    assert await new_session().get_items() == [user("first"), *batch, user("last")]
    assert await new_session().get_items(limit=3) == [user("998"), user("999"), user("last")]
    meta = (await stored(dynamodb, table, session_id))[META_SK]
    assert "lease" not in meta
    assert "lease_until" not in meta


async def test_a_10mb_batch_and_a_5mb_item_round_trip(new_session: NewSession) -> None:
    """Ten 1 MB outputs in one call (over 4 MB), then one 5 MB output, read back whole."""
    session = new_session()
    batch = [output(chr(ord("a") + n) * 1_000_000, f"c{n}") for n in range(10)]
    await session.add_items(batch)
    huge = output("é😀x" * 750_000, "huge")
    await session.add_items([huge])
    assert await new_session().get_items() == [*batch, huge]
    assert await session.pop_item() == huge
    assert await session.get_items(limit=1) == [batch[-1]]


async def stage_then_cancel(
    session: DynamoDBSession, batch: list[Any], probe: DynamoDBSession, batch_id: str | None = None
) -> None:
    """Start ``add_items(batch)`` and cancel it once some of it is staged, none committed."""
    task = asyncio.ensure_future(session.add_items(batch, batch_id=batch_id))
    client, table, sid = probe._client, probe.table_name, probe.session_id
    assert client is not None
    while True:
        items = await stored(client, table, sid)
        meta = items.get(META_SK, {})
        if "lease" in meta and sum(sk.startswith(("m#", "c#")) for sk in items) > 150:
            break
        assert not task.done()
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_writer_killed_mid_staging_leaves_nothing_visible_and_its_lease_lapses(
    new_session: NewSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled mid-staging: readers see the old history; another writer waits, then wins."""
    monkeypatch.setattr(_staging, "LEASE_SECONDS", 2)
    writer, other = new_session(), new_session()
    await other.add_items([user("a"), user("b")])
    batch = [user(f"big{n}") for n in range(2000)]
    await stage_then_cancel(writer, batch, other)
    assert await other.get_items() == [user("a"), user("b")]
    assert await other.get_items(limit=1) == [user("b")]
    client = other._client
    assert client is not None
    meta = (await stored(client, other.table_name, other.session_id))[META_SK]
    lapses_at = int(meta["lease_until"]["N"])
    started = time.monotonic()
    await other.add_items([user("c")])  # waits for the lapse, then overwrites the leftovers
    assert time.time() >= lapses_at
    assert time.monotonic() - started < 5
    assert await new_session().get_items() == [user("a"), user("b"), user("c")]
    assert await other.pop_item() == user("c")
    assert await new_session().get_items() == [user("a"), user("b")]


async def test_a_retry_of_a_batch_cancelled_mid_staging_stores_it_once(
    new_session: NewSession,
) -> None:
    """The same batch again (same object, or same batch_id elsewhere) resumes its own lease."""
    writer = new_session()
    batch = [user(f"big{n}") for n in range(2000)]
    await stage_then_cancel(writer, batch, new_session())
    started = time.monotonic()
    await writer.add_items([dict(item) for item in batch])
    assert time.monotonic() - started < _staging.LEASE_SECONDS / 2  # no wait for a lapse
    assert await new_session().get_items() == batch
    await writer.clear_session()
    # An explicit batch id: cancelled in one object, retried from another, then again.
    await stage_then_cancel(new_session(), batch, writer, batch_id="job-7")
    elsewhere = new_session()
    started = time.monotonic()
    await elsewhere.add_items(batch, batch_id="job-7")
    assert time.monotonic() - started < _staging.LEASE_SECONDS / 2
    await elsewhere.add_items(batch, batch_id="job-7")
    assert await new_session().get_items() == batch


async def test_readers_and_writers_racing_a_big_batch_see_all_or_nothing(
    new_session: NewSession,
) -> None:
    """While 1,500 items are staged, readers see none of them; a small append waits its turn."""
    writer, reader = new_session(), new_session()
    await reader.add_items([user("before")])
    batch = [user(f"m{n}") for n in range(1500)]
    seen: set[int] = set()

    async def watch() -> None:
        for _ in range(40):
            seen.add(len(await reader.get_items()))
            assert await reader.get_items(limit=1) in ([user("before")], [batch[-1]], [user("x")])
            await asyncio.sleep(0.01)

    async def append_late() -> None:
        await asyncio.sleep(0.05)
        await new_session().add_items([user("x")])

    await asyncio.gather(writer.add_items(batch), watch(), append_late())
    assert seen <= {1, 2, 1501, 1502}
    items = await reader.get_items()
    assert len(items) == 1502
    assert items[0] == user("before")
    assert [item for item in items if item["content"].startswith("m")] == batch


async def test_a_writer_held_off_past_its_budget_raises_conflict_error_and_stores_nothing(
    new_session: NewSession,
    dynamodb: DynamoDBClient,
    table: str,
    session_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lease that never lapses (a stuck writer elsewhere) ends appends and pops in time."""
    monkeypatch.setattr(_session, "CONFLICT_BUDGET_SECONDS", 1.0)
    session = new_session()
    await session.add_items([user("a")])
    await dynamodb.update_item(
        TableName=table,
        Key=key(session_id, META_SK),
        UpdateExpression="SET lease = :lease, lease_until = :until",
        ExpressionAttributeValues={
            ":lease": {"S": "someone-else:x"},
            ":until": {"N": str(int(time.time()) + 3600)},
        },
    )
    for operation in (session.add_items([user("b")]), session.pop_item()):
        started = time.monotonic()
        with pytest.raises(ConflictError, match="big batch"):
            await operation
        assert time.monotonic() - started < 3
    assert await new_session().get_items() == [user("a")]
