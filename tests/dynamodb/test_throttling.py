"""Throttling and 5xx replies, injected over HTTP: absorbed by botocore, or mapped and chained.

An HttpFaultInjector on loopback answers chosen requests with the replies DynamoDB sends when
it throttles or fails, or lets the server apply a transaction and then replaces its reply
with a 500. The table is read afterwards by a client that bypasses the injector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botocore.exceptions import ClientError
from dynamodb.proxied import client_at, stored_texts
from dynamodb.support import user
from dynamodb_servers import DynamoDBLocal
from http_faults import HttpFaultInjector
from types_aiobotocore_dynamodb import DynamoDBClient

from openai_agents_session.dynamodb import DynamoDBSession
from openai_agents_session.dynamodb._driver import error_code
from openai_agents_session.errors import BackendUnavailableError

BATCH = [user("question"), user("answer")]
TRANSACT = "TransactWriteItems"
# What DynamoDB answers when it throttles or fails: (HTTP status, error code).
FAULTS = [
    pytest.param(400, "ProvisionedThroughputExceededException", id="throughput-exceeded"),
    pytest.param(400, "ThrottlingException", id="throttling"),
    pytest.param(500, "InternalServerError", id="500"),
    pytest.param(503, "ServiceUnavailable", id="503"),
]


@pytest.fixture
async def injector(dynamodb_local: DynamoDBLocal) -> AsyncIterator[HttpFaultInjector]:
    async with HttpFaultInjector(dynamodb_local.host, dynamodb_local.port) as fault_injector:
        yield fault_injector


@pytest.mark.parametrize(("status", "code"), FAULTS)
async def test_botocore_retries_absorb_a_few_faults_and_the_batch_is_stored_once(
    injector: HttpFaultInjector,
    dynamodb: DynamoDBClient,
    table: str,
    session_id: str,
    status: int,
    code: str,
) -> None:
    """Two refused attempts, then the third is forwarded: the batch is stored once."""
    async with client_at(injector.port, attempts=3) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items([user("before")])
        injector.fail(TRANSACT, 2, status=status, code=code)
        await session.add_items(BATCH)
    assert [seen.spoiled for seen in injector.seen if seen.operation == TRANSACT] == [
        False,
        True,
        True,
        False,
    ]
    assert await stored_texts(dynamodb, table, session_id) == ["before", "question", "answer"]


@pytest.mark.parametrize(("status", "code"), FAULTS)
async def test_exhausted_retries_raise_backend_unavailable_and_store_nothing(
    injector: HttpFaultInjector,
    dynamodb: DynamoDBClient,
    table: str,
    session_id: str,
    status: int,
    code: str,
) -> None:
    """Every attempt refused: BackendUnavailableError chained from botocore's ClientError,
    nothing of the batch stored; once the store recovers, the retry stores it once."""
    async with client_at(injector.port, attempts=3) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items([user("before")])
        injector.fail(TRANSACT, 3, status=status, code=code)
        with pytest.raises(BackendUnavailableError) as caught:
            await session.add_items(BATCH)
        assert await stored_texts(dynamodb, table, session_id) == ["before"]
        await session.add_items(BATCH)
    cause = caught.value.__cause__
    assert isinstance(cause, ClientError)
    assert error_code(cause) == code
    assert cause.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert cause.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert isinstance(caught.value, ClientError)  # retry policies written for botocore still work
    assert code in str(caught.value)
    assert await stored_texts(dynamodb, table, session_id) == ["before", "question", "answer"]


async def test_throttled_reads_raise_backend_unavailable(
    injector: HttpFaultInjector, table: str, session_id: str
) -> None:
    """A Query refused on every attempt is a BackendUnavailableError from its ClientError."""
    status, code = 400, "ThrottlingException"
    async with client_at(injector.port, attempts=2) as client:
        session = DynamoDBSession(session_id, client, table)
        injector.fail("Query", 2, status=status, code=code)
        with pytest.raises(BackendUnavailableError) as caught:
            await session.get_items()
        assert error_code(caught.value.__cause__ or caught.value) == code
        assert await session.get_items() == []


@pytest.mark.parametrize("attempts", [3, 1], ids=["botocore-retry", "callers-retry"])
async def test_5xx_after_the_server_applied_the_batch_is_retried_once(
    injector: HttpFaultInjector,
    dynamodb: DynamoDBClient,
    table: str,
    session_id: str,
    attempts: int,
) -> None:
    """The server applies the transaction but the client hears a 500; whoever retries,
    botocore or the caller, the batch is stored once."""
    async with client_at(injector.port, attempts=attempts) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items([user("before")])
        injector.fail(TRANSACT, 1, status=500, code="InternalServerError", after_forwarding=True)
        if attempts == 1:
            with pytest.raises(BackendUnavailableError):
                await session.add_items(BATCH)
            assert await stored_texts(dynamodb, table, session_id) == [
                "before",
                "question",
                "answer",
            ]
        await session.add_items([user("question"), user("answer")])
    assert await stored_texts(dynamodb, table, session_id) == ["before", "question", "answer"]
