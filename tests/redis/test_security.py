"""Least privilege: RedisSession works with only the documented ACL, and nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from servers import ClusterServers, RedisServer, start_redis

from openai_agents_session import RedisSession, WrongKeyTypeError
from openai_agents_session.redis import acl_rules

PREFIX = "app-sessions"
ITEM = {"role": "user", "content": "hi"}


@pytest.fixture(scope="module")
def least_privilege_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(
        tmp_path_factory.mktemp("acl-least"),
        username="app",
        password="app-pw",
        acl_lines=[
            "user default on nopass ~* &* +@all",
            f"user app on >app-pw {acl_rules(PREFIX)}",
        ],
    )
    yield server
    server.stop()


@pytest.fixture
async def app_client(least_privilege_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    url = f"redis://app:app-pw@127.0.0.1:{least_privilege_server.port}"
    async with redis_asyncio.from_url(url, retry=Retry(NoBackoff(), 0)) as client:
        yield client


async def test_every_operation_works_with_only_the_documented_acl(
    app_client: redis_asyncio.Redis, least_privilege_server: RedisServer
) -> None:
    """Every operation, metadata and owner index included, and the wrong-type path."""
    admin_url = f"redis://127.0.0.1:{least_privilege_server.port}"  # the default user
    async with redis_asyncio.from_url(admin_url) as admin:
        await admin.script_flush()  # the user must be able to load the scripts itself
        session = RedisSession(
            "u1", app_client, key_prefix=PREFIX, ttl=60, max_items=10, owner="ada"
        )
        await session.set_metadata(title="t", tags=["x"])
        assert (await session.get_metadata()).title == "t"
        await session.add_items([ITEM, ITEM])
        assert await session.get_items(limit=1) == [ITEM]
        assert await session.pop_item() == ITEM
        assert await session.ping()
        await session.clear_session()
        assert await session.get_items() == []

        await admin.hset(f"{PREFIX}:u2", "f", "v")
        with pytest.raises(WrongKeyTypeError, match="hash"):
            await RedisSession("u2", app_client, key_prefix=PREFIX).add_items([ITEM])
        await admin.delete(f"{PREFIX}:u2")


async def test_acl_user_cannot_touch_keys_outside_its_prefix(
    app_client: redis_asyncio.Redis,
) -> None:
    """Other keys, other prefixes and admin commands are refused."""
    with pytest.raises(redis.exceptions.NoPermissionError):
        await RedisSession("u1", app_client, key_prefix="other-app").add_items([ITEM])
    with pytest.raises(redis.exceptions.NoPermissionError):
        await app_client.execute_command("GET", "secret")
    with pytest.raises(redis.exceptions.NoPermissionError):
        await app_client.execute_command("KEYS", "*")
    with pytest.raises(redis.exceptions.NoPermissionError):
        await app_client.flushall()
    with pytest.raises(redis.exceptions.NoPermissionError):
        await app_client.eval("return redis.call('GET', 'secret')", 1, "secret")


async def test_cluster_works_with_the_cluster_acl(
    cluster_servers: ClusterServers, key_prefix: str
) -> None:
    """acl_rules(cluster=True) is enough for a RedisCluster client."""
    rules = acl_rules(key_prefix, cluster=True).split()
    for node in cluster_servers.nodes:
        with node.client() as admin:
            admin.execute_command("ACL", "SETUSER", "clusterapp", "on", ">pw", *rules)
    first = cluster_servers.nodes[0]
    client = RedisCluster(host="127.0.0.1", port=first.port, username="clusterapp", password="pw")
    try:
        for session_id in ("a", "b", "c", "d"):
            session = RedisSession(session_id, client, key_prefix=key_prefix, ttl=60, owner="o")
            await session.add_items([ITEM])
            await session.set_metadata(title=session_id)
            assert await session.pop_item() == ITEM
            await session.clear_session()
    finally:
        await client.aclose()
        for node in cluster_servers.nodes:
            with node.client() as admin:
                admin.acl_deluser("clusterapp")


def test_acl_rules_start_from_nothing() -> None:
    """The rules reset keys, channels and commands before granting."""
    rules = acl_rules("p").split()
    assert rules[:3] == ["resetkeys", "resetchannels", "-@all"]
    assert rules[-1] == "~p:*" and not any(rule.startswith("~{") for rule in rules)
    assert "+cluster|slots" not in rules
    assert "+cluster|slots" in acl_rules("p", cluster=True).split()


async def test_store_works_with_the_operator_acl(least_privilege_server: RedisServer) -> None:
    """acl_rules(operator=True) covers listing, info, fork, export, import and delete."""
    from openai_agents_session import RedisSessionStore

    admin_url = f"redis://127.0.0.1:{least_privilege_server.port}"
    async with redis_asyncio.from_url(admin_url) as admin:
        await admin.execute_command(
            "ACL", "SETUSER", "ops", "on", ">ops-pw", *acl_rules(PREFIX, operator=True).split()
        )
    url = f"redis://ops:ops-pw@127.0.0.1:{least_privilege_server.port}"
    async with RedisSessionStore.from_url(url, key_prefix=PREFIX) as store:
        await store.session("a", ttl=60, owner="o").add_items([ITEM])
        assert [session_id async for session_id in store.list_sessions()] == ["a"]
        assert (await store.info("a")).item_count == 1
        assert await store.fork("a", "b") == 1
        record = await store.export_session("b")
        assert record is not None
        assert await store.import_session(record, replace=True)
        assert {entry.session_id for entry in await store.owner_sessions("o")} == {"a", "b"}
        assert await store.delete("a", "b") == 2
