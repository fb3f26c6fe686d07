"""Exactly-once appends when a reply is lost, and prompt failures when the store goes silent.

A FaultProxy on loopback sits between a real aiobotocore client and DynamoDB Local: it loses
the reply of a TransactWriteItems the server applied, or swallows every byte. What the tests
check is in the table itself, read by a client that bypasses the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from botocore import exceptions as botocore_errors
from dynamodb.proxied import TRANSACT_WRITE, client_at, stored_texts, wait_for_texts
from dynamodb.support import user
from dynamodb_servers import DynamoDBLocal
from proxy import FaultProxy
from types_aiobotocore_dynamodb import DynamoDBClient

from openai_agents_session.dynamodb import DynamoDBSession
from openai_agents_session.errors import BackendUnavailableError

BATCH = [user("question"), user("answer")]
# Short client timeouts and how long a failure may take on top of them on a busy machine.
TIMEOUT_S = 0.5
SLACK_S = 1.5


@pytest.fixture
async def proxy(dynamodb_local: DynamoDBLocal) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(dynamodb_local.host, dynamodb_local.port) as fault_proxy:
        yield fault_proxy


async def test_botocore_retry_after_a_lost_reply_stores_the_batch_once(
    proxy: FaultProxy, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """The reply of an applied transaction is lost; botocore's retry resends it: stored once."""
    async with client_at(proxy.port, attempts=3) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items([user("before")])
        proxy.drop_next_reply(matching=TRANSACT_WRITE)
        await session.add_items(BATCH)
        assert not proxy.drop_pending
        assert await session.get_items() == [user("before"), *BATCH]
    assert await stored_texts(dynamodb, table, session_id) == ["before", "question", "answer"]


async def test_botocore_retry_after_a_lost_pop_reply_removes_one_item(
    proxy: FaultProxy, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """The reply of an applied pop is lost; botocore's retry (same token) returns the item
    and removes nothing more."""
    async with client_at(proxy.port, attempts=3) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items([user("first"), *BATCH])
        proxy.drop_next_reply(matching=TRANSACT_WRITE)
        assert await session.pop_item() == user("answer")
        assert not proxy.drop_pending
    assert await stored_texts(dynamodb, table, session_id) == ["first", "question"]


async def test_callers_retry_after_a_lost_reply_stores_the_batch_once(
    proxy: FaultProxy, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """No botocore retry: the call fails though the server applied it; the same call again
    from the same object is recognised and stored once; the next call is a new batch."""
    async with client_at(proxy.port, attempts=1) as client:
        session = DynamoDBSession(session_id, client, table)
        proxy.drop_next_reply(matching=TRANSACT_WRITE)
        with pytest.raises(BackendUnavailableError) as caught:
            await session.add_items(BATCH)
        assert isinstance(caught.value.__cause__, botocore_errors.BotoCoreError)
        assert await stored_texts(dynamodb, table, session_id) == ["question", "answer"]
        await session.add_items([user("question"), user("answer")])  # equal, not the same list
        assert await stored_texts(dynamodb, table, session_id) == ["question", "answer"]
        await session.add_items(BATCH)
    assert await stored_texts(dynamodb, table, session_id) == ["question", "answer"] * 2


async def test_callers_retry_after_a_read_timeout_stores_the_batch_once(
    proxy: FaultProxy, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """A reply slower than the read timeout: the caller's retry of the applied batch is a no-op."""
    async with client_at(proxy.port, attempts=1, read_timeout=TIMEOUT_S) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items([user("before")])
        proxy.set_delay(TIMEOUT_S)  # the request lands after TIMEOUT_S, its reply twice that
        with pytest.raises(BackendUnavailableError) as caught:
            await session.add_items(BATCH)
        assert isinstance(caught.value.__cause__, botocore_errors.ReadTimeoutError)
        proxy.heal()
        assert await wait_for_texts(dynamodb, table, session_id, 3) == [
            "before",
            "question",
            "answer",
        ]
        await session.add_items(BATCH)
    assert await stored_texts(dynamodb, table, session_id) == ["before", "question", "answer"]


async def test_batch_id_retried_by_a_new_session_object_is_stored_once(
    proxy: FaultProxy, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """A worker loses the reply and dies; another worker (new client, new object) retries the
    job with its batch_id: stored once, even though the session moved on in between."""
    async with client_at(proxy.port, attempts=1) as client:
        proxy.drop_next_reply(matching=TRANSACT_WRITE)
        with pytest.raises(BackendUnavailableError):
            await DynamoDBSession(session_id, client, table).add_items(BATCH, batch_id="job-7")
    assert await stored_texts(dynamodb, table, session_id) == ["question", "answer"]
    await DynamoDBSession(session_id, dynamodb, table).add_items([user("meanwhile")])

    async with client_at(proxy.port, attempts=1) as client:
        await DynamoDBSession(session_id, client, table).add_items(BATCH, batch_id="job-7")
    assert await stored_texts(dynamodb, table, session_id) == ["question", "answer", "meanwhile"]


@pytest.mark.parametrize("operation", ["get_items", "add_items"])
async def test_black_holed_store_fails_within_the_read_timeout(
    proxy: FaultProxy, table: str, session_id: str, operation: str
) -> None:
    """A store that swallows every byte is a BackendUnavailableError after the read timeouts
    of botocore's attempts, not a hang."""
    async with client_at(proxy.port, attempts=2, read_timeout=TIMEOUT_S) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items(BATCH)
        proxy.black_hole()
        call = session.add_items(BATCH) if operation == "add_items" else session.get_items()
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError) as caught:
            await call
        elapsed = time.monotonic() - started
    assert isinstance(caught.value.__cause__, botocore_errors.ReadTimeoutError)
    assert 2 * TIMEOUT_S <= elapsed < 2 * TIMEOUT_S + SLACK_S


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port whose accept queue is full, so a new connection's SYN goes unanswered."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        while True:
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.2)
            fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", port))
            except OSError:  # timed out: the queue is full
                break
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_unanswered_connect_fails_within_the_connect_timeout(
    table: str, session_id: str
) -> None:
    """A server that never completes the TCP handshake is a BackendUnavailableError after
    the connect timeouts of botocore's attempts."""
    with unanswered_port() as port:
        async with client_at(port, attempts=2, connect_timeout=TIMEOUT_S) as client:
            session = DynamoDBSession(session_id, client, table)
            started = time.monotonic()
            with pytest.raises(BackendUnavailableError) as caught:
                await session.get_items()
            elapsed = time.monotonic() - started
    assert isinstance(caught.value.__cause__, botocore_errors.ConnectTimeoutError)
    assert 2 * TIMEOUT_S <= elapsed < 2 * TIMEOUT_S + SLACK_S


@pytest.mark.parametrize("operation", ["get_items", "add_items"])
async def test_cancelling_a_call_blocked_on_a_silent_store_is_prompt(
    proxy: FaultProxy, table: str, session_id: str, operation: str
) -> None:
    """A task waiting on a black-holed reply (long read timeout) is cancelled at once, with
    CancelledError, not a mapped error."""
    async with client_at(proxy.port, attempts=3, read_timeout=30) as client:
        session = DynamoDBSession(session_id, client, table)
        await session.add_items(BATCH)
        proxy.black_hole()
        call = session.add_items(BATCH) if operation == "add_items" else session.get_items()
        task = asyncio.ensure_future(call)
        await asyncio.sleep(0.2)
        assert not task.done()
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 0.5
