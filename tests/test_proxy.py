"""FaultProxy between a real client and a real server: each fault surfaces as it would live.

Clients use short timeouts and no retries, so a fault shows up at once as the exception a
production client would see; a test that wants recovery asks for a retry explicitly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest
import redis.asyncio as redis_asyncio
from proxy import FaultProxy
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from servers import RedisServer

TIMEOUT_S = 0.5
DELAY_S = 0.1
# Scheduling noise allowed on top of an expected duration (a loaded CI runner is slow).
SLACK_S = 0.4


class MakeClient(Protocol):
    def __call__(self, url: str, *, retries: int = 0, **options: Any) -> redis_asyncio.Redis: ...


@pytest.fixture
async def proxy(standalone_server: RedisServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(standalone_server.host, standalone_server.port) as fault_proxy:
        yield fault_proxy


@pytest.fixture
async def direct(standalone_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    """A client that bypasses the proxy: the server's own view of what was applied."""
    client = redis_asyncio.Redis.from_url(
        standalone_server.url, socket_timeout=5, socket_connect_timeout=5
    )
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def prefix(direct: redis_asyncio.Redis) -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    key_prefix = f"oas-test:{uuid.uuid4().hex}"
    yield key_prefix
    keys = [key async for key in direct.scan_iter(match=f"{key_prefix}:*", count=1000)]
    if keys:
        await direct.delete(*keys)


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Build clients that fail fast; all are closed after the test."""
    made: list[redis_asyncio.Redis] = []

    def make(url: str, *, retries: int = 0, **options: Any) -> redis_asyncio.Redis:
        client = redis_asyncio.Redis.from_url(
            url,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            retry=Retry(NoBackoff(), retries),
            **options,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def test_forwards_commands(proxy: FaultProxy, make_client: MakeClient, prefix: str) -> None:
    client = make_client(proxy.url)
    assert proxy.url == f"redis://127.0.0.1:{proxy.port}"
    assert await client.set(f"{prefix}:k", "v")
    assert await client.get(f"{prefix}:k") == b"v"
    assert proxy.connections == 1
    assert proxy.forwarded_commands >= 2


async def test_delay_slows_each_direction(
    proxy: FaultProxy, make_client: MakeClient, prefix: str
) -> None:
    client = make_client(proxy.url)
    await client.set(f"{prefix}:k", "v")  # connected: the timing below is one round trip
    proxy.set_delay(DELAY_S)
    started = time.perf_counter()
    assert await client.get(f"{prefix}:k") == b"v"
    elapsed = time.perf_counter() - started
    # The request and the reply are each held DELAY_S.
    assert 2 * DELAY_S * 0.95 <= elapsed < 2 * DELAY_S + SLACK_S


async def test_black_hole_times_out(
    proxy: FaultProxy, make_client: MakeClient, prefix: str, direct: redis_asyncio.Redis
) -> None:
    client = make_client(proxy.url)
    await client.ping()
    proxy.black_hole()
    started = time.perf_counter()
    with pytest.raises(RedisTimeoutError):
        await client.set(f"{prefix}:k", "v")
    elapsed = time.perf_counter() - started
    assert TIMEOUT_S * 0.95 <= elapsed < TIMEOUT_S + SLACK_S
    assert await direct.exists(f"{prefix}:k") == 0  # swallowed, never reached the server


async def test_cut_all_breaks_open_connections(
    proxy: FaultProxy, make_client: MakeClient, prefix: str
) -> None:
    strict = make_client(proxy.url, single_connection_client=True)
    retrying = make_client(proxy.url, retries=1)
    await strict.set(f"{prefix}:k", "v")
    assert await retrying.get(f"{prefix}:k") == b"v"
    assert proxy.connections == 2
    await proxy.cut_all()
    assert proxy.connections == 0
    with pytest.raises(RedisConnectionError):
        await strict.get(f"{prefix}:k")
    assert await retrying.get(f"{prefix}:k") == b"v"
    assert await strict.get(f"{prefix}:k") == b"v"  # the next command reconnects


async def test_refuse_fails_connect(proxy: FaultProxy, make_client: MakeClient) -> None:
    client = make_client(proxy.url)
    proxy.refuse()
    started = time.perf_counter()
    with pytest.raises(RedisConnectionError):
        await client.ping()
    assert time.perf_counter() - started < TIMEOUT_S  # reset at once, not a timeout
    assert proxy.connections == 0
    proxy.accept()
    assert await client.ping()


async def test_drop_next_reply_after_the_server_applied_it(
    proxy: FaultProxy, make_client: MakeClient, prefix: str, direct: redis_asyncio.Redis
) -> None:
    client = make_client(proxy.url)
    key = f"{prefix}:list"
    await client.ping()
    proxy.drop_next_reply(matching=b"RPUSH")
    assert await client.get(f"{prefix}:other") is None  # not matching: delivered
    with pytest.raises(RedisConnectionError):
        await client.rpush(key, "applied")
    assert await direct.lrange(key, 0, -1) == [b"applied"]  # applied, though the reply was lost
    assert await client.rpush(key, "again") == 2  # fired once, then disarmed


async def test_drop_next_reply_without_matching(
    proxy: FaultProxy, make_client: MakeClient, prefix: str, direct: redis_asyncio.Redis
) -> None:
    client = make_client(proxy.url)
    await client.ping()
    proxy.drop_next_reply()
    with pytest.raises(RedisConnectionError):
        await client.set(f"{prefix}:k", "v")
    assert await direct.get(f"{prefix}:k") == b"v"
    assert await client.get(f"{prefix}:k") == b"v"


async def test_heal_restores_everything(
    proxy: FaultProxy, make_client: MakeClient, prefix: str
) -> None:
    client = make_client(proxy.url)
    idle = make_client(proxy.url, single_connection_client=True)
    await client.set(f"{prefix}:k", "v")
    await idle.ping()
    proxy.set_delay(DELAY_S)
    proxy.black_hole()
    proxy.refuse()
    proxy.drop_next_reply()
    with pytest.raises(RedisTimeoutError):
        await client.get(f"{prefix}:k")
    proxy.heal()
    started = time.perf_counter()
    assert await client.get(f"{prefix}:k") == b"v"  # a new connection: accepted, no drop
    assert await idle.get(f"{prefix}:k") == b"v"  # kept through the black hole
    assert time.perf_counter() - started < DELAY_S
    assert proxy.connections == 2


async def test_stop_closes_everything(
    standalone_server: RedisServer, make_client: MakeClient
) -> None:
    fault_proxy = FaultProxy(standalone_server.host, standalone_server.port)
    with pytest.raises(RuntimeError):
        _ = fault_proxy.port
    await fault_proxy.start()
    client = make_client(fault_proxy.url)
    await client.ping()
    assert fault_proxy.connections == 1
    await fault_proxy.stop()
    await fault_proxy.stop()  # idempotent
    assert fault_proxy.connections == 0
    with pytest.raises(RedisConnectionError):
        await client.ping()
