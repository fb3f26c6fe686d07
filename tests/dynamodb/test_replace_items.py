"""replace_items on DynamoDB: one transaction moves the floor and puts the new history."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from dynamodb.support import stored, user

from openai_agents_session import ItemEncodeError
from openai_agents_session.dynamodb import DynamoDBSession
from openai_agents_session.dynamodb._schema import META_SK, key, message_sk
from openai_agents_session.dynamodb._session import ITEM_TTL_SLACK_SECONDS

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

NewSession = Callable[..., DynamoDBSession]


async def test_replace_items_swaps_the_history_and_deletes_the_old_items(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """The new items are the whole history, and the old ones are gone from the table."""
    session = new_session(ttl_seconds=60)
    await session.add_items([user(str(n)) for n in range(5)])
    await session.replace_items([user("summary"), user("last")])
    assert await session.get_items() == [user("summary"), user("last")]
    assert await new_session().get_items() == [user("summary"), user("last")]
    assert sorted(await stored(dynamodb, table, session_id)) == [
        message_sk(5),
        message_sk(6),
        META_SK,
    ]


async def test_replace_items_keeps_owner_and_created_at_and_refreshes_the_rest(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """META keeps owner and created_at; updated_at, the TTL and the message ttls move on."""
    await new_session(ttl_seconds=60, owner="ada").add_items([user("a")])
    before = (await stored(dynamodb, table, session_id))[META_SK]
    await new_session(ttl_seconds=600).replace_items([user("b")])
    items = await stored(dynamodb, table, session_id)
    meta = items[META_SK]
    assert meta["owner"] == {"S": "ada"}
    assert meta["created_at"] == before["created_at"]
    assert int(meta["updated_at"]["N"]) >= int(before["updated_at"]["N"])
    expires_at = int(meta["ttl"]["N"])
    assert expires_at >= int(time.time()) + 590
    assert items[message_sk(1)]["ttl"] == {"N": str(expires_at + ITEM_TTL_SLACK_SECONDS)}
    assert meta["items_ttl"] == {"N": str(expires_at + ITEM_TTL_SLACK_SECONDS)}


async def test_replace_items_with_nothing_clears_the_session(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """An empty replacement reads as an empty session and deletes the messages."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    await session.replace_items([])
    assert await session.get_items() == []
    assert sorted(await stored(dynamodb, table, session_id)) == [META_SK]


async def test_replace_items_on_a_new_session_stores_the_items(new_session: NewSession) -> None:
    """Replacing the history of a session that never existed creates it."""
    session = new_session()
    await session.replace_items([user("a")])
    assert await new_session().get_items() == [user("a")]


async def test_replace_items_on_an_expired_session_starts_it_anew(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """Past its expiry the old history stays gone and only the replacement is read."""
    session = new_session(ttl_seconds=60)
    await session.add_items([user("old")])
    await dynamodb.update_item(
        TableName=table,
        Key=key(session_id, META_SK),
        UpdateExpression="SET #ttl = :past",
        ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 10)}},
    )
    await session.replace_items([user("new")])
    assert await new_session().get_items() == [user("new")]


async def test_replace_items_retried_with_its_batch_id_is_skipped(
    new_session: NewSession,
) -> None:
    """A replacement repeated with the same batch id does not undo a later append."""
    session = new_session()
    await session.add_items([user("a")])
    await session.replace_items([user("summary")], batch_id="compact-1")
    await new_session().add_items([user("after")])
    await new_session().replace_items([user("summary")], batch_id="compact-1")
    assert await session.get_items() == [user("summary"), user("after")]


async def test_an_add_items_batch_id_does_not_skip_a_replacement(new_session: NewSession) -> None:
    """The same id on add_items and on replace_items names two batches."""
    session = new_session()
    await session.add_items([user("a")], batch_id="same")
    await session.replace_items([user("b")], batch_id="same")
    assert await session.get_items() == [user("b")]


async def test_refused_replacements_change_nothing(new_session: NewSession) -> None:
    """An unencodable item leaves the old history."""
    session = new_session()
    await session.add_items([user("kept")])
    with pytest.raises(ItemEncodeError):
        await session.replace_items([user("new"), {"role": "user", "content": {1, 2}}])
    assert await session.get_items() == [user("kept")]


async def test_a_replacement_bigger_than_a_transaction_is_staged_atomically(
    new_session: NewSession,
) -> None:
    """A 300-item replacement swaps the history whole; the old items are gone."""
    session = new_session()
    await session.add_items([user("old")])
    batch = [user(str(n)) for n in range(300)]
    await session.replace_items(batch)
    assert await session.get_items() == batch
    assert await new_session().get_items(limit=1) == [user("299")]


async def test_replace_items_honours_max_items(new_session: NewSession) -> None:
    """A replacement longer than max_items keeps only its newest items."""
    session = new_session(max_items=2)
    await session.add_items([user("a")])
    await session.replace_items([user("x"), user("y"), user("z")])
    assert await session.get_items() == [user("y"), user("z")]


async def test_atomic_replace_items_hook_replaces_and_returns_true(
    new_session: NewSession,
) -> None:
    """The SDK's compaction hook replaces the history and reports that it did."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    assert await session._atomic_replace_items([user("summary")]) is True
    assert await session.get_items() == [user("summary")]
