"""Map redis-py's errors onto the library's hierarchy at one boundary.

A mapped error is an instance of both our class and the driver's own class (a subclass made
once per driver class), so code that catches ``redis.exceptions.ConnectionError`` keeps
working and code that catches `openai_agents_session.errors.SessionError` sees
everything. ``asyncio.CancelledError`` is never a driver error and passes through untouched.
"""

from __future__ import annotations

import os
import re

from redis.exceptions import (
    AskError,
    AuthenticationError,
    AuthorizationError,
    BusyLoadingError,
    ClusterError,
    ConnectionError,
    MovedError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    TimeoutError,
    TryAgainError,
)

from ..errors import BackendError, BackendUnavailableError

__all__ = ["DRIVER_ERRORS", "connection_reason", "map_driver_error"]

DRIVER_ERRORS = (RedisError, RedisClusterException)

# The store is there but cannot serve right now: down, loading, failing over, resharding
# (TRYAGAIN, or redirected until the client gave up: ClusterError), or replaced by a replica
# that is not yet promoted.
_UNAVAILABLE = (
    ConnectionError,
    TimeoutError,
    BusyLoadingError,
    ClusterError,
    TryAgainError,
    ReadOnlyError,
)


# redis-py files these under ConnectionError, but waiting does not fix a wrong password or a
# user the server refuses: they are no passing outage, so no retry policy should repeat them.
_MISCONFIGURED = (AuthenticationError, AuthorizationError)

# redis-py words a failed connect as "Error 111 connecting to host:port. <reason>."
_CONNECT_ERRNO = re.compile(r"Error (-?\d+) connecting to \S+\.(?:\s+(?P<rest>.*))?$", re.DOTALL)


def connection_reason(exc: BaseException) -> str | None:
    """Return why a connection failed (``Connection refused``), or None for other errors."""
    message = str(exc).strip()
    if isinstance(exc, RedisClusterException) and "cannot be connected" in message:
        message = message.partition(":")[2].strip() or message
    elif not isinstance(exc, ConnectionError | TimeoutError):
        return None
    match = _CONNECT_ERRNO.search(message)
    if match is not None:
        errno = int(match.group(1))
        rest = (match.group("rest") or "").strip()
        if errno > 0 and (not rest or rest.startswith("Connect call failed")):
            return os.strerror(errno)
        message = rest or message
    return message.rstrip(".") or type(exc).__name__


_mapped_classes: dict[type[Exception], type[BackendError]] = {}


def _mapped_class(driver_class: type[Exception]) -> type[BackendError]:
    mapped = _mapped_classes.get(driver_class)
    if mapped is None:
        unavailable = issubclass(driver_class, _UNAVAILABLE) and not issubclass(
            driver_class, _MISCONFIGURED
        )
        base = BackendUnavailableError if unavailable else BackendError
        mapped = type(
            driver_class.__name__,
            (base, driver_class),
            {"__module__": __name__, "__doc__": f"{driver_class.__name__} raised by the store."},
        )
        _mapped_classes[driver_class] = mapped
    return mapped


def _redirection_message(exc: AskError) -> str:
    # A cluster client follows MOVED and ASK itself; only a plain client shows them to us, and
    # redis-py's message is then just "slot host:port".
    reply = "MOVED" if isinstance(exc, MovedError) else "ASK"
    return (
        f"{reply} {exc.args[0] if exc.args else ''}: the server is a Redis Cluster node and "
        "the client is not a cluster client; use redis.asyncio.cluster.RedisCluster, or "
        "from_url(..., cluster=True)"
    )


def map_driver_error(exc: Exception) -> BackendError:
    """Return ``exc`` as an instance of our class and of its own class, with its attributes.

    The message is the driver's, except for a cluster redirection (MOVED, ASK) reaching a
    plain client: that message says to connect in cluster mode.

    The caller raises the result ``from exc``, so ``__cause__`` holds the original.
    """
    mapped_class = _mapped_class(type(exc))
    args = (_redirection_message(exc),) if isinstance(exc, AskError) else exc.args
    # Skip the driver's __init__: some parse their arguments (AskError) and must not run twice.
    mapped = mapped_class.__new__(mapped_class, *args)
    mapped.__dict__.update(exc.__dict__)
    mapped.reason = connection_reason(exc)
    return mapped
