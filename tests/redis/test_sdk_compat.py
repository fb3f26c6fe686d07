"""Code written for the SDK's RedisSession keeps working when it switches to ours.

Where both should behave alike, the same caller code runs against the SDK's
``agents.extensions.memory.RedisSession`` and ours, over the same real server.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis
import redis.asyncio as redis_asyncio
import redis.cluster
import redis.exceptions
from agents import Agent, RunConfig, Runner
from agents.extensions.memory import RedisSession as SdkRedisSession
from agents.memory import SessionSettings
from contract.items import texts
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from servers import (
    ClusterServers,
    RedisServer,
    ServersOfOneTest,
    TlsFiles,
    make_untrusted_ca,
    slots_of,
)

from openai_agents_session import (
    BackendError,
    ConfigurationError,
    RedisSession,
    SessionClosedError,
    WrongKeyTypeError,
)
from openai_agents_session.demo._offline_model import OfflineModel

ITEM = {"role": "user", "content": "hi"}
NO_TRACING = RunConfig(tracing_disabled=True)

IMPLEMENTATIONS = {"sdk": SdkRedisSession, "ours": RedisSession}


def operations(session: Any) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "get_items": session.get_items,
        "add_items": lambda: session.add_items([ITEM]),
        "pop_item": session.pop_item,
        "clear_session": session.clear_session,
        "ping": session.ping,
    }


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "operation", ["get_items", "add_items", "pop_item", "clear_session", "ping"]
)
async def test_use_after_close_is_a_runtime_error_as_in_the_sdk(
    standalone_server: RedisServer, key_prefix: str, implementation: str, operation: str
) -> None:
    """`except RuntimeError` written for the SDK catches our SessionClosedError too."""
    session = IMPLEMENTATIONS[implementation].from_url(
        "closed", url=standalone_server.url, key_prefix=key_prefix
    )
    await session.close()
    with pytest.raises(RuntimeError) as caught:
        await operations(session)[operation]()
    if implementation == "ours":
        assert isinstance(caught.value, SessionClosedError)


@pytest.fixture
async def client(standalone_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    async with redis_asyncio.from_url(standalone_server.url, socket_timeout=5) as client:
        yield client


# from_url: the SDK's arguments.


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
async def test_from_url_takes_url_and_redis_kwargs_as_the_sdk_does(
    standalone_server: RedisServer, key_prefix: str, implementation: str
) -> None:
    """from_url(session_id, url=..., redis_kwargs={...}, ...) builds the same client in both."""
    session = IMPLEMENTATIONS[implementation].from_url(
        "user-1",
        url=standalone_server.url,
        redis_kwargs={"socket_timeout": 3.5, "client_name": "switched"},
        key_prefix=key_prefix,
        ttl=60,
    )
    try:
        await session.add_items([ITEM])
        assert await session.get_items() == [ITEM]
        pool = (session._client if implementation == "ours" else session._redis).connection_pool
        assert pool.connection_kwargs["socket_timeout"] == 3.5
        assert pool.connection_kwargs["client_name"] == "switched"
        await session.clear_session()
    finally:
        await session.close()


async def test_from_url_merges_redis_kwargs_with_keyword_options(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """redis_kwargs and our keyword options both reach redis-py; one value given twice is fine."""
    async with RedisSession.from_url(
        "user-1",
        url=standalone_server.url,
        redis_kwargs={"socket_timeout": 3.5, "health_check_interval": 7},
        socket_timeout=3.5,
        socket_connect_timeout=2.5,
        key_prefix=key_prefix,
    ) as session:
        kwargs = session._client.connection_pool.connection_kwargs
        assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (3.5, 2.5)
        assert kwargs["health_check_interval"] == 7
        assert await session.ping() is True


def test_from_url_refuses_an_option_given_twice_differently(standalone_server: RedisServer) -> None:
    """socket_timeout in redis_kwargs and as a keyword, with two values: which one? Neither."""
    with pytest.raises(ConfigurationError, match="socket_timeout") as caught:
        RedisSession.from_url(
            "user-1",
            url=standalone_server.url,
            redis_kwargs={"socket_timeout": 1.0},
            socket_timeout=2.0,
        )
    assert "1.0" in str(caught.value) and "2.0" in str(caught.value)


def test_option_clash_never_shows_a_password(standalone_server: RedisServer) -> None:
    """Two different passwords: the error names the option, not the passwords."""
    with pytest.raises(ConfigurationError, match="password") as caught:
        RedisSession.from_url(
            "user-1",
            url=standalone_server.url,
            redis_kwargs={"password": "first-secret"},
            password="second-secret",
        )
    assert "secret" not in str(caught.value)


def test_from_url_refuses_redis_kwargs_that_are_not_a_mapping(
    standalone_server: RedisServer,
) -> None:
    """redis_kwargs must be a dict of redis-py options."""
    with pytest.raises(ConfigurationError, match="redis_kwargs"):
        RedisSession.from_url(
            "user-1",
            url=standalone_server.url,
            redis_kwargs=[("socket_timeout", 1.0)],  # type: ignore[arg-type]
        )


# session_settings given as a dict.


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
async def test_dict_session_settings_are_coerced_as_in_the_sdk(
    client: redis_asyncio.Redis, key_prefix: str, implementation: str
) -> None:
    """session_settings={"limit": 2} becomes SessionSettings(limit=2), the default limit."""
    session = IMPLEMENTATIONS[implementation](
        "settings", redis_client=client, key_prefix=key_prefix, session_settings={"limit": 2}
    )
    assert session.session_settings == SessionSettings(limit=2)
    await session.add_items([{"role": "user", "content": str(n)} for n in range(3)])
    assert [item["content"] for item in await session.get_items()] == ["1", "2"]
    await session.clear_session()


async def test_runner_uses_dict_session_settings(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    """The real Runner reads a dict's limit: the model sees only the latest items."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = RedisSession("runner", client, key_prefix=key_prefix, session_settings={"limit": 2})
    for turn in ("one", "two", "three"):
        await Runner.run(agent, turn, session=session, run_config=NO_TRACING)
    assert texts(model.inputs[-1]) == ["two", "You said: two", "three"]
    await session.clear_session()


