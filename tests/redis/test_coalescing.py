"""Coalescing: concurrent calls on one client share batches, and each keeps its own outcome.

``asyncio.gather`` of N calls starts them all in one turn of the loop: the first two go out on
their own (fewer than two requests were in flight), the rest queue and leave as batches. Every
test checks `coalescing_stats` to prove its calls really were batched.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio
import redis.exceptions
from clients import ACL_PASSWORD, ACL_USER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proxy import FaultProxy
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from servers import RedisServer

from openai_agents_session import (
    BackendError,
    ConfigurationError,
    RedisSession,
    WrongKeyTypeError,
)
from openai_agents_session.redis import CoalescingStats, coalescing_stats

BATCH = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]
CALLS = 12


def client_for(url: str) -> redis_asyncio.Redis:
    return redis_asyncio.from_url(url, socket_timeout=5, retry=Retry(NoBackoff(), 0))


@pytest.fixture
async def client(standalone_server: RedisServer) -> AsyncIterator[redis_asyncio.Redis]:
    async with client_for(standalone_server.url) as opened:
        yield opened


def snapshot(client: redis_asyncio.Redis) -> CoalescingStats:
    stats = coalescing_stats(client)
    return CoalescingStats(stats.direct, stats.batches.copy())


def batched_since(client: redis_asyncio.Redis, before: CoalescingStats) -> int:
    """Calls sent in batches of two or more since ``before``."""
    now = coalescing_stats(client).batches
    return sum(size * (now[size] - before.batches[size]) for size in now if size > 1)


async def load_scripts(session: RedisSession) -> None:
    await session.add_items([{"role": "system", "content": "warm-up"}])
    await session.clear_session()


def sessions(client: redis_asyncio.Redis, prefix: str, count: int) -> list[RedisSession]:
    return [RedisSession(f"s{index}", client, key_prefix=prefix) for index in range(count)]


async def test_a_lone_caller_is_never_batched(client: redis_asyncio.Redis, key_prefix: str) -> None:
    session = RedisSession("lone", client, key_prefix=key_prefix)
    await load_scripts(session)
    before = snapshot(client)
    for _ in range(20):
        await session.add_items(BATCH)
        await session.get_items(limit=2)
    stats = coalescing_stats(client)
    assert stats.direct - before.direct == 40
    assert stats.batches == before.batches
    await session.clear_session()


async def test_concurrent_calls_are_batched_and_each_gets_its_own_reply(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    many = sessions(client, key_prefix, CALLS)
    await load_scripts(many[0])
    before = snapshot(client)
    await asyncio.gather(
        *(
            session.add_items([{"role": "user", "content": str(i)}])
            for i, session in enumerate(many)
        )
    )
    read = await asyncio.gather(*(session.get_items() for session in many))
    assert batched_since(client, before) >= 2 * (CALLS - 2)
    assert read == [[{"role": "user", "content": str(i)}] for i in range(CALLS)]
    await asyncio.gather(*(session.clear_session() for session in many))


async def test_coalesce_false_sends_every_call_on_its_own(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    many = [
        RedisSession(f"s{index}", client, key_prefix=key_prefix, coalesce=False)
        for index in range(CALLS)
    ]
    before = snapshot(client)
    await asyncio.gather(*(session.add_items(BATCH) for session in many))
    assert coalescing_stats(client) == before
    assert [len(items) for items in await asyncio.gather(*(s.get_items() for s in many))] == [
        2
    ] * CALLS
    await asyncio.gather(*(session.clear_session() for session in many))


def test_coalesce_must_be_a_bool(client: redis_asyncio.Redis) -> None:
    with pytest.raises(ConfigurationError, match="coalesce must be True or False"):
        RedisSession("s", client, coalesce="yes")  # type: ignore[arg-type]


async def test_a_wrong_type_key_fails_only_its_own_calls(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    """WRONGTYPE in the middle of a batch: the other calls of that batch are stored and read."""
    many = sessions(client, key_prefix, CALLS)
    await load_scripts(many[0])
    wrong = many[CALLS // 2]
    await client.set(wrong.key, "a string")
    before = snapshot(client)
    outcomes = await asyncio.gather(
        *(session.add_items(BATCH) for session in many), return_exceptions=True
    )
    reads = await asyncio.gather(*(session.get_items() for session in many), return_exceptions=True)
    assert batched_since(client, before) >= 2 * (CALLS - 2)
    for index, (outcome, read) in enumerate(zip(outcomes, reads, strict=True)):
        if index == CALLS // 2:
            assert isinstance(outcome, WrongKeyTypeError)
            assert isinstance(read, WrongKeyTypeError)
        else:
            assert outcome is None
            assert read == BATCH
    assert await client.get(wrong.key) == b"a string"
    await client.delete(wrong.key)
    await asyncio.gather(*(session.clear_session() for session in many))


async def test_noscript_in_a_batch_is_reloaded_per_call_and_stores_each_batch_once(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    """After SCRIPT FLUSH (a restart, a failover) every EVALSHA of the batch answers NOSCRIPT."""
    many = sessions(client, key_prefix, CALLS)
    await load_scripts(many[0])
    await client.script_flush()
    before = snapshot(client)
    await asyncio.gather(*(session.add_items(BATCH) for session in many))
    assert batched_since(client, before) >= CALLS - 2
    assert await asyncio.gather(*(session.get_items() for session in many)) == [BATCH] * CALLS
    await asyncio.gather(*(session.clear_session() for session in many))


async def test_a_refused_key_fails_only_its_own_call(acl_server: RedisServer) -> None:
    """NOPERM for a session outside the user's keys; the batch's other calls go through."""
    url = f"redis://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{acl_server.port}"
    async with client_for(url) as client:
        allowed = sessions(client, "oas-test:coalesce-acl", CALLS)
        refused = RedisSession("s", client, key_prefix="forbidden")
        await load_scripts(allowed[0])
        before = snapshot(client)
        calls = [session.add_items(BATCH) for session in allowed]
        calls.insert(CALLS // 2, refused.add_items(BATCH))
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert batched_since(client, before) >= CALLS - 1
        denied = outcomes.pop(CALLS // 2)
        assert isinstance(denied, BackendError)
        assert isinstance(denied, redis.exceptions.NoPermissionError)
        assert outcomes == [None] * CALLS
        assert await asyncio.gather(*(s.get_items() for s in allowed)) == [BATCH] * CALLS
        await asyncio.gather(*(session.clear_session() for session in allowed))


async def test_a_caller_cancelled_before_its_batch_is_sent_sends_nothing(
    client: redis_asyncio.Redis, key_prefix: str
) -> None:
    many = sessions(client, key_prefix, CALLS)
    await load_scripts(many[0])
    tasks = [asyncio.ensure_future(session.add_items(BATCH)) for session in many]
    await asyncio.sleep(0)  # every call has started: two are sent, the others are queued
    victim = CALLS // 2
    tasks[victim].cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[victim], asyncio.CancelledError)
    assert [outcome for i, outcome in enumerate(outcomes) if i != victim] == [None] * (CALLS - 1)
    assert await client.exists(many[victim].key) == 0
    stored = await asyncio.gather(*(session.get_items() for session in many))
    assert stored == [[] if i == victim else BATCH for i in range(CALLS)]
    await asyncio.gather(*(session.clear_session() for session in many))


async def test_a_caller_cancelled_after_its_batch_was_sent_retries_it_once(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """The server applied the batch; the cancelled caller's retry reuses its batch id."""
    async with FaultProxy("127.0.0.1", standalone_server.port) as proxy:
        async with client_for(proxy.url) as client:
            many = sessions(client, key_prefix, CALLS)
            await load_scripts(many[0])
            proxy.set_delay(0.2)
            before = snapshot(client)
            tasks = [asyncio.ensure_future(session.add_items(BATCH)) for session in many]
            await asyncio.sleep(0.1)  # the batch is on its way to the server
            victim = CALLS // 2
            tasks[victim].cancel()
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            assert batched_since(client, before) >= CALLS - 2
            assert isinstance(outcomes[victim], asyncio.CancelledError)
            assert [o for i, o in enumerate(outcomes) if i != victim] == [None] * (CALLS - 1)
            proxy.set_delay(0)
            assert await many[victim].get_items() == BATCH  # it was applied
            await many[victim].add_items(BATCH)  # the caller's retry
            stored = await asyncio.gather(*(session.get_items() for session in many))
            assert stored == [BATCH] * CALLS
            await asyncio.gather(*(session.clear_session() for session in many))


