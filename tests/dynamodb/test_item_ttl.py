"""Each message's own ttl: past the session's expiry, renewed before the session outlives it.

DynamoDB's sweeper is never waited for: the tests check the values written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dynamodb.support import stored, user

from openai_agents_session.dynamodb import DynamoDBSession
from openai_agents_session.dynamodb._schema import META_SK, key, message_sk
from openai_agents_session.dynamodb._session import ITEM_TTL_SLACK_SECONDS

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

NewSession = Callable[..., DynamoDBSession]


def ttl_of(item: Any) -> int | None:
    value = item.get("ttl")
    return None if value is None else int(value["N"])


async def test_messages_carry_a_ttl_a_slack_past_the_sessions_expiry(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """Each message's ttl is the session's expiry plus the slack; META records the earliest."""
    await new_session(ttl_seconds=60).add_items([user("a"), user("b")])
    items = await stored(dynamodb, table, session_id)
    expires_at = ttl_of(items[META_SK])
    assert expires_at is not None
    for seq in (0, 1):
        assert ttl_of(items[message_sk(seq)]) == expires_at + ITEM_TTL_SLACK_SECONDS
    assert items[META_SK]["items_ttl"] == {"N": str(expires_at + ITEM_TTL_SLACK_SECONDS)}


async def test_a_ttl_longer_than_the_slack_is_the_slack(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """A session TTL of three days leaves its messages three days past its expiry."""
    ttl_seconds = 3 * 24 * 3600
    await new_session(ttl_seconds=ttl_seconds).add_items([user("a")])
    items = await stored(dynamodb, table, session_id)
    expires_at = ttl_of(items[META_SK])
    assert expires_at is not None
    assert ttl_of(items[message_sk(0)]) == expires_at + ttl_seconds


async def test_messages_of_a_session_without_ttl_carry_none(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """ttl_seconds=None writes no ttl on the messages and no earliest ttl on META."""
    await new_session().add_items([user("a")])
    items = await stored(dynamodb, table, session_id)
    assert ttl_of(items[message_sk(0)]) is None
    assert "items_ttl" not in items[META_SK]


async def test_an_append_renews_old_messages_whose_ttl_got_close(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """Once the earliest message ttl nears the session's expiry, an append renews them all."""
    await new_session(ttl_seconds=60).add_items([user("a"), user("b")])
    close = int(time.time()) + 120  # what the messages of a long-lived session end up with
    for sk in (message_sk(0), message_sk(1)):
        await dynamodb.update_item(
            TableName=table,
            Key=key(session_id, sk),
            UpdateExpression="SET #ttl = :close",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":close": {"N": str(close)}},
        )
    await dynamodb.update_item(
        TableName=table,
        Key=key(session_id, META_SK),
        UpdateExpression="SET items_ttl = :close",
        ExpressionAttributeValues={":close": {"N": str(close)}},
    )
    session = new_session(ttl_seconds=60)
    await session.add_items([user("c")])
    items = await stored(dynamodb, table, session_id)
    expires_at = ttl_of(items[META_SK])
    assert expires_at is not None
    renewed = expires_at + ITEM_TTL_SLACK_SECONDS
    assert [ttl_of(items[message_sk(seq)]) for seq in range(3)] == [renewed] * 3
    assert items[META_SK]["items_ttl"] == {"N": str(renewed)}
    assert await session.get_items() == [user("a"), user("b"), user("c")]


async def test_messages_with_a_ttl_lose_it_when_the_session_stops_expiring(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """An append with ttl_seconds=None removes the ttl of the messages written with one."""
    await new_session(ttl_seconds=60).add_items([user("a")])
    await new_session().add_items([user("b")])
    items = await stored(dynamodb, table, session_id)
    assert ttl_of(items[META_SK]) is None
    assert [ttl_of(items[message_sk(seq)]) for seq in range(2)] == [None, None]
    assert "items_ttl" not in items[META_SK]


async def test_a_fresh_append_does_not_renew(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """Messages written a moment ago keep their ttl: the next append leaves them alone."""
    await new_session(ttl_seconds=60).add_items([user("a")])
    first = ttl_of((await stored(dynamodb, table, session_id))[message_sk(0)])
    await new_session(ttl_seconds=600).add_items([user("b")])
    items = await stored(dynamodb, table, session_id)
    assert ttl_of(items[message_sk(0)]) == first
    assert items[META_SK]["items_ttl"] == {"N": str(first)}


async def test_the_session_never_expires_before_its_ttl(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """The expiry written is at least ttl_seconds after the append began: rounded up."""
    before = time.time()
    await new_session(ttl_seconds=60).add_items([user("a")])
    expires_at = ttl_of((await stored(dynamodb, table, session_id))[META_SK])
    assert expires_at is not None
    assert before + 60 <= expires_at < time.time() + 61