# Synchronous clients.


async def test_sync_client_is_refused_before_anything_is_written(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """A redis.Redis (not redis.asyncio) is refused at construction, with the fix named."""
    with redis.Redis.from_url(standalone_server.url) as sync_client:
        with pytest.raises(ConfigurationError, match=r"redis\.asyncio"):
            RedisSession("sync", sync_client, key_prefix=key_prefix)  # type: ignore[arg-type]
        assert sync_client.exists(f"{key_prefix}:sync") == 0


async def test_sync_cluster_client_is_refused(cluster_servers: ClusterServers) -> None:
    """A redis.cluster.RedisCluster (not redis.asyncio's) is refused at construction."""
    sync_cluster = redis.cluster.RedisCluster.from_url(cluster_servers.url)
    try:
        with pytest.raises(ConfigurationError, match=r"redis\.asyncio"):
            RedisSession("sync", sync_cluster)  # type: ignore[arg-type]
    finally:
        sync_cluster.close()


# A cluster node behind a plain client.


@pytest.mark.parametrize("operation", ["get_items", "add_items", "pop_item", "clear_session"])
async def test_plain_client_on_a_cluster_node_is_told_to_use_cluster_mode(
    cluster_servers: ClusterServers, key_prefix: str, operation: str
) -> None:
    """MOVED from a cluster node to a plain client: the message names cluster=True."""
    node = cluster_servers.masters()[0]
    served = slots_of(node)
    session_id = next(
        f"user-{n}"
        for n in range(1000)
        if key_slot(f"{key_prefix}:user-{n}".encode()) not in served
    )
    async with RedisSession.from_url(session_id, url=node.url, key_prefix=key_prefix) as session:
        with pytest.raises(BackendError) as caught:
            await operations(session)[operation]()
    assert isinstance(caught.value, redis.exceptions.MovedError)
    message = str(caught.value)
    assert message.startswith(f"MOVED {caught.value.slot_id} ")
    assert "cluster=True" in message and "RedisCluster" in message


# ping() answers False when the server is unavailable, and raises when it is misconfigured.


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
async def test_ping_is_false_when_nothing_listens(implementation: str) -> None:
    """Connection refused: False, as in the SDK, and promptly."""
    started = time.monotonic()
    session = IMPLEMENTATIONS[implementation].from_url(
        "down", url=f"redis://127.0.0.1:{_refused_port()}", redis_kwargs={"socket_timeout": 1}
    )
    try:
        assert await session.ping() is False
    finally:
        await session.close()
    assert time.monotonic() - started < 5


async def test_ping_is_false_when_the_server_stopped(own_servers: ServersOfOneTest) -> None:
    """A server that answered, then stopped: True, then False, and True once it is back."""
    server = own_servers.redis("stopping")
    async with RedisSession.from_url(
        "stopping", url=server.url, socket_timeout=1, socket_connect_timeout=1
    ) as session:
        assert await session.ping() is True
        server.stop()
        assert await session.ping() is False
        server.restart()
        assert await session.ping() is True


async def test_ping_is_false_when_the_server_is_silent() -> None:
    """A server that accepts the connection and never answers: False after socket_timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        started = time.monotonic()
        async with RedisSession.from_url(
            "silent",
            url=f"redis://127.0.0.1:{port}",
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        ) as session:
            assert await session.ping() is False
        assert time.monotonic() - started < 5


async def test_ping_is_false_when_no_cluster_node_answers() -> None:
    """A cluster client whose nodes all refuse: False."""
    async with RedisSession.from_url(
        "down", url=f"redis://127.0.0.1:{_refused_port()}", cluster=True, socket_timeout=1
    ) as session:
        assert await session.ping() is False


async def test_ping_raises_on_a_wrong_password(password_server: RedisServer) -> None:
    """A wrong password is a setup error, not an outage: ping() raises it."""
    url = f"redis://:not-the-password@127.0.0.1:{password_server.port}"
    async with RedisSession.from_url("s", url=url, retry=Retry(NoBackoff(), 0)) as session:
        with pytest.raises(redis.exceptions.AuthenticationError):
            await session.ping()


async def test_ping_raises_when_the_acl_forbids_it(standalone_server: RedisServer) -> None:
    """An ACL user without +ping: NOPERM is raised, not hidden behind False."""
    user = f"noping-{uuid.uuid4().hex[:8]}"
    with standalone_server.client() as admin:
        admin.execute_command("ACL", "SETUSER", user, "on", ">noping-pw", "+@all", "-ping")
        try:
            url = f"redis://{user}:noping-pw@127.0.0.1:{standalone_server.port}"
            async with RedisSession.from_url("s", url=url) as session:
                with pytest.raises(BackendError, match=r"NOPERM|permission"):
                    await session.ping()
        finally:
            admin.execute_command("ACL", "DELUSER", user)


async def test_ping_raises_when_the_certificate_is_not_trusted(
    tls_server: RedisServer, tls_files: TlsFiles
) -> None:
    """A TLS server signed by another CA: the verification error is raised, not False."""
    untrusted = make_untrusted_ca(tls_files.ca_cert.parent)
    async with RedisSession.from_url(
        "tls",
        url=tls_server.url,
        ssl_ca_certs=str(untrusted),
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=2,
    ) as session:
        with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
            await session.ping()


# Both layouts in one database.


async def test_both_layouts_share_a_database_without_seeing_each_other(
    client: redis_asyncio.Redis,
) -> None:
    """The SDK's default prefix and ours differ: neither session sees the other's items."""
    session_id = f"shared-{uuid.uuid4().hex[:8]}"
    sdk = SdkRedisSession(session_id, redis_client=client)
    ours = RedisSession(session_id, client)
    try:
        await sdk.add_items([ITEM])
        assert await ours.get_items() == []
        await ours.add_items([{"role": "user", "content": "ours"}])
        assert await sdk.get_items() == [ITEM]
    finally:
        await sdk.clear_session()
        await ours.clear_session()


async def test_our_session_over_the_sdk_prefix_refuses_the_sdk_hash(
    client: redis_asyncio.Redis,
) -> None:
    """key_prefix="agents:session" over the SDK's data: reads and writes raise WrongKeyTypeError."""
    session_id = f"collide-{uuid.uuid4().hex[:8]}"
    sdk = SdkRedisSession(session_id, redis_client=client)
    ours = RedisSession(session_id, client, key_prefix="agents:session")
    try:
        await sdk.add_items([ITEM])
        for operation in ("get_items", "add_items", "pop_item", "clear_session"):
            with pytest.raises(WrongKeyTypeError):
                await operations(ours)[operation]()
        assert await sdk.get_items() == [ITEM]  # left untouched
    finally:
        await sdk.clear_session()
