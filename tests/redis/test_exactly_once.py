"""Appends are exactly-once under retry: a lost reply never stores a batch twice.

A proxy between client and server lets the server apply an append and then cuts the
connection before the reply arrives: the case where a retry used to duplicate the batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from proxy import FaultProxy
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from servers import ClusterServers, RedisServer

from openai_agents_session import BackendUnavailableError, RedisSession

BATCH = [{"role": "user", "content": "once"}, {"role": "assistant", "content": "only once"}]


@pytest.fixture
async def proxy(standalone_server: RedisServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy("127.0.0.1", standalone_server.port) as running:
        yield running


async def load_scripts(session: RedisSession) -> None:
    """Append once, so the next EVALSHA runs the script rather than answering NOSCRIPT."""
    await session.add_items([{"role": "system", "content": "warm-up"}])
    await session.clear_session()


def client_through(proxy: FaultProxy, *, retries: int) -> redis_asyncio.Redis:
    return redis_asyncio.from_url(
        proxy.url,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), retries),
        retry_on_error=[redis.exceptions.ConnectionError],
    )


async def test_redis_py_retry_after_a_lost_reply_stores_the_batch_once(
    proxy: FaultProxy, key_prefix: str
) -> None:
    """redis-py's Retry resends the same EVALSHA; the server skips the batch id it applied."""
    async with client_through(proxy, retries=3) as client:
        session = RedisSession("s", client, key_prefix=key_prefix, ttl=60)
        await load_scripts(session)
        proxy.drop_next_reply(matching=b"EVALSHA")
        await session.add_items(BATCH)
        assert proxy.connections == 1  # the first connection was cut, the retry made another
        assert await session.get_items() == BATCH
        await session.clear_session()


async def test_callers_retry_after_a_lost_reply_stores_the_batch_once(
    proxy: FaultProxy, key_prefix: str
) -> None:
    """add_items raises; the caller repeats the same items; they are stored once."""
    async with client_through(proxy, retries=0) as client:
        session = RedisSession("s", client, key_prefix=key_prefix, ttl=60)
        await session.add_items([{"role": "user", "content": "before"}])
        proxy.drop_next_reply(matching=b"EVALSHA")
        with pytest.raises(BackendUnavailableError):
            await session.add_items(BATCH)
        await session.add_items([dict(item) for item in BATCH])  # the SDK retries with copies
        assert await session.get_items() == [{"role": "user", "content": "before"}, *BATCH]
        await session.clear_session()


async def test_failed_append_that_never_reached_the_server_is_stored_by_the_retry(
    proxy: FaultProxy, key_prefix: str
) -> None:
    """When nothing was applied, the retry (same batch id) applies the batch."""
    async with client_through(proxy, retries=0) as client:
        session = RedisSession("s", client, key_prefix=key_prefix, ttl=60)
        await session.ping()
        proxy.refuse()
        await proxy.cut_all()
        with pytest.raises(BackendUnavailableError):
            await session.add_items(BATCH)
        proxy.accept()
        await session.add_items(BATCH)
        assert await session.get_items() == BATCH
        await session.clear_session()


async def test_batch_ids_never_outlive_the_session(
    redis_client: Any, key_prefix: str, cleanup: None
) -> None:
    """The companion's TTL is at most the list's, and clear_session removes it."""
    session = RedisSession("s", redis_client, key_prefix=key_prefix, ttl=30)
    await session.add_items(BATCH)
    companion = session._meta_key
    assert 0 < await redis_client.ttl(companion) <= await redis_client.ttl(session._key)
    await session.clear_session()
    assert await redis_client.exists(companion) == 0


async def test_cluster_retry_after_a_lost_reply_stores_the_batch_once(
    cluster_servers: ClusterServers, key_prefix: str
) -> None:
    """Through proxies in front of every node, a cluster client's retry is also exactly-once."""
    proxies = {node.port: FaultProxy("127.0.0.1", node.port) for node in cluster_servers.nodes}
    for running in proxies.values():
        await running.start()
    client = RedisCluster(
        host="127.0.0.1",
        port=proxies[cluster_servers.nodes[0].port].port,
        address_remap=lambda address: ("127.0.0.1", proxies[address[1]].port),
        socket_timeout=2,
        retry=Retry(NoBackoff(), 3),
    )
    try:
        sessions = [RedisSession(f"s{i}", client, key_prefix=key_prefix) for i in range(6)]
        for session in sessions:
            await load_scripts(session)
        for session in sessions:  # ids spread over the masters
            for running in proxies.values():
                running.drop_next_reply(matching=b"EVALSHA")
            await session.add_items(BATCH)
            for running in proxies.values():
                running.heal()
        for session in sessions:
            assert await session.get_items() == BATCH
            await session.clear_session()
    finally:
        await client.aclose()
        for running in proxies.values():
            await running.stop()
