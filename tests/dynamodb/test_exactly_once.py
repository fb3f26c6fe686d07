"""Exactly-once after the ClientRequestToken's ten minutes: the batch's first seq tells."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from dynamodb.support import user
from dynamodb_servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, DynamoDBLocal
from proxy import FaultProxy

from openai_agents_session.dynamodb import DynamoDBSession, _session
from openai_agents_session.errors import BackendUnavailableError

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@pytest.fixture
def expired_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request gets a token never seen before, as after the ten-minute window."""
    monkeypatch.setattr(_session, "request_token", lambda *parts: uuid.uuid4().hex[:36])


@pytest.fixture
async def proxied_session(
    dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> AsyncIterator[tuple[DynamoDBSession, FaultProxy]]:
    """A session whose client talks to DynamoDB Local through a FaultProxy, no retries."""
    async with FaultProxy("127.0.0.1", dynamodb_local.port) as proxy:
        config = AioConfig(retries={"mode": "standard", "total_max_attempts": 1})
        async with AioSession().create_client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{proxy.port}",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=config,
        ) as client:
            yield DynamoDBSession(session_id, client, table), proxy


async def test_a_retry_after_a_lost_reply_is_not_stored_twice_once_the_token_expired(
    proxied_session: tuple[DynamoDBSession, FaultProxy], expired_tokens: None
) -> None:
    """The append's reply is lost; the retry reads the batch's first seq and writes nothing."""
    session, proxy = proxied_session
    await session.add_items([user("a")])
    proxy.drop_next_reply(matching=b"TransactWriteItems")
    with pytest.raises(BackendUnavailableError):
        await session.add_items([user("b"), user("c")])
    await session.add_items([user("b"), user("c")])
    assert await session.get_items() == [user("a"), user("b"), user("c")]
    await session.add_items([user("b"), user("c")])  # a new call after success: a new batch
    assert len(await session.get_items()) == 5


async def test_a_retry_of_a_staged_batch_whose_commit_reply_was_lost_is_stored_once(
    proxied_session: tuple[DynamoDBSession, FaultProxy], expired_tokens: None
) -> None:
    """A 300-item batch committed but unconfirmed, retried with its batch id: stored once."""
    session, proxy = proxied_session
    batch = [user(str(n)) for n in range(300)]
    proxy.drop_next_reply(matching=b"REMOVE #lease")
    with pytest.raises(BackendUnavailableError):
        await session.add_items(batch, batch_id="job-1")
    await session.add_items(batch, batch_id="job-1")
    assert await session.get_items() == batch


async def test_a_token_spent_without_the_batch_stored_is_replaced_not_taken_as_stored(
    dynamodb: DynamoDBClient, new_session: Callable[..., DynamoDBSession], table: str
) -> None:
    """DynamoDB answers IdempotentParameterMismatch when the batch's token was used with other
    parameters: that alone does not mean the batch is stored. Here the token was spent on
    another write; the append finds no item of its batch, takes a fresh token and stores it."""
    session = new_session()
    token = _session.request_token(table, session.session_id, "the-batch")
    await dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "elsewhere"}, "sk": {"S": "x"}}}}
        ],
        ClientRequestToken=token,
    )
    await session.add_items([user("kept")], batch_id="the-batch")
    assert await new_session().get_items() == [user("kept")]
    await session.add_items([user("kept")], batch_id="the-batch")  # a retry: found, skipped
    assert await new_session().get_items() == [user("kept")]
