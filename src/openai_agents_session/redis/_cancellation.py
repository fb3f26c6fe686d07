"""Deliver a task's cancellation that the driver swallowed while a command was in flight.

redis-py sends every command through ``asyncio.wait_for`` when the connection has a
``socket_timeout`` (``Connection.send_packed_command`` in ``redis/asyncio/connection.py``;
redis-py 8 sets a 5 s timeout by default). On Python 3.10 and 3.11, ``wait_for`` returns
the result of a write that finished in the same turn as a cancellation, and the
cancellation is lost: the caller's loop runs on, and ``asyncio.timeout`` or a disconnected
client's cancellation never fires. Python 3.12 rewrote ``wait_for`` and is not affected.

Where ``Task.cancelling()`` exists (3.11+), the guard compares the task's count of
cancellation requests before and after the call: one request more means a cancellation
arrived, delivered or not, and CancelledError is raised. That costs two method calls. A
cancellation requested while the task was running, not yet delivered, is delivered before
the call, at a suspension of the guard's own (see `cancellation_requests`). On
3.10 the call runs in a task of its own that the caller awaits through ``asyncio.shield``:
the caller's cancellation then interrupts the caller's own wait, which nothing swallows.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["await_cancellable", "await_shielded", "cancellation_requests"]

_T = TypeVar("_T")


async def await_shielded(
    awaitable: Awaitable[_T], task: asyncio.Task[Any] | None = None, requested: int = 0
) -> _T:
    """Await ``awaitable`` in a task of its own, so the caller's cancellation cannot be lost.

    When the caller is cancelled, the inner task is cancelled too and finishes on its own:
    redis-py then drops the connection of an interrupted command, never reuses it.
    ``task`` and ``requested`` are not needed here.
    """
    inner = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        inner.cancel()
        inner.add_done_callback(_retrieve)
        raise


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark the outcome of an abandoned call as retrieved: the caller was cancelled."""
    if not task.cancelled():
        task.exception()


if sys.version_info >= (3, 11):

    def cancellation_requests(task: asyncio.Task[Any] | None) -> int:
        """Return the task's count of cancellation requests not taken back.

        The caller suspends once when it is not zero: a task cancelled while it was running
        (a SIGINT handler runs between two bytecodes of the task) gets the cancellation at
        its next suspension, which may be the one inside redis-py that swallows it, so a
        pending cancellation must be delivered first. The count read before that suspension
        is the baseline: a request arriving later makes the count exceed it.
        """
        return 0 if task is None else task.cancelling()

    async def await_counting(
        awaitable: Awaitable[_T], task: asyncio.Task[Any] | None, requested: int
    ) -> _T:
        """Await ``awaitable``; raise CancelledError if the task was cancelled meanwhile.

        Args:
            awaitable: The driver call.
            task: The current task.
            requested: The task's count of cancellation requests before the call, from
                `cancellation_requests`.
        """
        if task is None:  # not in a task: nothing can be cancelled
            return await awaitable
        try:
            result = await awaitable
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if task.cancelling() > requested:
                # The cancellation came first; whatever failed after it is its consequence.
                raise asyncio.CancelledError() from exc
            raise
        if task.cancelling() > requested:
            raise asyncio.CancelledError()
        return result

    await_cancellable = await_counting
else:

    def cancellation_requests(task: asyncio.Task[Any] | None) -> int:
        """Return 0: the shielded guard needs no baseline."""
        return 0

    await_cancellable = await_shielded
