"""Send the session calls that pile up on one client as one pipeline.

A service serving many conversations at once calls its client from many coroutines. Each
call costs the client far more CPU (packing, a connection from the pool, parsing, the event
loop's wake-ups) than the server spends on it, so under concurrency the client, not Redis, is
the limit. A call goes straight out, sent by its caller, while fewer than two requests of its
client are in flight and no batch is being sent, so a lone caller pays nothing. Any other call
waits in a queue, and short-lived sender tasks send what is queued as non-transactional
pipelines, one connection each, up to three batches at once; senders free to send share the
queue evenly, so the batches overlap instead of queueing behind one another. A sender ends
when the queue is empty.

Every call keeps its own outcome. Each reply is read on its own, so a reply error (WRONGTYPE,
NOPERM, NOSCRIPT) belongs to its call alone; a lost connection fails
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

import redis.asyncio as redis_asyncio
import redis.exceptions
from redis.asyncio.cluster import RedisCluster
from redis.client import NEVER_DECODE

if TYPE_CHECKING:
    from ._driver import RedisClient

__all__ = ["Coalescer", "CoalescingStats", "coalescer_for", "coalescing_stats"]

# Replies are always bytes, whatever decode_responses says (see ``RedisSession._command``).
_NEVER_DECODE = {NEVER_DECODE: True}
_OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# A call goes straight out while fewer requests than this are in flight and no batch is being
# sent. Two, not one: two coroutines taking turns run faster on two connections (6,500 turns/s)
# than through batches of one (4,300).
_DIRECT_BELOW = 2
# Batches in flight at once: the client packs one and reads another while the server
# answers a third.
_SENDERS = 3
# Free senders share the queue, each taking at least this many calls: batches of equal size
# keep the client and the server busy at once; a batch of one or two is not worth a sender.
_SHARE_AT_LEAST = 8


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
    """The queue and the senders of one client in one event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = 0  # direct calls and batches of this coalescer on the wire
        self._queue: list[_Call] = []
        self._senders = 0
        self._sending = 0
        self._tasks: set[asyncio.Task[None]] = set()  # asyncio keeps only weak references
        self._direct = 0
        self._batches: Counter[int] = Counter()

    @property
    def stats(self) -> CoalescingStats:
        """What was sent so far, as a snapshot."""
        return CoalescingStats(self._direct, self._batches.copy())

    def start_alone(self) -> bool:
        """Count a call that goes straight out, or return False: it must join a batch.

        The caller sends a call counted here itself, and calls `end_alone` when it is done.
        """
        if self._in_flight < _DIRECT_BELOW and not self._senders:
            self._direct += 1
            self._in_flight += 1
            return True
        return False

    def end_alone(self) -> None:
        self._in_flight -= 1

    async def queued(self, client: RedisClient, args: tuple[Any, ...]) -> Any:
        """Run one command in the next batch; its reply in bytes, its error as redis-py raises it.

        A cancellation cancels the call's future: the sender then leaves it out of a batch not
        yet sent, and discards its reply if it was.
        """
        return await self._enqueue(client, args)

    def _enqueue(self, client: RedisClient, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a client that follows its user into a new event loop
            self._enter(loop)
        call = _Call(args, loop.create_future())
        self._queue.append(call)
        if self._senders < _SENDERS:
            self._senders += 1
            task = loop.create_task(self._send_queued(client, loop))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return call.future

    def _enter(self, loop: asyncio.AbstractEventLoop) -> None:
        # A queue and senders belong to one loop; whatever an old loop left is dead with it.
        self._loop = loop
        self._queue = []
        self._senders = 0
        self._tasks = set()

    async def _send_queued(self, client: RedisClient, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self._queue:
                free = max(1, self._senders - self._sending)
                share = max(_SHARE_AT_LEAST, -(-len(self._queue) // free))
                taken, self._queue = self._queue[:share], self._queue[share:]
                batch = [call for call in taken if not call.future.done()]
                if batch:
                    self._sending += 1
                    try:
                        await self._send(client, batch)
                    finally:
                        self._sending -= 1
        except BaseException as exc:  # cancelled with its loop: nobody will send the rest
            if self._loop is loop:
                _fail(self._queue, _as_error(exc))
                self._queue = []
            raise
        finally:
            if self._loop is loop:
                self._senders -= 1

    async def _send(self, client: RedisClient, batch: list[_Call]) -> None:
        self._batches[len(batch)] += 1
        self._in_flight += 1
        try:
            if len(batch) == 1:  # a pipeline of one costs more than the call
                replies = [await _reply(client.execute_command(*batch[0].args, **_NEVER_DECODE))]
            elif isinstance(client, RedisCluster):
                # Grouped by node, with MOVED and ASK followed per call, by redis-py.
                pipe = client.pipeline(transaction=False)
                for call in batch:
                    pipe.execute_command(*call.args, **_NEVER_DECODE)
                replies = await pipe.execute(raise_on_error=False)
            else:
                replies = await _execute_batch(client, [call.args for call in batch])
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


async def _execute_batch(client: redis_asyncio.Redis, commands: list[tuple[Any, ...]]) -> list[Any]:
    """Send ``commands`` on one connection of the client's pool, read every reply.

    What ``pipeline(transaction=False).execute(raise_on_error=False)`` does, without its
    per-command packing and bookkeeping, which cost a third of a batch's CPU. The connection's
    retry policy resends after a connection error, as it would a pipeline or a single command,
    but only the commands whose replies were not read: one answered before the connection
    broke is not run twice.
    """
    pool = client.connection_pool
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        packed = [_pack(args, connection.encoder) for args in commands]
        callbacks = client.response_callbacks
        replies: list[Any] = []

        async def exchange() -> list[Any]:
            await connection.send_packed_command(b"".join(packed[len(replies) :]))
            for args in commands[len(replies) :]:
                try:
                    reply = await connection.read_response(disable_decoding=True)
                except redis.exceptions.ResponseError as exc:
                    replies.append(exc)
                    continue
                callback = callbacks.get(args[0])
                replies.append(reply if callback is None else callback(reply))
            return replies

        async def disconnect(_error: Exception) -> None:
            await connection.disconnect()

        return await connection.retry.call_with_retry(exchange, disconnect)  # type: ignore[no-any-return]
    finally:
        await pool.release(connection)


def _pack(args: tuple[Any, ...], encoder: Any) -> bytes:
    """One command in the Redis protocol, as redis-py would pack it."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if type(arg) is str:
            arg = arg.encode(encoder.encoding, encoder.encoding_errors)
        elif type(arg) is int:
            arg = b"%d" % arg
        elif type(arg) is not bytes:
            arg = bytes(encoder.encode(arg))  # anything else redis-py encodes, or refuses
        parts += (b"$%d\r\n" % len(arg), arg, b"\r\n")
    return b"".join(parts)


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
    """Return what the sessions on ``client`` sent alone and in batches so far (a snapshot)."""
    return coalescer_for(client).stats
