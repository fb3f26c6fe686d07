"""Cancellation and timeouts reach the caller of every operation, and leave the client usable.

A task that loops one operation is cancelled at a random moment, many times over: each time
it must end in CancelledError, whatever the operation was doing when the cancellation came
(connecting, sending, waiting for the reply). The loops are bounded, so a lost cancellation
shows as a loop that ran to its end instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from clients import make_client

from openai_agents_session import RedisSession, RedisSessionStore
from openai_agents_session.redis import SessionRecord
from openai_agents_session.redis import _driver as driver_module
from openai_agents_session.redis._cancellation import await_shielded
from openai_agents_session.redis._driver import RedisClient

TRIALS = 30
# Long enough for dozens of round trips before the cancellation, short enough for 30 trials.
CANCEL_AFTER_S = (0.002, 0.02)
# A loop that is still running after this long lost its cancellation.
LOOP_LIMIT_S = 0.5

ITEMS = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi there"}]

Operation = Callable[[RedisSession, RedisSessionStore, int], Awaitable[Any]]


async def _import(session: RedisSession, store: RedisSessionStore, n: int) -> Any:
    record = SessionRecord(f"imported-{n % 4}", ITEMS)
    return await store.import_session(record, replace=True)


async def _list(session: RedisSession, store: RedisSessionStore, n: int) -> Any:
    return await store.count_sessions()


async def _export(session: RedisSession, store: RedisSessionStore, n: int) -> Any:
    return [record async for record in store.export()]


OPERATIONS: dict[str, Operation] = {
    "get_items": lambda session, store, n: session.get_items(limit=2),
    "add_items": lambda session, store, n: session.add_items(ITEMS),
    "pop_item": lambda session, store, n: session.pop_item(),
    "clear_session": lambda session, store, n: session.clear_session(),
    "get_metadata": lambda session, store, n: session.get_metadata(),
    "set_metadata": lambda session, store, n: session.set_metadata(title=f"t{n}"),
    "store_list": _list,
    "store_info": lambda session, store, n: store.info(session.session_id),
    "store_export": _export,
    "store_import": _import,
}


@pytest.fixture
async def standalone_client(request: pytest.FixtureRequest) -> AsyncIterator[RedisClient]:
    """The suite's standalone client: socket_timeout set, as redis-py 8 sets it by default."""
    client = make_client(request, "standalone")
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def cluster_client(request: pytest.FixtureRequest) -> AsyncIterator[RedisClient]:
    client = make_client(request, "cluster")
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(params=["counting", "shielded"])
def guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run with the guard of this Python ("counting") and with the one Python 3.10 uses."""
    name: str = request.param
    if name == "shielded":
        monkeypatch.setattr(driver_module, "await_cancellable", await_shielded)
    return name


async def _loop(operation: Operation, session: RedisSession, store: RedisSessionStore) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOOP_LIMIT_S
    n = 0
    while loop.time() < deadline:
        await operation(session, store, n)
        n += 1
    return n


async def _fill(session: RedisSession) -> None:
    await session.add_items(ITEMS * 3)
    await session.set_metadata(title="cancelled", owner=None)


async def _cancelled_trials(client: RedisClient, prefix: str, operation: Operation) -> list[str]:
    """Cancel a loop of ``operation`` TRIALS times; return what each trial ended with."""
    rng = random.Random(20261126)
    store = RedisSessionStore(client, key_prefix=prefix)
    session = store.session("cancel-me")
    outcomes = []
    for _ in range(TRIALS):
        await _fill(session)
        task = asyncio.ensure_future(_loop(operation, session, store))
        await asyncio.sleep(rng.uniform(*CANCEL_AFTER_S))
        task.cancel()
        try:
            outcomes.append(f"NOT CANCELLED after {await task} calls")
        except asyncio.CancelledError:
            outcomes.append("cancelled")
    return outcomes


async def _assert_usable(client: RedisClient, prefix: str) -> None:
    """No connection was left with an unread reply: each reply answers its own command."""
    session = RedisSession("usable-after", client, key_prefix=prefix)
    for n in range(20):
        await session.clear_session()
        await session.add_items([{"role": "user", "content": f"m{n}"}])
        assert await session.get_items() == [{"role": "user", "content": f"m{n}"}]
        assert await client.ping()
    await session.clear_session()


async def _delete_prefix(client: RedisClient, prefix: str) -> None:
    store = RedisSessionStore(client, key_prefix=prefix)
    ids = [session_id async for session_id in store.list_sessions()]
    await store.delete(*ids)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_cancelling_a_loop_of_each_operation_always_raises_cancelled_error(
    standalone_client: RedisClient, key_prefix: str, guard: str, name: str
) -> None:
    """Every one of 30 cancellations at random moments ends the loop in CancelledError."""
    try:
        outcomes = await _cancelled_trials(standalone_client, key_prefix, OPERATIONS[name])
        assert outcomes == ["cancelled"] * TRIALS
        await _assert_usable(standalone_client, key_prefix)
    finally:
        await _delete_prefix(standalone_client, key_prefix)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["get_items", "add_items", "store_info", "store_list"])
async def test_cancelling_a_loop_on_a_cluster_client_always_raises_cancelled_error(
    cluster_client: RedisClient, key_prefix: str, name: str
) -> None:
    """The cluster client's own connections lose cancellations the same way; the guard holds."""
    try:
        outcomes = await _cancelled_trials(cluster_client, key_prefix, OPERATIONS[name])
        assert outcomes == ["cancelled"] * TRIALS
        await _assert_usable(cluster_client, key_prefix)
    finally:
        await _delete_prefix(cluster_client, key_prefix)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["get_items", "add_items", "store_export"])
