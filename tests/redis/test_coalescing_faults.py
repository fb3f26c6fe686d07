"""Faults while session calls are coalesced: cluster redirects, restarts and black holes.

Many coroutines write through one client, so calls queue while others are in flight and go
out in shared batches; each test checks with ``coalescing_stats`` that they really did. What
must hold is what holds without coalescing: each call gets its own outcome, an outage fails
the calls it meets (queued ones included) promptly instead of leaving them waiting, and the
caller's retry of a failed ``add_items`` stores its batch exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import redis.asyncio as redis_asyncio
from proxy import FaultProxy
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from servers import RedisServer, ServersOfOneTest, SlotMove, slots_of

from openai_agents_session import BackendUnavailableError, RedisSession
from openai_agents_session.redis import coalescing_stats
from openai_agents_session.redis._driver import RedisClient
from openai_agents_session.redis._keys import DEFAULT_KEY_PREFIX, meta_key, session_key

# Enough coroutines on one client that most calls find two requests in flight and queue.
WRITERS = 64
# A step whose precondition does not hold by then is a failure of the client, not slowness.
STEP_TIMEOUT_S = 30
# How long an application keeps repeating one failed call before it gives up.
GIVE_UP_S = 20
RETRY_PAUSE_S = 0.02


@dataclass(eq=False)
class Writer:
    """Appends ``{"n": 0}``, ``{"n": 1}``... to one session, one call each.

    A call that fails with BackendUnavailableError is repeated with the same items on the same
    session object, as an application would; any other error ends the writer and fails the
    test. Every call's duration is measured, failed ones included.
    """

    session: RedisSession
    check_reads: bool = False
    stop_on_failure: bool = False
    acked: list[int] = field(default_factory=list)
    failures: int = 0
    failed_at: float | None = None
    slowest_call_s: float = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            number = len(self.acked)
            if not await self._append(number):
                return
            self.acked.append(number)
            if self.check_reads:
                # Read-your-writes through the same batches: the newest item is this one.
                items = await self._retried(lambda: self.session.get_items(limit=1))
                assert items == [{"n": number}], f"{self.session.key}: {items!r} after {number}"
            await asyncio.sleep(0)

    async def read(self, stop: asyncio.Event) -> None:
        """Read the newest item again and again, alongside the writes of the same batches."""
        while not stop.is_set():
            items = await self._retried(lambda: self.session.get_items(limit=1))
            assert items == [] or items[0]["n"] <= len(self.acked), items
            await asyncio.sleep(0)

    async def stored(self) -> list[Any]:
        """Every item of the session, read as the writers read: retried through an outage."""
        return await self._retried(self.session.get_items)  # type: ignore[no-any-return]

    async def retry_failed(self) -> None:
        """Repeat the call that failed (after ``stop_on_failure``) until it is stored."""
        await self._append(len(self.acked), stop_on_failure=False)
        self.acked.append(len(self.acked))

    async def _append(self, number: int, *, stop_on_failure: bool | None = None) -> bool:
        stop_on_failure = self.stop_on_failure if stop_on_failure is None else stop_on_failure
        await self._retried(
            lambda: self.session.add_items([{"n": number}]),  # type: ignore[list-item]
            stop_on_failure=stop_on_failure,
        )
        return self.failed_at is None or not stop_on_failure

    async def _retried(
        self, call: Callable[[], Awaitable[Any]], *, stop_on_failure: bool = False
    ) -> Any:
        give_up_at = time.monotonic() + GIVE_UP_S
        while True:
            started = time.monotonic()
            try:
                result = await call()
            except BackendUnavailableError:
                self.failed_at = time.monotonic()
                self.failures += 1
                self.slowest_call_s = max(self.slowest_call_s, self.failed_at - started)
                if stop_on_failure:
                    return None
                if self.failed_at > give_up_at:
                    raise
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            self.slowest_call_s = max(self.slowest_call_s, time.monotonic() - started)
            if not stop_on_failure:
                self.failed_at = None
            return result


class Writers:
    """``WRITERS`` writers on their own sessions of one client, run as tasks."""

    def __init__(
        self,
        client: RedisClient,
        session_ids: list[str],
        *,
        session_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self.client = client
        self.all = [
            Writer(RedisSession(session_id, client, ttl=600, **(session_options or {})), **options)
            for session_id in session_ids
        ]
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, *, with_readers: bool = False) -> None:
        """Start the writers, and with ``with_readers`` a reader of each one's session."""
        self.tasks = [asyncio.create_task(writer.run(self.stop)) for writer in self.all]
        if with_readers:
            self.tasks += [asyncio.create_task(writer.read(self.stop)) for writer in self.all]

    async def until(self, condition: Callable[[], bool], failure: str) -> None:
        """Wait for ``condition``, raising a writer's error as soon as one ends early."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while not condition():
            for task in self.tasks:
                if task.done() and not self.stop.is_set():
                    await task
            assert time.monotonic() < deadline, f"{failure} within {STEP_TIMEOUT_S} s"
            await asyncio.sleep(0.01)

    async def each_acknowledges(self, more: int, when: str) -> None:
        wanted = [len(writer.acked) + more for writer in self.all]
        await self.until(
            lambda: all(len(w.acked) >= n for w, n in zip(self.all, wanted, strict=True)),
            f"not every writer had {more} more items acknowledged {when}",
        )

    async def finish(self, within_s: float = 10) -> None:
        """Stop the writers; each finishes its current call, which must not hang."""
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), within_s)

    async def cancel(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    @property
    def failures(self) -> int:
        return sum(writer.failures for writer in self.all)

    @property
    def slowest_call_s(self) -> float:
        return max(writer.slowest_call_s for writer in self.all)


def batches_so_far(client: RedisClient) -> Counter[int]:
    return Counter(coalescing_stats(client).batches)


def calls_in_shared_batches(client: RedisClient, since: Counter[int]) -> int:
    """Calls sent in batches of more than one since the ``batches_so_far`` snapshot ``since``."""
    now = coalescing_stats(client).batches
    return sum(size * (count - since[size]) for size, count in now.items() if size > 1)


def stored_numbers(node: RedisServer, key: str) -> list[int]:
    """The session's list as the server holds it, read without the library."""
    with node.client() as conn:
        payloads = conn.lrange(key, 0, -1)
    return [orjson.loads(payload)["n"] for payload in payloads]