def test_every_event_loop_gets_its_own_queue(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """A client the library owns follows its user into each new loop; batching goes on there."""
    client = redis_asyncio.from_url(standalone_server.url)
    owner = RedisSession.from_url("s0", standalone_server.url, key_prefix=key_prefix)
    shared = [owner] + [
        RedisSession(f"s{index}", owner._client, key_prefix=key_prefix) for index in range(1, CALLS)
    ]

    async def turn() -> list[list[Any]]:
        await asyncio.gather(*(session.add_items(BATCH) for session in shared))
        return await asyncio.gather(*(session.get_items() for session in shared))

    for round_number in range(1, 4):  # each asyncio.run is a new event loop
        assert asyncio.run(turn()) == [BATCH * round_number] * CALLS
    assert sum(coalescing_stats(owner._client).batches.values()) >= 3

    async def clean() -> None:
        await asyncio.gather(*(session.clear_session() for session in shared))
        await owner.close()
        await client.aclose()

    asyncio.run(clean())


# -- concurrent operations give the history of a serial replay ------------------------------

Op = tuple[str, int]
OPERATIONS = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 3)),
    st.tuples(st.just("get"), st.integers(0, 4)),
    st.tuples(st.just("pop"), st.just(0)),
    st.tuples(st.just("replace"), st.integers(0, 2)),
    st.tuples(st.just("clear"), st.just(0)),
)
# Each worker owns two sessions, as one user is served by one request at a time.
WORKERS = st.lists(
    st.lists(st.tuples(st.integers(0, 1), OPERATIONS), max_size=12), min_size=4, max_size=8
)