async def test_wait_for_timeout_around_a_loop_always_fires(
    standalone_client: RedisClient, key_prefix: str, guard: str, name: str
) -> None:
    """asyncio.wait_for (a request timeout) around a loop of calls raises TimeoutError each time."""
    rng = random.Random(7)
    store = RedisSessionStore(standalone_client, key_prefix=key_prefix)
    session = store.session("timed-out")
    outcomes = []
    try:
        for _ in range(TRIALS):
            await _fill(session)
            timeout_s = rng.uniform(*CANCEL_AFTER_S)
            try:
                calls = await asyncio.wait_for(_loop(OPERATIONS[name], session, store), timeout_s)
                outcomes.append(f"NO TIMEOUT after {calls} calls")
            except asyncio.TimeoutError:
                outcomes.append("timed out")
        assert outcomes == ["timed out"] * TRIALS
        await _assert_usable(standalone_client, key_prefix)
    finally:
        await _delete_prefix(standalone_client, key_prefix)


@pytest.mark.parametrize("name", ["get_items", "add_items", "store_list", "store_info"])
async def test_cancellation_requested_while_the_task_runs_is_delivered(
    standalone_client: RedisClient, key_prefix: str, guard: str, name: str
) -> None:
    """A cancellation requested between two calls (as a SIGINT handler does) ends the next one."""
    store = RedisSessionStore(standalone_client, key_prefix=key_prefix)
    session = store.session("signalled")
    operation = OPERATIONS[name]
    outcomes = []
    try:
        await _fill(session)
        for n in range(TRIALS):
            task = asyncio.current_task()
            assert task is not None
            task.cancel()  # the task is running: delivered at its next suspension
            try:
                await operation(session, store, n)
                outcomes.append("NOT CANCELLED")
            except asyncio.CancelledError:
                outcomes.append("cancelled")
            if hasattr(task, "uncancel"):
                task.uncancel()
        assert outcomes == ["cancelled"] * TRIALS
        await _assert_usable(standalone_client, key_prefix)
    finally:
        await _delete_prefix(standalone_client, key_prefix)
