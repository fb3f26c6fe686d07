"""Clients of DynamoDB Local through a fault injector on loopback, with their own retry policy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from dynamodb.support import stored
from dynamodb_servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

from openai_agents_session.dynamodb._schema import MESSAGE_PREFIX, payload_of

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

TRANSACT_WRITE = b"X-Amz-Target: DynamoDB_20120810.TransactWriteItems"
# One botocore session for every client: it loads the service model once, not per test.
_SESSION = AioSession()


@contextlib.asynccontextmanager
async def client_at(
    port: int,
    *,
    attempts: int = 1,
    read_timeout: float = 5.0,
    connect_timeout: float = 5.0,
) -> AsyncIterator[DynamoDBClient]:
    """A client of ``127.0.0.1:port`` making ``attempts`` tries per call (botocore's legacy mode).

    Legacy mode backs off from 50 ms for DynamoDB, so a few retries take a fraction of a second.
    """
    config = AioConfig(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "legacy", "total_max_attempts": attempts},
    )
    async with _SESSION.create_client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=config,
    ) as client:
        yield client


async def stored_texts(client: DynamoDBClient, table: str, session_id: str) -> list[str]:
    """The content of every message item stored for the session, live or not, in seq order."""
    items = await stored(client, table, session_id)
    texts: list[str] = []
    for sk in sorted(items):
        if sk.startswith(MESSAGE_PREFIX):
            texts.append(str(json.loads(payload_of(items[sk]))["content"]))
    return texts


async def wait_for_texts(
    client: DynamoDBClient, table: str, session_id: str, count: int, timeout_s: float = 5.0
) -> list[str]:
    """Poll the table until the session holds ``count`` messages; return them (or the last seen)."""
    deadline = time.monotonic() + timeout_s
    while True:
        texts = await stored_texts(client, table, session_id)
        if len(texts) >= count or time.monotonic() > deadline:
            return texts
        await asyncio.sleep(0.02)
