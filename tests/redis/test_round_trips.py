"""Each operation costs the round trips the docs state, counted by the server (MONITOR)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis_asyncio
from servers import RedisServer

from openai_agents_session import RedisSession

MARKER = "round-trip-count-done"


async def client_commands(
    server: RedisServer, operation: Callable[[], Awaitable[Any]]
) -> list[str]:
    """Run ``operation`` and return the commands clients sent meanwhile (not those of scripts)."""
    monitor_client = redis_asyncio.from_url(server.url, decode_responses=True)
    marker_client = redis_asyncio.from_url(server.url)
    try:
        await marker_client.ping()  # connect (HELLO, CLIENT SETINFO) before watching
        async with monitor_client.monitor() as monitor:
            await operation()
            await marker_client.echo(MARKER)
            seen: list[str] = []
            while True:
                event = await monitor.next_command()
                if MARKER in event["command"]:
                    return seen
                if event["client_type"] != "lua":
                    seen.append(event["command"].split()[0].upper())
    finally:
        await monitor_client.aclose()
        await marker_client.aclose()


async def test_each_operation_is_one_round_trip(standalone_server: RedisServer) -> None:
    """add_items, get_items, get_items(limit), pop_item, clear_session: one command each."""
    client = redis_asyncio.from_url(standalone_server.url)
    session = RedisSession("round-trips", client, key_prefix="oas-test:round-trips", ttl=60)
    item = {"role": "user", "content": "hi"}
    try:
        await session.add_items([item])  # loads the script once (EVALSHA, NOSCRIPT, LOAD)
        await session.clear_session()
        costs = {
            "add_items": await client_commands(
                standalone_server, lambda: session.add_items([item, item, item])
            ),
            "get_items": await client_commands(standalone_server, session.get_items),
            "get_items(limit)": await client_commands(
                standalone_server, lambda: session.get_items(limit=2)
            ),
            "pop_item": await client_commands(standalone_server, session.pop_item),
            "clear_session": await client_commands(standalone_server, session.clear_session),
            "add_items([])": await client_commands(
                standalone_server, lambda: session.add_items([])
            ),
        }
    finally:
        await client.aclose()
    assert costs == {
        "add_items": ["EVALSHA"],
        "get_items": ["LRANGE"],
        "get_items(limit)": ["LRANGE"],
        "pop_item": ["EVALSHA"],
        "clear_session": ["EVALSHA"],
        "add_items([])": [],
    }
