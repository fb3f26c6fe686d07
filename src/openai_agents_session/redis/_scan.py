"""Walk a keyspace with SCAN, on every primary of a cluster, never with KEYS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from redis.asyncio.cluster import RedisCluster

from ._driver import driver_call, initialize_cluster

if TYPE_CHECKING:
    from ._driver import RedisClient

__all__ = ["escape_glob", "ready", "scan_keys"]

_GLOB_SPECIALS = frozenset("*?[]\\")


def escape_glob(text: str) -> str:
    """Escape ``text`` for a Redis MATCH pattern, so a prefix matches only itself."""
    return "".join("\\" + char if char in _GLOB_SPECIALS else char for char in text)


async def ready(client: RedisClient) -> None:
    """Discover a cluster's nodes once, before ``get_primaries()`` or concurrent commands."""
    if isinstance(client, RedisCluster) and getattr(client, "_initialize", False):
        await initialize_cluster(client)


async def scan_keys(
    client: RedisClient, pattern: str, *, count: int, key_type: str | None = "list"
) -> AsyncIterator[list[Any]]:
    """SCAN for keys matching ``pattern`` (of ``key_type``), yielding one page at a time.

    A cluster's primaries are scanned one after the other with ``target_nodes``: each holds
    its own keyspace. A key may appear twice (SCAN's guarantee is "at least once"). Each
    SCAN goes through ``driver_call``, like every other command.
    """
    await ready(client)
    if isinstance(client, RedisCluster):
        for node in client.get_primaries():
            cursor = 0
            while True:
                # A cluster's SCAN replies {node name: cursor}, whatever redis-py's stubs say.
                reply: Any = await driver_call(
                    client,
                    client.scan(
                        cursor, match=pattern, count=count, _type=key_type, target_nodes=node
                    ),
                    key=pattern,
                )
                cursors, keys = reply
                cursor = int(cursors[node.name])
                yield cast("list[Any]", keys)
                if cursor == 0:
                    break
        return
    cursor = 0
    while True:
        cursor, keys = await driver_call(
            client, client.scan(cursor, match=pattern, count=count, _type=key_type), key=pattern
        )
        yield keys
        if int(cursor) == 0:
            break
