"""Build async clients of each test topology; servers start through the fixtures they need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis_asyncio
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel

if TYPE_CHECKING:
    # Kept out of the import itself: a writer process unpickles ClientSpec, and it should not
    # pay for pytest and the server helpers (which import the Agents SDK).
    import pytest
    from servers import ClusterServers, RedisServer, SentinelServers, TlsFiles

    from openai_agents_session.redis._driver import RedisClient

TEST_PREFIX_ROOT = "oas-test"
ACL_USER, ACL_PASSWORD = "app", "app-secret-pw"
PASSWORD = "s3cret-pw"
CLIENT_TIMEOUT_S = 5.0

# Each topology the behavioural tests run against.
TOPOLOGIES = [
    "standalone",
    "decoded",
    "password",
    "acl",
    "tls",
    "cluster",
    "sentinel",
    "valkey",
]


def _options(**extra: Any) -> dict[str, Any]:
    return {"socket_timeout": CLIENT_TIMEOUT_S, "socket_connect_timeout": CLIENT_TIMEOUT_S, **extra}


def _tls_options(files: TlsFiles) -> dict[str, Any]:
    return {"ssl_ca_certs": str(files.ca_cert), "ssl_cert_reqs": "required"}


@dataclass(frozen=True)
class ClientSpec:
    """How to reach one topology's servers: plain data, so another process can connect too.

    Attributes:
        kind: ``url`` (a plain client), ``cluster`` or ``sentinel``.
        url: The server's URL, for ``url`` and ``cluster``.
        options: Client options, such as TLS files or ``decode_responses``.
        sentinels: The Sentinel addresses, for ``sentinel``.
        service_name: The Sentinel-managed service, for ``sentinel``.
    """

    kind: str
    url: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    sentinels: tuple[tuple[str, int], ...] = ()
    service_name: str = ""

    def connect(self) -> RedisClient:
        """Return a new async client; the caller closes it."""
        if self.kind == "cluster":
            return RedisCluster.from_url(self.url, **_options(**self.options))
        if self.kind == "sentinel":
            sentinel = Sentinel(list(self.sentinels), **_options())
            client: Any = sentinel.master_for(self.service_name, **_options())
            close_master = client.aclose

            async def aclose() -> None:
                # The Sentinel's own clients (which found the master) close with the master's,
                # or their connections are collected after their loop closed.
                try:
                    await close_master()
                finally:
                    for sentinel_client in sentinel.sentinels:
                        await sentinel_client.aclose()

            client.aclose = aclose
            master: RedisClient = client
            return master
        return redis_asyncio.from_url(self.url, **_options(**self.options))


def client_spec(request: pytest.FixtureRequest, topology: str) -> ClientSpec:
    """Return how to reach ``topology``, starting its servers if needed."""
    fixture = request.getfixturevalue
    if topology in ("standalone", "decoded"):
        url = request.config.getoption("--redis-url") or fixture("standalone_server").url
        return ClientSpec("url", url, {"decode_responses": topology == "decoded"})
    if topology == "password":
        server: RedisServer = fixture("password_server")
        return ClientSpec("url", f"redis://:{PASSWORD}@127.0.0.1:{server.port}")
    if topology == "acl":
        server = fixture("acl_server")
        return ClientSpec("url", f"redis://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{server.port}")
    if topology == "tls":
        server = fixture("tls_server")
        files: TlsFiles = fixture("tls_files")
        return ClientSpec("url", f"rediss://127.0.0.1:{server.port}", _tls_options(files))
    if topology == "cluster":
        cluster: ClusterServers = fixture("cluster_servers")
        return ClientSpec("cluster", cluster.url)
    if topology == "sentinel":
        sentinels: SentinelServers = fixture("sentinel_servers")
        return ClientSpec(
            "sentinel",
            sentinels=tuple(sentinels.sentinel_addresses),
            service_name=sentinels.service_name,
        )
    if topology == "valkey":
        return ClientSpec("url", fixture("valkey_server").url)
    raise ValueError(f"unknown topology {topology!r}")


def make_client(request: pytest.FixtureRequest, topology: str) -> RedisClient:
    """Build an async client of ``topology``, starting its servers if needed."""
    return client_spec(request, topology).connect()
