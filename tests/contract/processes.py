"""What a writer process runs: kept light, because every process imports it afresh.

Only the driver and the backend are imported here, never pytest or the Agents SDK, so a
spawned writer starts in a fraction of a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clients import ClientSpec

    from openai_agents_session import RedisSession
    from openai_agents_session.dynamodb import DynamoDBSession


def open_redis_session(
    args: tuple[ClientSpec, str], session_id: str
) -> tuple[RedisSession, Callable[[], Awaitable[None]]]:
    """Open a RedisSession over a new client; return it and what closes the client."""
    from openai_agents_session.redis import RedisSession

    spec, key_prefix = args
    client = spec.connect()
    return RedisSession(session_id, client, key_prefix=key_prefix), client.aclose


def open_dynamodb_session(
    args: tuple[str, str, str], session_id: str
) -> tuple[DynamoDBSession, Callable[[], Awaitable[None]]]:
    """Open a DynamoDBSession with a client of its own; return it and its ``close``."""
    from openai_agents_session.dynamodb import DynamoDBSession

    url, access_key_id, secret_access_key = args
    session = DynamoDBSession.from_url(
        session_id,
        url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
    )
    return session, session.close


def write_batches(
    open_session: Callable[[Any, str], tuple[Any, Callable[[], Awaitable[None]]]],
    args: Any,
    session_id: str,
    writer: int,
    batches: int,
) -> None:
    """Append ``batches`` one-item batches tagged with ``writer``, in order."""

    async def run() -> None:
        session, close = open_session(args, session_id)
        try:
            for batch in range(batches):
                await session.add_items([{"w": writer, "b": batch}])
        finally:
            await close()

    asyncio.run(run())
