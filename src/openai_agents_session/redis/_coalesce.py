"""Send the session calls that pile up on one client as one pipeline.

A service serving many conversations at once calls its client from many coroutines. Each
call costs the client far more CPU (packing, a connection from the pool, parsing, the event
loop's wake-ups) than the server spends on it, so under concurrency the client, not Redis, is
the limit. A `Coalescer` sends a call straight out when nothing else of its client is in
flight, so a lone caller pays nothing. A call that arrives while a request is in flight waits
in a queue instead, and one short-lived sender task sends everything queued as one
non-transactional pipeline (``pipeline(transaction=False)``), one batch at a time, until the
queue is empty; then it ends.

Every call keeps its own outcome. The pipeline is read with ``raise_on_error=False``, so a
reply error (WRONGTYPE, NOPERM, NOSCRIPT) belongs to its call alone; a lost connection fails
the calls of that pipeline, and the calls queued behind it, with the same error, as their own
requests would have failed. A cluster client's pipeline groups the calls by node and follows
MOVED and ASK per call. A caller cancelled before its batch is sent is left out of it; one
cancelled after keeps the outcome unknown, exactly as a cancelled direct call.

Only calls that may share a connection with others come here: no blocking command, and no
WAIT, which measures the writes of its own connection (see ``RedisSession``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.exceptions
from redis.client import NEVER_DECODE

if TYPE_CHECKING:
    from ._driver import RedisClient

__all__ = ["Coalescer", "CoalescingStats", "coalescer_for", "coalescing_stats"]

# Replies are always bytes, whatever decode_responses says (see ``RedisSession._command``).
_NEVER_DECODE = {NEVER_DECODE: True}
_OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@dataclass
class CoalescingStats:
    """What a client's coalescer did: how many calls went out alone, and the batches sent.

    Attributes:
        direct: Calls sent on their own because nothing else was in flight.
        batches: Batch size -> how many batches of that size were sent.
    """

    direct: int = 0
    batches: Counter[int] = field(default_factory=Counter)

    @property
    def coalesced(self) -> int:
        """Calls that waited for a batch."""
        return sum(size * count for size, count in self.batches.items())


class _Call:
    __slots__ = ("args", "future")

    def __init__(self, args: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self.args = args
        self.future = future


class Coalescer:
    """The queue and the sender of one client in one event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = 0  # direct calls and batches of this coalescer on the wire
        self._queue: list[_Call] = []
        self._sender: asyncio.Task[None] | None = None
        self.stats = CoalescingStats()

    async def execute(self, client: RedisClient, *args: Any) -> Any:
        """Run one command on ``client``; its reply in bytes, its errors as redis-py raises them.

        Sent at once when nothing else is in flight, else in the next batch.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a client that follows its user into a new event loop
            self._enter(loop)
        if not self._in_flight and self._sender is None:
            self.stats.direct += 1
            self._in_flight += 1
            try:
                return await client.execute_command(*args, **_NEVER_DECODE)
            finally:
                self._in_flight -= 1
        call = _Call(args, loop.create_future())
        self._queue.append(call)
        if self._sender is None:
            self._sender = loop.create_task(self._send_queued(client))
        # A cancellation cancels the future: the sender then leaves the call out of a batch
        # not yet sent, and discards its reply if it was.
        return await call.future

    def _enter(self, loop: asyncio.AbstractEventLoop) -> None:
        # Whatever the old loop left is dead with it.
        self._loop = loop
        self._in_flight = 0
        self._queue = []
        self._sender = None

    async def _send_queued(self, client: RedisClient) -> None:
        try:
            while self._queue:
                batch = [call for call in self._queue if not call.future.done()]
                self._queue = []
                if batch:
                    await self._send(client, batch)
        except BaseException as exc:  # cancelled with its loop: nobody will send the rest
            _fail(self._queue, _as_error(exc))
            self._queue = []
            raise
        finally:
            self._sender = None

    async def _send(self, client: RedisClient, batch: list[_Call]) -> None:
        self.stats.batches[len(batch)] += 1
        self._in_flight += 1
        try:
            if len(batch) == 1:  # a pipeline of one costs more than the call
                replies = [await _reply(client.execute_command(*batch[0].args, **_NEVER_DECODE))]
            else:
                pipe = client.pipeline(transaction=False)
                for call in batch:
                    pipe.execute_command(*call.args, **_NEVER_DECODE)
                replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:
            error = _as_error(exc)
            _fail(batch, error)
            if isinstance(error, _OUTAGE):
                # The calls queued meanwhile would wait for their own timeout on a server that
                # just failed: they fail now, as promptly as their own requests would have.
                _fail(self._queue, error)
                self._queue = []
            if error is not exc:
                raise
            return
        finally:
            self._in_flight -= 1
        for call, reply in zip(batch, replies, strict=True):
            if call.future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                call.future.set_exception(reply)
            else:
                call.future.set_result(reply)


async def _reply(command: Any) -> Any:
    """Await one command, returning its error as pipelines do with ``raise_on_error=False``."""
    try:
        return await command
    except redis.exceptions.ResponseError as exc:
        return exc


def _as_error(exc: BaseException) -> Exception:
    """The error a caller gets when the sender itself was stopped (its loop is closing)."""
    if isinstance(exc, Exception):
        return exc
    error = redis.exceptions.ConnectionError("the request was interrupted")
    error.__cause__ = exc
    return error


def _fail(calls: list[_Call], exc: Exception) -> None:
    for call in calls:
        if not call.future.done():
            call.future.set_exception(exc)


_coalescers: weakref.WeakKeyDictionary[RedisClient, Coalescer] = weakref.WeakKeyDictionary()


def coalescer_for(client: RedisClient) -> Coalescer:
    """Return ``client``'s coalescer, shared by every session on it."""
    coalescer = _coalescers.get(client)
    if coalescer is None:
        coalescer = _coalescers[client] = Coalescer()
    return coalescer


def coalescing_stats(client: RedisClient) -> CoalescingStats:
    """Return what the sessions on ``client`` sent alone and in batches so far."""
    return coalescer_for(client).stats
