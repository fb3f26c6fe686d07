"""Quick proof that every topology helper in servers.py starts a usable, stoppable server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel
from servers import (
    RedisServer,
    ServersOfOneTest,
    make_tls_files,
    make_untrusted_ca,
    server_version,
    start_cluster,
    start_redis,
    start_sentinel,
)


def _no_retry() -> Retry:
    """Expected failures must fail at once, not after redis-py's backoff."""
    return Retry(NoBackoff(), 0)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_standalone_start_restart_stop(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "plain", appendonly=True)
    try:
        assert server.port != 6379
        assert server.url == f"redis://127.0.0.1:{server.port}"
        assert server_version(server).startswith("7.")
        with redis.Redis.from_url(server.url) as client:
            client.set("k", "v")
        old_pid = server.pid
        server.kill()
        server.restart()  # same port, AOF replayed
        assert server.pid != old_pid
        assert _gone(old_pid)
        with redis.Redis.from_url(server.url) as client:
            assert client.get("k") == b"v"
            client.execute_command("DEBUG", "SLEEP", "0")
    finally:
        server.stop()
    assert _gone(server.pid)
    server.stop()  # idempotent
    server.kill()


def test_password(tmp_path: Path) -> None:
    server = start_redis(tmp_path, password="s3cret")
    try:
        assert server.url == f"redis://:s3cret@127.0.0.1:{server.port}"
        with (
            redis.Redis(port=server.port, retry=_no_retry()) as anonymous,
            pytest.raises(redis.AuthenticationError),
        ):
            anonymous.ping()
        with redis.Redis.from_url(server.url) as client:
            assert client.ping()
        assert server.info("server")["tcp_port"] == server.port
    finally:
        server.stop()


def test_acl_user(tmp_path: Path) -> None:
    server = start_redis(
        tmp_path,
        username="app",
        password="apppass",
        acl_lines=["user app on >apppass ~app:* +@all", "user default off"],
    )
    try:
        assert server.url == f"redis://app:apppass@127.0.0.1:{server.port}"
        with redis.Redis.from_url(server.url) as client:
            client.set("app:1", "x")
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.set("other:1", "x")
        with (
            redis.Redis(port=server.port, retry=_no_retry()) as anonymous,
            pytest.raises(redis.AuthenticationError),
        ):
            anonymous.ping()
    finally:
        server.stop()


def test_tls_verifies_the_server(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "certs")
    untrusted = make_untrusted_ca(tmp_path / "other")
    server = start_redis(tmp_path / "server", tls=tls, password="pw")
    try:
        assert server.url == f"rediss://:pw@127.0.0.1:{server.port}"
        with redis.Redis.from_url(server.url, ssl_ca_certs=str(tls.ca_cert)) as client:
            assert client.ping()
        with (
            redis.Redis.from_url(
                server.url, ssl_ca_certs=str(untrusted), retry=_no_retry()
            ) as client,
            pytest.raises(redis.ConnectionError, match="certificate verify failed"),
        ):
            client.ping()
        with (
            redis.Redis(port=server.port, password="pw", retry=_no_retry()) as plain,
            pytest.raises(redis.ConnectionError),
        ):
            plain.ping()
    finally:
        server.stop()


def test_cluster_spreads_keys_over_all_masters(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path)
    try:
        masters = cluster.masters()
        assert len(masters) == 3
        assert len(cluster.nodes) == 6
        assert cluster.url == masters[0].url
        client = RedisCluster.from_url(cluster.url)
        try:
            for i in range(60):
                client.set(f"key:{i}", i)
        finally:
            client.close()
        for master in masters:
            with master.client() as node:
                assert node.dbsize() > 0
    finally:
        cluster.stop()
    assert all(_gone(node.pid) for node in cluster.nodes)


def test_sentinel_serves_the_master(tmp_path: Path) -> None:
    servers = start_sentinel(tmp_path)
    try:
        sentinel = Sentinel(servers.sentinel_addresses, socket_timeout=2)
        assert sentinel.discover_master("mymaster") == ("127.0.0.1", servers.master.port)
        master = sentinel.master_for("mymaster", socket_timeout=2)
        master.set("k", "v")
        assert master.get("k") == b"v"
        master.close()
        for connection in sentinel.sentinels:
            connection.close()
        one: RedisServer = servers.sentinels[0]
        one.restart()
        assert one.info("server")["redis_mode"] == "sentinel"
    finally:
        servers.stop()
    assert all(_gone(s.pid) for s in [servers.master, servers.replica, *servers.sentinels])


def test_servers_of_one_test_stops_every_server_it_started(tmp_path: Path) -> None:
    servers = ServersOfOneTest(tmp_path)
    first, second = servers.redis("first"), servers.redis("second", appendonly=True)
    assert first.is_running() and second.is_running()
    second.stop()  # a test may stop one itself
    servers.stop_all()
    assert _gone(first.pid) and _gone(second.pid)
