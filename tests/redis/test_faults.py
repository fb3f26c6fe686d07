"""Restarts, network faults, failovers and resharding: what users see, and that nothing is lost.

Each test owns its servers (they get killed), so these run on private, short-lived topologies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from proxy import FaultProxy
from readme import run_block
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.crc import key_slot
from servers import RedisServer, ServersOfOneTest, SlotMove, slots_of, wait_until

from openai_agents_session import BackendUnavailableError, RedisSession, ReplicationError

ITEM = {"role": "user", "content": "hi"}


def production_client(url: str) -> redis_asyncio.Redis:
    """The client the README recommends, built by running the README's own code."""
    build: Callable[[str], redis_asyncio.Redis] = run_block("### Retries and timeouts")[
        "production_client"
    ]
    return build(url)


async def add_until_it_succeeds(session: RedisSession, items: list[Any], limit_s: float) -> float:
    """Retry one add_items the way an application would; return how long it took."""
    started = time.monotonic()
    while True:
        try:
            await session.add_items(items)
            return time.monotonic() - started
        except BackendUnavailableError:
            if time.monotonic() - started > limit_s:
                raise
            await asyncio.sleep(0.05)


async def write_numbered(session: RedisSession, count: int, acked: list[int]) -> None:
    """Append items 0..count-1 one call each, retrying each, recording what was acknowledged."""
    for number in range(count):
        await add_until_it_succeeds(session, [{"n": number}], limit_s=10)
        acked.append(number)
        await asyncio.sleep(0.002)


def numbers(items: list[Any]) -> list[int]:
    return [item["n"] for item in items]


async def test_restart_during_writes_loses_and_doubles_nothing(
    own_servers: ServersOfOneTest,
) -> None:
    """Server restarted (AOF on) mid-stream: the same session goes on; every item once."""
    server = own_servers.redis("aof", appendonly=True)
    client = production_client(server.url)
    session = RedisSession("restart", client, ttl=600)
    acked: list[int] = []
    try:
        writer = asyncio.create_task(write_numbered(session, 300, acked))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await asyncio.to_thread(server.restart)
        await writer
        recovered_within = time.monotonic() - started
        assert numbers(await session.get_items()) == list(range(300))
        assert recovered_within < 10
    finally:
        await client.aclose()


async def test_restart_between_operations_keeps_every_acknowledged_item(
    own_servers: ServersOfOneTest,
) -> None:
    """Stopped and started again between calls: the next call succeeds, the data is there."""
    server = own_servers.redis("aof", appendonly=True)
    client = production_client(server.url)
    session = RedisSession("between", client, ttl=600)
    try:
        await session.add_items([ITEM, ITEM])
        await asyncio.to_thread(server.restart)
        await session.add_items([ITEM])  # reloads the script (NOSCRIPT) transparently
        assert await session.get_items() == [ITEM] * 3
        assert await session.pop_item() == ITEM
    finally:
        await client.aclose()


@pytest.fixture
async def proxy(standalone_server: RedisServer) -> AsyncIterator[FaultProxy]:
    async with FaultProxy("127.0.0.1", standalone_server.port) as running:
        yield running


async def test_network_delay_slows_but_does_not_fail(proxy: FaultProxy, key_prefix: str) -> None:
    """100 ms of latency each way: calls take longer and succeed."""
    async with redis_asyncio.from_url(proxy.url, socket_timeout=2) as client:
        session = RedisSession("slow", client, key_prefix=key_prefix)
        await session.ping()
        proxy.set_delay(0.1)
        started = time.monotonic()
        await session.add_items([ITEM])
        assert await session.pop_item() == ITEM
        assert time.monotonic() - started >= 0.4


async def test_black_hole_times_out_then_recovers(proxy: FaultProxy, key_prefix: str) -> None:
    """A network that swallows everything: TimeoutError within socket_timeout, then healing."""
    async with redis_asyncio.from_url(
        proxy.url, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    ) as client:
        session = RedisSession("hole", client, key_prefix=key_prefix)
        await session.ping()
        proxy.black_hole()
        started = time.monotonic()
        with pytest.raises(redis.exceptions.TimeoutError):
            await session.add_items([ITEM])
        assert time.monotonic() - started < 1.5
        proxy.heal()
        await session.add_items([ITEM])  # the retry of the timed-out call: stored once
        assert await session.get_items() == [ITEM]
        await session.clear_session()


async def test_cut_connections_are_retried_transparently(
    proxy: FaultProxy, key_prefix: str
) -> None:
    """Every connection reset mid-session: the recommended client reconnects on its own."""
    async with production_client(proxy.url) as client:
        session = RedisSession("cut", client, key_prefix=key_prefix)
        for round_ in range(5):
            await session.add_items([{"n": round_}])  # type: ignore[list-item]
            await proxy.cut_all()
        assert numbers(await session.get_items()) == [0, 1, 2, 3, 4]
        await session.clear_session()