async def _run_worker(
    worker: int, ops: list[tuple[int, Op]], owned: list[RedisSession]
) -> list[Any]:
    outcomes: list[Any] = [await owned[0].add_items([{"role": "user", "content": f"w{worker}"}])]
    for step, (which, (name, size)) in enumerate(ops):
        session = owned[which]
        items = [{"role": "user", "content": f"w{worker}-{step}-{i}"} for i in range(size)]
        if name == "add":
            outcomes.append(await session.add_items(items))
        elif name == "get":
            outcomes.append(await session.get_items(limit=size or None))
        elif name == "pop":
            outcomes.append(await session.pop_item())
        elif name == "replace":
            outcomes.append(await session.replace_items(items))
        else:
            outcomes.append(await session.clear_session())
    return outcomes


async def _histories(
    url: str, prefix: str, workers: list[list[tuple[int, Op]]], *, concurrent: bool
) -> tuple[list[list[Any]], list[list[Any]], int]:
    async with client_for(url) as client:
        owned = [
            [
                RedisSession(f"w{worker}-{which}", client, key_prefix=prefix, coalesce=concurrent)
                for which in range(2)
            ]
            for worker in range(len(workers))
        ]
        await load_scripts(owned[0][0])
        before = snapshot(client)
        runs = [_run_worker(w, ops, owned[w]) for w, ops in enumerate(workers)]
        if concurrent:
            outcomes = list(await asyncio.gather(*runs))
        else:
            outcomes = [await run for run in runs]
        final = [await session.get_items() for pair in owned for session in pair]
        for pair in owned:
            for session in pair:
                await session.clear_session()
        return outcomes, final, batched_since(client, before)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workers=WORKERS)
def test_concurrent_operations_give_the_history_of_a_serial_replay(
    standalone_server: RedisServer, workers: list[list[tuple[int, Op]]]
) -> None:
    """Every call's reply and every final history equal those of the same calls made one by one
    without coalescing."""
    prefix = f"oas-test:{uuid.uuid4().hex[:12]}"
    url = standalone_server.url
    together = asyncio.run(_histories(url, prefix + "-c", workers, concurrent=True))
    one_by_one = asyncio.run(_histories(url, prefix + "-s", workers, concurrent=False))
    assert together[:2] == one_by_one[:2]
    assert together[2] >= 2  # every worker's opening append started in one turn
