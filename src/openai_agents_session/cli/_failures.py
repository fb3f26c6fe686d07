"""Turn what went wrong into the one line the command line prints before exiting with 1.

Only the library's own errors are handled here: each backend maps its driver's errors onto
`openai_agents_session.errors` at its boundary, and tells why a connection failed in
``BackendError.reason``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .._urls import PLAIN_SCHEME_OF_TLS
from ..errors import BackendError, SessionError

__all__ = ["CommandError", "about", "connecting_to", "describe"]


class CommandError(Exception):
    """A failure the command explains in one sentence; the process exits with 1."""


@contextlib.contextmanager
def connecting_to(label: str) -> Iterator[None]:
    """Turn a failure to connect inside the block into a CommandError naming ``label``."""
    try:
        yield
    except BackendError as exc:
        if exc.reason is None:
            raise
        reason = exc.reason + _tls_hint(label, exc.reason)
        raise CommandError(f"cannot connect to {label}: {reason}") from exc


def _tls_hint(label: str, reason: str) -> str:
    """Say what to try when a TLS URL's handshake failed: most often, the server has no TLS."""
    plain = PLAIN_SCHEME_OF_TLS.get(label.partition("://")[0].lower())
    handshake = any(word in reason for word in ("Timeout connecting", "SSL", "wrong version"))
    if plain is None or not handshake:
        return ""
    return f"; if the server does not speak TLS, use {plain}://"


@contextlib.contextmanager
def about(label: str) -> Iterator[None]:
    """Name ``label`` in any library error inside the block but a missing extra.

    Used while a store is opened: whatever fails then (a bad URL or prefix, a server that
    refuses the database index, a cluster node named by a plain URL) is about that target.
    """
    with connecting_to(label):
        try:
            yield
        except SessionError as exc:
            if isinstance(exc, ImportError) or (isinstance(exc, BackendError) and exc.reason):
                raise
            raise CommandError(f"{label}: {exc}") from exc


def describe(exc: BaseException) -> str:
    """Return the one-line message for an error that ends a command."""
    if isinstance(exc, CommandError | SessionError):
        reason = exc.reason if isinstance(exc, BackendError) else None
        text = f"cannot connect to the store: {reason}" if reason is not None else str(exc)
        return " ".join(text.split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename!r}" if exc.filename is not None else ""
        return f"cannot use{where}: {exc.strerror}"
    return f"unexpected {type(exc).__name__}: {exc}; run again with --debug for the traceback"