async def add_until_replicated(session: RedisSession, items: list[Any]) -> None:
    """Retry add_items until replicas acknowledge it; every retry is the same batch."""
    deadline = time.monotonic() + 10
    while True:
        try:
            await session.add_items(items)
            return
        except ReplicationError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_wait_replicas_raises_when_the_replica_is_down(own_servers: ServersOfOneTest) -> None:
    """wait_replicas=1: fine with a live replica; ReplicationError when it is stopped."""
    primary = own_servers.redis("primary")
    replica = own_servers.redis("replica", extra_config=[f"replicaof 127.0.0.1 {primary.port}"])
    client = redis_asyncio.from_url(primary.url)
    session = RedisSession("durable", client, wait_replicas=1, wait_timeout_ms=300)
    try:
        wait_until(
            lambda: replica.info("replication").get("master_link_status") == "up",
            timeout=10,
            message="replica did not link",
        )
        await add_until_replicated(session, [ITEM])  # the replica's first ACK may lag
        replica.stop()
        started = time.monotonic()
        with pytest.raises(ReplicationError, match="0 of 1") as caught:
            await session.add_items([{"role": "user", "content": "unreplicated"}])
        assert 0.25 < time.monotonic() - started < 2
        assert (caught.value.acknowledged, caught.value.required) == (0, 1)
        assert len(await session.get_items()) == 2  # applied on the primary, as the error says

        replica.restart()
        wait_until(
            lambda: replica.info("replication").get("master_link_status") == "up",
            timeout=10,
            message="replica did not link again",
        )
        # The retry (again and again while the replica catches up) is stored once.
        await add_until_replicated(session, [{"role": "user", "content": "unreplicated"}])
        assert len(await session.get_items()) == 2
    finally:
        await client.aclose()


async def test_sentinel_failover_writes_succeed_again_and_keep_waited_items(
    own_servers: ServersOfOneTest,
) -> None:
    """Master killed: Sentinel promotes the replica; the same client writes again, nothing lost.

    redis-py asks Sentinel for the master when a command starts, not between its own retries
    of one command, so the application retries the call (its items are stored once).
    """
    servers = own_servers.sentinel("sentinel")
    sentinel = Sentinel(servers.sentinel_addresses, socket_timeout=0.5)  # type: ignore[no-untyped-call]
    client = sentinel.master_for(
        servers.service_name,
        socket_timeout=2.0,  # longer than WAIT's timeout
        socket_connect_timeout=2,  # also bounds closing a connection
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.2), 3),
    )
    # Acknowledged by the replica too, so the failover cannot lose them.
    durable = RedisSession("ha", client, wait_replicas=1, wait_timeout_ms=1000)
    for n in range(20):
        await add_until_replicated(durable, [{"n": n}])
    # After the failover the old master is gone: there is no replica left to wait for.
    session = RedisSession("ha", client)
    try:
        servers.master.kill()
        recovery_s = await add_until_it_succeeds(session, [{"n": 20}], limit_s=20)
        for n in range(21, 30):
            await session.add_items([{"n": n}])
        assert numbers(await session.get_items()) == list(range(30))
        assert recovery_s < 15
    finally:
        await client.aclose()
        for sentinel_client in sentinel.sentinels:  # the clients that found the master
            await sentinel_client.aclose()


async def test_cluster_master_killed_other_slots_stay_readable_failed_slots_recover(
    own_servers: ServersOfOneTest,
) -> None:
    """Kill one master: sessions elsewhere read on; writes to its slots succeed after promotion.

    Reads elsewhere go on only because the cluster does not require full coverage: the
    production guide recommends ``cluster-require-full-coverage no`` for this reason.
    """
    cluster = own_servers.cluster("cluster", extra_config=["cluster-require-full-coverage no"])
    client = RedisCluster.from_url(
        cluster.url,
        socket_timeout=0.5,
        socket_connect_timeout=2,  # also bounds closing a connection
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 3),
    )
    try:
        victim = cluster.masters()[0]
        victim_slots = slots_of(victim)
        sessions = [RedisSession(f"user-{i}", client, ttl=600) for i in range(30)]
        for session in sessions:
            await session.add_items([ITEM])
        on_victim = [s for s in sessions if key_slot(s.key.encode()) in victim_slots]
        elsewhere = [s for s in sessions if s not in on_victim]
        assert on_victim and elsewhere

        victim.kill()
        started = time.monotonic()
        recovered = False
        while time.monotonic() - started < 20:
            for session in elsewhere:  # readable throughout
                assert await session.get_items() == [ITEM]
            try:
                await on_victim[0].add_items([ITEM])
                recovered = True
                break
            except BackendUnavailableError:
                await asyncio.sleep(0.2)
        assert recovered, "writes to the failed master's slots did not recover in 20 s"
        for session in on_victim[1:]:
            await session.add_items([ITEM])
            assert len(await session.get_items()) in (1, 2)  # async replication may lose one
    finally:
        await client.aclose()