def numbers(items: list[Any]) -> list[int]:
    return [item["n"] for item in items]


def no_retry_client(url: str, *, socket_timeout: float) -> redis_asyncio.Redis:
    """A client that shows every outage to the caller at once, so the test's retries run."""
    return redis_asyncio.from_url(
        url,
        socket_timeout=socket_timeout,
        # Loopback refuses a dead server's connections at once; redis-py also bounds closing
        # a connection by this timeout, which a busy machine can take half a second to do.
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 0),
    )


# -- cluster redirects ---------------------------------------------------------------------


def session_keys(session_id: str) -> tuple[str, str]:
    """The two keys of a session with the default prefix: its list and its companion hash."""
    return session_key(DEFAULT_KEY_PREFIX, session_id), meta_key(DEFAULT_KEY_PREFIX, session_id)


def asking_calls(node: RedisServer) -> int:
    """How many ASKING commands ``node`` has served: each one followed an ASK redirect."""
    with node.client() as conn:
        return int(conn.info("commandstats").get("cmdstat_asking", {}).get("calls", 0))


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("coalesce", "client_options"),
    [
        pytest.param(True, {"reinitialize_steps": 0}, id="coalesced"),
        # redis-py's cluster client closes every connection of every node on each 5th MOVED
        # it meets (``reinitialize_steps``), under the calls in flight on them: those must
        # fail as an outage the writer retries, not with the driver's AttributeError.
        pytest.param(True, {}, id="coalesced-reinitialising"),
    ],
)
async def test_batches_through_a_slot_migration_store_every_item_once_in_order(
    own_servers: ServersOfOneTest, coalesce: bool, client_options: dict[str, Any]
) -> None:
    """A slot moves (ASK, TRYAGAIN, then MOVED) under shared batches: every item once, in order.

    Most sessions share the migrated slot's hash tag, the rest live elsewhere, so one batch
    holds calls for the moving slot and for other nodes. Each writer reads its newest item
    back after every append.
    """
    cluster = own_servers.cluster("cluster", replicas_per_master=0)
    client = RedisCluster.from_url(
        cluster.url, socket_timeout=2, socket_connect_timeout=1, **client_options
    )
    moving = WRITERS * 3 // 4
    session_ids = [f"{{moving}}-{i}" for i in range(moving)]
    session_ids += [f"elsewhere-{i}" for i in range(WRITERS - len(session_ids))]
    writers = Writers(client, session_ids, session_options={"coalesce": coalesce}, check_reads=True)
    move = SlotMove.of(cluster, key_slot(writers.all[0].session.key.encode()))

    try:
        writers.start()
        await writers.each_acknowledges(3, "before the migration")
        before = batches_so_far(client)
        asked = asking_calls(move.target)
        await asyncio.to_thread(move.mark_migrating)
        await writers.each_acknowledges(3, "while the slot was marked migrating")
        # Half the moving sessions go, each with both its keys: the sessions are split between
        # two nodes, none is split itself (its appends would meet TRYAGAIN until the end).
        half = [writer.session.session_id for writer in writers.all[: moving // 2]]
        await asyncio.to_thread(
            move.move_named_keys,
            [key for session_id in half for key in session_keys(session_id)],
            per_call=10,
        )
        await writers.each_acknowledges(3, "while half the sessions had moved")
        await asyncio.to_thread(move.move_keys, per_call=10)
        await writers.each_acknowledges(3, "through ASK, every key moved, the slot not yet")
        assert asking_calls(move.target) > asked, "no call followed an ASK redirect"
        await asyncio.to_thread(move.hand_over)
        await writers.each_acknowledges(3, "after the migration (MOVED)")
        shared = calls_in_shared_batches(client, before)
        await writers.finish()

        assert shared > WRITERS or not coalesce, "the calls during the migration were not batched"
        assert move.slot in slots_of(move.target)
        for writer in writers.all:
            assert writer.acked == list(range(len(writer.acked)))
            assert numbers(await writer.stored()) == writer.acked
    finally:
        await writers.cancel()
        await client.aclose()


# -- restarts and black holes ----------------------------------------------------------------

RESTART_SOCKET_TIMEOUT_S = 1.0


@pytest.mark.parametrize(
    ("how", "config"),
    [
        pytest.param("restart", [], id="graceful-restart"),
        # fsync before every reply: a crash loses nothing acknowledged, and an append applied
        # just before it whose reply was lost is on disk for the retry to find.
        pytest.param("crash", ["appendfsync always"], id="crash-and-start"),
    ],
)
@pytest.mark.timeout(60)
async def test_restart_with_calls_queued_fails_them_promptly_and_retries_store_once(
    own_servers: ServersOfOneTest, how: str, config: list[str]
) -> None:
    """Restarted under 64 writers on one client: calls fail promptly or succeed; no doubles.

    The restarted server has lost its scripts: every append of the first batches answers
    NOSCRIPT and reloads the script for itself, while the reads in the same batches, one
    reader per session, get their items.
    """
    server = own_servers.redis("aof", appendonly=True, extra_config=config)
    client = no_retry_client(server.url, socket_timeout=RESTART_SOCKET_TIMEOUT_S)
    writers = Writers(client, [f"writer-{i}" for i in range(WRITERS)])

    def restart() -> None:
        if how == "crash":
            server.kill()
        server.restart()

    try:
        writers.start(with_readers=True)
        await writers.each_acknowledges(3, "before the restart")
        before = batches_so_far(client)
        await asyncio.to_thread(restart)
        await writers.each_acknowledges(3, "after the restart")
        shared = calls_in_shared_batches(client, before)
        await writers.finish()

        assert writers.failures > 0, "the restart met no call"
        with server.client() as conn:
            noscript = conn.info("errorstats").get("errorstat_NOSCRIPT", {}).get("count", 0)
        assert noscript > 0, "no call met the lost scripts"
        assert shared > WRITERS, "the calls around the restart were not batched"
        assert writers.slowest_call_s < RESTART_SOCKET_TIMEOUT_S + 1.5
        for writer in writers.all:
            assert stored_numbers(server, writer.session.key) == writer.acked
    finally:
        await writers.cancel()
        await client.aclose()


BLACK_HOLE_SOCKET_TIMEOUT_S = 1.0


async def test_black_holed_server_fails_every_queued_call_within_the_socket_timeout(
    standalone_server: RedisServer, key_prefix: str
) -> None:
    """A network that swallows everything: in-flight and queued calls all fail within one timeout.

    While 64 writers' batches hang in the black hole, 64 more callers arrive and queue
    behind them. The queued calls must fail with the batch that met the outage, not be sent
    into the same black hole after it and time out again. Each failed call, repeated once the
    network heals, is stored once.
    """
    async with FaultProxy("127.0.0.1", standalone_server.port) as proxy:
        client = no_retry_client(proxy.url, socket_timeout=BLACK_HOLE_SOCKET_TIMEOUT_S)

        def writers_named(name: str) -> Writers:
            return Writers(
                client,
                [f"{name}-{i}" for i in range(WRITERS)],
                session_options={"key_prefix": key_prefix},
                stop_on_failure=True,
            )

        writers, latecomers = writers_named("hole"), writers_named("late")
        everyone = writers.all + latecomers.all
        try:
            writers.start()
            await writers.each_acknowledges(2, "before the black hole")
            before = batches_so_far(client)
            await writers.each_acknowledges(3, "just before the black hole")
            shared = calls_in_shared_batches(client, before)
            proxy.black_hole()
            holed_at = time.monotonic()
            await asyncio.sleep(BLACK_HOLE_SOCKET_TIMEOUT_S / 10)
            latecomers.start()
            # Within any bound at all: a hang would stop the test here.
            await asyncio.wait_for(
                asyncio.gather(*writers.tasks, *latecomers.tasks), 4 * BLACK_HOLE_SOCKET_TIMEOUT_S
            )

            failed_within = [w.failed_at - holed_at for w in everyone if w.failed_at]
            assert len(failed_within) == len(everyone), "a call succeeded through the black hole"
            assert shared > WRITERS, "the calls before the black hole were not batched"
            # One socket timeout, plus what 128 failures cost the event loop; a queued call
            # sent into the hole after the first batch failed would take a second timeout.
            assert max(failed_within) < BLACK_HOLE_SOCKET_TIMEOUT_S * 1.5, sorted(failed_within)

            proxy.heal()
            await asyncio.wait_for(asyncio.gather(*(w.retry_failed() for w in everyone)), 10)
            for writer in everyone:
                assert stored_numbers(standalone_server, writer.session.key) == writer.acked
        finally:
            await writers.cancel()
            await latecomers.cancel()
            proxy.heal()
            for writer in everyone:
                await writer.session.clear_session()
            await client.aclose()
