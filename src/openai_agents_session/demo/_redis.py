"""The demo over Redis: the conversation, then the key, its type, memory and TTL."""

from __future__ import annotations

from ..redis import RedisSession
from ._conversation import DEMO_TTL_S, Echo, converse


async def run_on_redis(session_id: str, url: str, origin: str, echo: Echo) -> bool:
    """Hold the conversation in Redis at ``url``; return whether every turn was remembered."""
    async with RedisSession.from_url(session_id, url, ttl=DEMO_TTL_S) as session:
        echo(f"Redis: {origin}")
        remembered = await converse(session, echo)
        client = session._client
        ttl = await client.ttl(session.key)
        memory = await client.memory_usage(session.key)
        key_type = await client.type(session.key)
        if isinstance(key_type, bytes):
            key_type = key_type.decode()
        echo(f"key: {session.key}  type: {key_type}  memory: {memory} bytes")
        echo(f"ttl: {ttl} s, refreshed by every add_items")
    return remembered