# How many more items every writer must have acknowledged before a migration step goes on.
WRITES_PER_STEP = 5
# A step whose precondition does not hold by then is a failure of the client, not slowness.
STEP_TIMEOUT_S = 30


async def write_until(session: RedisSession, stop: asyncio.Event, acked: list[int]) -> None:
    """Append items 0, 1, 2... one call each, retrying each, until ``stop`` is set."""
    number = 0
    while not stop.is_set():
        await add_until_it_succeeds(session, [{"n": number}], limit_s=10)
        acked.append(number)
        number += 1
        await asyncio.sleep(0.002)


def error_count(nodes: list[RedisServer], code: str) -> int:
    """How many replies of error ``code`` (such as TRYAGAIN) ``nodes`` have sent in total."""
    total = 0
    for node in nodes:
        with node.client() as conn:
            total += int(conn.info("errorstats").get(f"errorstat_{code}", {}).get("count", 0))
    return total


async def test_slot_migration_while_writers_run_loses_nothing(
    own_servers: ServersOfOneTest,
) -> None:
    """Resharding a slot (MIGRATING/IMPORTING, MIGRATE, SETSLOT NODE) under load loses no item.

    The sessions share one hash tag, so they all live in the migrated slot; the client follows
    ASK and MOVED redirects and retries TRYAGAIN while the slot is split between two nodes.
    Each step of the migration waits until the writers have been through the previous one, so
    the writes overlap every state of the slot however fast or slow the machine is.
    """
    cluster = own_servers.cluster("cluster", replicas_per_master=0)
    client = RedisCluster.from_url(cluster.url, socket_timeout=2)
    sessions = [RedisSession(f"{{moving}}-{i}", client, ttl=600) for i in range(4)]
    move = SlotMove.of(cluster, key_slot(sessions[0].key.encode()))
    acked: list[list[int]] = [[] for _ in sessions]
    stop = asyncio.Event()
    writers: list[asyncio.Task[None]] = []

    async def until(condition: Callable[[], bool], failure: str) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while not condition():
            for writer in writers:
                if writer.done():
                    await writer  # a writer ends early only on an error: raise it
            assert time.monotonic() < deadline, f"{failure} within {STEP_TIMEOUT_S} s"
            await asyncio.sleep(0.01)

    async def every_writer_acknowledges_more(when: str) -> None:
        wanted = [len(done) + WRITES_PER_STEP for done in acked]
        await until(
            lambda: all(len(done) >= n for done, n in zip(acked, wanted, strict=True)),
            f"not every writer had {WRITES_PER_STEP} more items acknowledged {when}",
        )

    try:
        for session in sessions:
            await session.add_items([{"n": -1}])
        with move.source.client() as conn:
            # Each session has its list and its companion there: moving one key splits one.
            assert conn.execute_command("CLUSTER", "COUNTKEYSINSLOT", move.slot) == 2 * len(
                sessions
            )
        writers.extend(
            asyncio.create_task(write_until(session, stop, acked[i]))
            for i, session in enumerate(sessions)
        )
        await every_writer_acknowledges_more("before the migration")
        await asyncio.to_thread(move.mark_migrating)
        await every_writer_acknowledges_more("while the slot was marked migrating")
        refused = error_count([move.source, move.target], "TRYAGAIN")
        await asyncio.to_thread(move.move_keys, 1)
        await until(
            lambda: error_count([move.source, move.target], "TRYAGAIN") > refused,
            "no append met the split session (TRYAGAIN)",
        )
        await asyncio.to_thread(move.move_keys)
        await every_writer_acknowledges_more("through ASK, every key moved, the slot not yet")
        await asyncio.to_thread(move.hand_over)
        await every_writer_acknowledges_more("after the migration")
        stop.set()
        await asyncio.gather(*writers)
        assert move.slot in slots_of(move.target)
        for session, done in zip(sessions, acked, strict=True):
            assert done == list(range(len(done)))
            assert numbers(await session.get_items()) == [-1, *done]
    finally:
        stop.set()
        for writer in writers:
            writer.cancel()
        await asyncio.gather(*writers, return_exceptions=True)
        await client.aclose()
