"""Turn what went wrong into the one line the command line prints before exiting with 1."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

from redis.exceptions import ConnectionError, RedisClusterException, RedisError, TimeoutError

from ..errors import SessionError
from ._urls import redact_url

__all__ = ["CommandError", "connecting_to", "connection_failure", "describe"]


class CommandError(Exception):
    """A failure the command explains in one sentence; the process exits with 1."""


# redis-py words a failed connect as "Error 111 connecting to host:port. <reason>."
_CONNECT_ERRNO = re.compile(r"Error (-?\d+) connecting to \S+\.(?:\s+(?P<rest>.*))?$", re.DOTALL)


def connection_failure(exc: BaseException) -> str | None:
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


@contextlib.contextmanager
def connecting_to(url: str) -> Iterator[None]:
    """Turn a connection failure inside the block into a CommandError naming ``url``."""
    try:
        yield
    except (RedisError, RedisClusterException) as exc:
        reason = connection_failure(exc)
        if reason is None:
            raise
        raise CommandError(f"cannot connect to {redact_url(url)}: {reason}") from exc


def describe(exc: BaseException) -> str:
    """Return the one-line message for an error that ends a command."""
    if isinstance(exc, CommandError | SessionError | RedisError | RedisClusterException):
        reason = connection_failure(exc)
        text = f"cannot connect to Redis: {reason}" if reason is not None else str(exc)
        return " ".join(text.split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename!r}" if exc.filename is not None else ""
        return f"cannot use{where}: {exc.strerror}"
    return f"unexpected {type(exc).__name__}: {exc}; run again with --debug for the traceback"
