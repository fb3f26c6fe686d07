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


def open_redis_session(
    args: tuple[ClientSpec, str], session_id: str
) -> tuple[RedisSession, Callable[[], Awaitable[None]]]:
    """Open a RedisSession over a new client; return it and what closes the client."""
    from openai_agents_session.redis import RedisSession

    spec, key_prefix = args
    client = spec.connect()
    return RedisSession(session_id, client, key_prefix=key_prefix), client.aclose


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
