"""Owned clients, TLS verification, secrets, and outages that must raise promptly."""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from clients import make_client
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from servers import ClusterServers, RedisServer, ServersOfOneTest, TlsFiles, make_untrusted_ca

from openai_agents_session import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    RedisSession,
    SessionClosedError,
)
from openai_agents_session.redis import RedisSessionStore, coalescing_stats

ITEM = {"role": "user", "content": "hi"}
TIMEOUT_S = 0.5


def operations(session: RedisSession) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "get_items": session.get_items,
        "add_items": lambda: session.add_items([ITEM]),
        "pop_item": session.pop_item,
        "clear_session": session.clear_session,
        "ping": session.ping,
    }


async def test_from_url_owns_and_closes_its_client(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """from_url builds a working client; close() releases it; later use is SessionClosedError."""
    session = RedisSession.from_url("owned", standalone_server.url, key_prefix=key_prefix, ttl=60)
    async with session:
        await session.add_items([ITEM])
        assert await session.get_items() == [ITEM]
        await session.clear_session()
    with pytest.raises(SessionClosedError):
        await session.get_items()
    await session.close()  # closing twice is fine


async def test_from_url_cluster(cluster_servers: ClusterServers, key_prefix: str) -> None:
    """from_url(..., cluster=True) talks to a Redis Cluster through one node's URL."""
    async with RedisSession.from_url(
        "owned", cluster_servers.url, cluster=True, key_prefix=key_prefix
    ) as session:
        await session.add_items([ITEM])
        assert await session.pop_item() == ITEM


@pytest.mark.parametrize("url", ["http://localhost", "redis+foo://x", "localhost:6379", ""])
def test_from_url_rejects_unknown_schemes(url: str) -> None:
    """Only redis, rediss, unix and their +cluster forms are accepted; the message names them."""
    with pytest.raises(ConfigurationError, match="expected redis, rediss, unix, redis\\+cluster"):
        RedisSession.from_url("s", url)


async def test_a_cluster_url_says_cluster_without_a_flag(
    cluster_servers: ClusterServers, key_prefix: str
) -> None:
    """redis+cluster:// connects through any node, as cluster=True does."""
    url = cluster_servers.url.replace("redis://", "redis+cluster://", 1)
    async with RedisSession.from_url("{c}s", url, key_prefix=key_prefix) as session:
        await session.add_items([ITEM])
        assert await session.get_items() == [ITEM]
        await session.clear_session()


async def test_tls_verifies_the_server_certificate_by_default(
    tls_server: RedisServer, tls_files: TlsFiles, key_prefix: str
) -> None:
    """rediss:// with the right CA works; with another CA the connection fails closed."""
    async with RedisSession.from_url(
        "tls", tls_server.url, key_prefix=key_prefix, ssl_ca_certs=str(tls_files.ca_cert)
    ) as session:
        await session.add_items([ITEM])
        assert await session.pop_item() == ITEM

    untrusted = make_untrusted_ca(tls_files.ca_cert.parent)
    async with RedisSession.from_url(
        "tls",
        tls_server.url,
        key_prefix=key_prefix,
        ssl_ca_certs=str(untrusted),
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=2,
    ) as session:
        with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
            await session.add_items([ITEM])


async def test_password_never_appears_in_repr_or_errors(
    password_server: RedisServer, key_prefix: str
) -> None:
    """repr() of a session and the error of a wrong password do not show the password."""
    good = f"redis://:s3cret-pw@127.0.0.1:{password_server.port}"
    async with RedisSession.from_url("s", good, key_prefix=key_prefix) as session:
        assert "s3cret" not in repr(session)
        assert await session.ping()
    bad = f"redis://:wrong-pw-123@127.0.0.1:{password_server.port}"
    async with RedisSession.from_url("s", bad, retry=Retry(NoBackoff(), 0)) as session:
        with pytest.raises(redis.exceptions.AuthenticationError) as caught:
            await session.ping()
    assert "wrong-pw-123" not in str(caught.value)
    assert "wrong-pw-123" not in repr(caught.value)


async def test_a_wrong_password_is_not_reported_as_a_passing_outage(
    password_server: RedisServer, key_prefix: str
) -> None:
    """Retrying does not fix a wrong password: a BackendError, never BackendUnavailableError."""
    bad = f"redis://:wrong-pw-123@127.0.0.1:{password_server.port}"
    async with RedisSession.from_url("s", bad, key_prefix=key_prefix) as session:
        with pytest.raises(BackendError) as caught:
            await session.get_items()
    assert isinstance(caught.value, redis.exceptions.AuthenticationError)
    assert not isinstance(caught.value, BackendUnavailableError)


@pytest.fixture
def refused_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def quick_client(port: int) -> redis_asyncio.Redis:
    return redis_asyncio.Redis(
        host="127.0.0.1",
        port=port,
        password="never-shown-pw",
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
        retry=Retry(NoBackoff(), 1),
    )


@pytest.fixture
async def refused_session(refused_port: int) -> AsyncIterator[RedisSession]:
    client = quick_client(refused_port)
    yield RedisSession("down", client)
    await client.aclose()


@pytest.fixture
async def black_hole_session(black_hole: int) -> AsyncIterator[RedisSession]:
    client = quick_client(black_hole)
    yield RedisSession("silent", client)
    await client.aclose()


# ping() answers False instead (tests/redis/test_sdk_compat.py).
@pytest.mark.parametrize("operation", ["get_items", "add_items", "pop_item", "clear_session"])
async def test_refused_connection_raises_connection_error_promptly(
    refused_session: RedisSession, operation: str
) -> None:
    """A server that is down: redis-py's ConnectionError (also ours) within the timeouts."""
    started = time.monotonic()
    with pytest.raises(redis.exceptions.ConnectionError) as caught:
        await operations(refused_session)[operation]()
    assert isinstance(caught.value, BackendUnavailableError)
    assert isinstance(caught.value.__cause__, redis.exceptions.ConnectionError)
    assert "never-shown-pw" not in f"{caught.value} {caught.value!r} {refused_session!r}"
    assert time.monotonic() - started < 2 * TIMEOUT_S + 1


@pytest.mark.parametrize("operation", ["get_items", "add_items", "pop_item", "clear_session"])
async def test_silent_server_raises_timeout_error_promptly(
    black_hole_session: RedisSession, operation: str
) -> None:
    """A server that accepts but never answers: redis-py's TimeoutError, never a hang."""
    started = time.monotonic()
    with pytest.raises(redis.exceptions.TimeoutError) as caught:
        await asyncio.wait_for(operations(black_hole_session)[operation](), timeout=10)
    assert isinstance(caught.value, BackendUnavailableError)
    assert time.monotonic() - started < 2 * (2 * TIMEOUT_S) + 1


async def test_server_killed_mid_session_raises_then_recovers(
    own_servers: ServersOfOneTest, key_prefix: str
) -> None:
    """Killing the server makes the next call raise promptly; after a restart it works again."""
    server = own_servers.redis("victim", appendonly=True)
    client = redis_asyncio.from_url(
        server.url,
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
        retry=Retry(NoBackoff(), 1),
    )
    session = RedisSession("victim", client, key_prefix=key_prefix)
    try:
        await session.add_items([ITEM])
        server.kill()
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError):
            await session.get_items()
        assert time.monotonic() - started < 3
        server.restart()
        assert await session.get_items() == [ITEM]
    finally:
        await client.aclose()


