"""Build async clients of each test topology; servers start through the fixtures they need."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as redis_asyncio
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel
from servers import ClusterServers, RedisServer, SentinelServers, TlsFiles

from openai_agents_session.redis._driver import RedisClient

TEST_PREFIX_ROOT = "oas-test"
ACL_USER, ACL_PASSWORD = "app", "app-secret-pw"
PASSWORD = "s3cret-pw"
CLIENT_TIMEOUT_S = 5.0


def _options(**extra: Any) -> dict[str, Any]:
    return {"socket_timeout": CLIENT_TIMEOUT_S, "socket_connect_timeout": CLIENT_TIMEOUT_S, **extra}


def _tls_options(files: TlsFiles) -> dict[str, Any]:
    return {"ssl_ca_certs": str(files.ca_cert), "ssl_cert_reqs": "required"}


def make_client(request: pytest.FixtureRequest, topology: str) -> RedisClient:
    """Build an async client of ``topology``, starting its servers if needed."""
    fixture = request.getfixturevalue
    if topology in ("standalone", "decoded"):
        url = request.config.getoption("--redis-url") or fixture("standalone_server").url
        return redis_asyncio.from_url(url, **_options(decode_responses=topology == "decoded"))
    if topology == "password":
        server: RedisServer = fixture("password_server")
        return redis_asyncio.from_url(f"redis://:{PASSWORD}@127.0.0.1:{server.port}", **_options())
    if topology == "acl":
        server = fixture("acl_server")
        url = f"redis://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{server.port}"
        return redis_asyncio.from_url(url, **_options())
    if topology == "tls":
        server = fixture("tls_server")
        files: TlsFiles = fixture("tls_files")
        return redis_asyncio.from_url(
            f"rediss://127.0.0.1:{server.port}", **_options(**_tls_options(files))
        )
    if topology == "cluster":
        cluster: ClusterServers = fixture("cluster_servers")
        return RedisCluster.from_url(cluster.url, **_options())
    if topology == "sentinel":
        sentinels: SentinelServers = fixture("sentinel_servers")
        sentinel = Sentinel(sentinels.sentinel_addresses, **_options())
        client: RedisClient = sentinel.master_for(sentinels.service_name, **_options())
        return client
    if topology == "valkey":
        return redis_asyncio.from_url(fixture("valkey_server").url, **_options())
    raise ValueError(f"unknown topology {topology!r}")
