"""Never send a command on a connection of another event loop.

A redis-py asyncio client keeps its connections open between calls, each bound to the event
loop it was opened in. Scripts and sync web frameworks that run each request in its own
``asyncio.run`` reach a second loop with connections of the first, now closed: redis-py
writes the command on the old socket, the server applies it, and reading the reply raises
``RuntimeError('Event loop is closed')``. The caller cannot know the write happened.

``in_running_loop`` is checked before every command (one dictionary lookup), and
``enter_running_loop`` does the work when a client is first seen in a loop. A client the
library built (``from_url``) is closed when that loop shuts down, so the next loop opens
connections of its own (and if a loop was closed without shutting down its generators, the
next one gives up the old connections); a client the caller owns is refused with
`EventLoopError` before anything is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import weakref
from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis_asyncio
from redis.asyncio.cluster import RedisCluster

from ..errors import EventLoopError

if TYPE_CHECKING:
    from typing import TypeAlias

    # ``_driver`` names this type for everyone else; it imports this module, not the reverse.
    RedisClient: TypeAlias = redis_asyncio.Redis | RedisCluster

__all__ = ["enter_running_loop", "in_running_loop", "own_client"]

# The loop each client was last checked in, by id(client): the check on every command is
# one lookup in a plain dict (a WeakKeyDictionary costs several times more). The weak
# reference proves the id still names that client, and its callback drops the entry.
_checked_in: dict[int, tuple[weakref.ref[Any], asyncio.AbstractEventLoop]] = {}
# Clients built by the library, which it may reconnect in a new loop.
_owned: weakref.WeakSet[Any] = weakref.WeakSet()
# Per owned client, the generator that closes it when its loop shuts down.
_closers: weakref.WeakKeyDictionary[Any, tuple[AsyncGenerator[None, None], dict[str, bool]]] = (
    weakref.WeakKeyDictionary()
)


def own_client(client: RedisClient) -> None:
    """Mark ``client`` as built by the library: it follows the running loop."""
    _owned.add(client)


def in_running_loop(client: RedisClient, loop: asyncio.AbstractEventLoop) -> bool:
    """Return whether ``client`` was checked in ``loop``, the running one, already."""
    entry = _checked_in.get(id(client))
    return entry is not None and entry[1] is loop and entry[0]() is client


def _check_in(client: RedisClient, loop: asyncio.AbstractEventLoop) -> None:
    key = id(client)
    _checked_in[key] = (weakref.ref(client, lambda _: _checked_in.pop(key, None)), loop)


async def enter_running_loop(client: RedisClient) -> None:
    """Make sure ``client`` sends nothing on a connection of another event loop.

    Raises:
        EventLoopError: The caller's client holds connections of another event loop.
    """
    loop = asyncio.get_running_loop()
    if in_running_loop(client, loop):
        return
    stale = [conn for conn in _connections(client) if _loop_of(conn) not in (None, loop)]
    if stale:
        if client not in _owned:
            raise EventLoopError(
                "the Redis client has connections opened in another event loop, which this "
                "one cannot use; create (and close) the client inside each asyncio.run(), or "
                "use RedisSession.from_url(), whose client follows the running loop"
            )
        for conn in stale:
            await _abandon(conn)
        _renew_primitives(client, loop)
    _check_in(client, loop)
    if client in _owned:
        await _close_at_loop_shutdown(client)


async def _closer(
    client_ref: weakref.ref[Any], state: dict[str, bool]
) -> AsyncGenerator[None, None]:
    """Close the client when its loop shuts down; a generator, for ``shutdown_asyncgens()``."""
    try:
        yield
    finally:
        client = client_ref()
        if client is not None and not state["abandoned"]:
            with contextlib.suppress(Exception):  # closing is best effort at shutdown
                await client.aclose()


async def _close_at_loop_shutdown(client: RedisClient) -> None:
    """Close an owned client's connections in their own loop, when ``asyncio.run()`` ends.

    ``asyncio.run()`` (like any loop shut down with ``shutdown_asyncgens()``) closes the
    asynchronous generators started in it: one started here closes the client there, so
    the next loop finds no connection of this one. A client closed this way reconnects on
    its next command.
    """
    previous = _closers.pop(client, None)
    if previous is not None:
        _forget(*previous)
    state = {"abandoned": False}
    closer = _closer(weakref.ref(client), state)
    await closer.asend(None)  # started in this loop: the loop closes it at shutdown
    _closers[client] = (closer, state)


def _forget(closer: AsyncGenerator[None, None], state: dict[str, bool]) -> None:
    """Finish the closer of a loop that was closed without closing it, without that loop."""
    state["abandoned"] = True
    finishing = closer.aclose()
    with contextlib.suppress(StopIteration, RuntimeError):
        finishing.send(None)  # the finally awaits nothing once abandoned
    finishing.close()


def _connections(client: RedisClient) -> Iterator[Any]:
    if isinstance(client, RedisCluster):
        manager = client.nodes_manager
        # Startup nodes are objects of their own, equal (by name) to those of the cache.
        nodes = {id(node): node for node in manager.startup_nodes.values()}
        nodes.update((id(node), node) for node in manager.nodes_cache.values())
        for node in nodes.values():
            yield from node._connections
        return
    if client.connection is not None:
        yield client.connection
    pool = client.connection_pool
    yield from getattr(pool, "_available_connections", ())
    yield from getattr(pool, "_in_use_connections", ())


def _loop_of(conn: Any) -> object:
    """The loop a connection's streams belong to; None when it is not connected."""
    return getattr(getattr(conn, "_reader", None), "_loop", None)


async def _abandon(conn: Any) -> None:
    """Forget a connection's streams of a dead loop, so the next command reconnects.

    The old loop cannot close its transport any more (closing schedules a callback on it),
    so the socket is shut down here: the server drops the connection at once.
    """
    writer = conn._writer
    sock = None if writer is None else writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    # disconnect() resets the connection's state, then fails to schedule the close on the
    # closed loop: that RuntimeError is expected.
    with contextlib.suppress(RuntimeError, OSError):
        await conn.disconnect(nowait=True)


def _renew_primitives(client: RedisClient, loop: asyncio.AbstractEventLoop) -> None:
    """Replace the client's locks that belong to another loop or are held by a dead task."""
    holders: list[tuple[object, str]] = [(client, "_lock"), (client, "_usage_lock")]
    if isinstance(client, RedisCluster):
        holders.append((client.nodes_manager, "_initialize_lock"))
    elif isinstance(client, redis_asyncio.Redis):
        pool = client.connection_pool
        holders += [(client, "_single_conn_lock"), (pool, "_lock"), (pool, "_condition")]
    for holder, name in holders:
        primitive = getattr(holder, name, None)
        if not isinstance(primitive, (asyncio.Lock, asyncio.Condition)):
            continue
        bound = getattr(primitive, "_loop", None)
        if bound not in (None, loop) or primitive.locked():
            setattr(holder, name, type(primitive)())
