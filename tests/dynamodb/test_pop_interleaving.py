"""pop_item under an exact interleaving: the item it returns is the item it deleted.

An HttpFaultInjector holds one popper's transaction after its read, while another popper and
a writer run; META's next sequence number is back where the first popper read it, but the
newest item is another one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from dynamodb.proxied import client_at
from dynamodb.support import user
from dynamodb_servers import DynamoDBLocal
from http_faults import HttpFaultInjector
from types_aiobotocore_dynamodb import DynamoDBClient

from openai_agents_session.dynamodb import DynamoDBSession


@pytest.fixture
async def injector(dynamodb_local: DynamoDBLocal) -> AsyncIterator[HttpFaultInjector]:
    async with HttpFaultInjector(dynamodb_local.host, dynamodb_local.port) as fault_injector:
        yield fault_injector


async def test_pop_after_a_pop_and_an_append_returns_the_item_it_removed(
    injector: HttpFaultInjector, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """A popper reads "b" at the top, then "b" is popped and "c" appended in its place before
    its write: it must return "c", the item it removes, not "b" a second time."""
    await DynamoDBSession(session_id, dynamodb, table).add_items([user("a"), user("b")])
    async with client_at(injector.port) as client:
        slow = DynamoDBSession(session_id, client, table)
        hold = injector.hold_next("TransactWriteItems")
        slow_pop = asyncio.ensure_future(slow.pop_item())
        await asyncio.wait_for(hold.arrived.wait(), 5)

        assert await DynamoDBSession(session_id, dynamodb, table).pop_item() == user("b")
        await DynamoDBSession(session_id, dynamodb, table).add_items([user("c")])
        hold.released.set()
        popped = await asyncio.wait_for(slow_pop, 5)

    assert popped == user("c")
    assert await DynamoDBSession(session_id, dynamodb, table).get_items() == [user("a")]