@pytest.mark.parametrize("topology", ["standalone", "cluster", "sentinel"])
async def test_a_client_its_user_closed_and_dropped_is_freed(
    request: pytest.FixtureRequest, topology: str, key_prefix: str
) -> None:
    """Nothing the library keeps per client (scripts, batches, loops) keeps a client alive.

    A service that opens a client per tenant, per job or per ``asyncio.run`` drops each one
    when it is done; its pool and sockets must go with it, not pile up for the life of the
    process.
    """
    client = make_client(request, topology)
    store = RedisSessionStore(client, key_prefix=key_prefix)
    sessions = [RedisSession(f"freed-{i}", client, key_prefix=key_prefix) for i in range(8)]
    owned = RedisSession("freed-0", client, key_prefix=key_prefix, owner="ada")
    # Every path that keeps something per client: scripts, the owner index, batches of calls
    # sent together, the store's own scripts.
    await owned.set_metadata(title="t")
    await asyncio.gather(*(session.add_items([ITEM]) for session in sessions))
    await asyncio.gather(*(session.get_items() for session in sessions))
    await store.fork("freed-1", "freed-fork")
    record = await store.export_session("freed-2")
    assert record is not None
    await store.import_session(record, replace=True)
    assert await sessions[3].pop_item() == ITEM
    assert coalescing_stats(client).coalesced > 0, "no call went through a batch"
    await store.delete(*(session.session_id for session in sessions), "freed-fork")
    await client.aclose()

    freed = weakref.ref(client)
    del client, store, sessions, owned
    gc.collect()
    assert freed() is None, [type(r).__name__ for r in gc.get_referrers(freed())]


async def test_a_client_built_by_from_url_is_freed_with_its_closed_session(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """The client a session owns goes when the closed session does, loop bookkeeping too."""
    session = RedisSession.from_url("owned", url=standalone_server.url, key_prefix=key_prefix)
    await asyncio.gather(*(session.add_items([ITEM]) for _ in range(8)))
    await session.clear_session()
    await session.close()

    freed = weakref.ref(session._client)
    del session
    gc.collect()
    assert freed() is None, [type(r).__name__ for r in gc.get_referrers(freed())]
