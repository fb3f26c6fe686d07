"""Every exception the library raises, in one hierarchy.

```
SessionError                     base of everything we raise
├── ConfigurationError           bad URL, option or argument (also a ValueError)
├── MissingDependencyError       an optional extra is not installed (also an ImportError)
├── SessionClosedError           the session was used after close() (also a RuntimeError)
├── SessionExistsError           a fork or import would overwrite a session
├── EventLoopError               a client's connections belong to another event loop
├── ItemEncodeError              an item cannot be stored as JSON (also a TypeError)
├── ItemDecodeError              a stored payload cannot be decoded (also a ValueError)
└── BackendError                 the store failed; __cause__ holds the driver error
    ├── BackendUnavailableError  connection refused, timeout, failover, throttling
    ├── ConflictError            a conditional write lost to concurrent writers
    ├── ReplicationError         fewer replicas than required acknowledged a write in time
    └── WrongKeyTypeError        the session's key holds another type of value
```

A driver error is raised as a subclass of both our class and the driver's own class, so
``except redis.exceptions.ConnectionError`` and ``except BackendUnavailableError`` both catch a
refused connection: retry policies written for the driver keep working unchanged.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "EventLoopError",
    "ItemDecodeError",
    "ItemEncodeError",
    "MissingDependencyError",
    "ReplicationError",
    "SessionClosedError",
    "SessionError",
    "SessionExistsError",
    "WrongKeyTypeError",
]


class SessionError(Exception):
    """Base class of every error raised by openai-agents-session."""


class ConfigurationError(SessionError, ValueError):
    """Raised when a URL, an option or an argument is not valid."""


class MissingDependencyError(SessionError, ImportError):
    """Raised when a backend's optional dependency is not installed."""


class SessionClosedError(SessionError, RuntimeError):
    """Raised when a session is used after ``close()`` released its client.

    It is also a ``RuntimeError``, what the SDK's own sessions raise in this case.
    """


class SessionExistsError(SessionError):
    """Raised when a fork or import would overwrite an existing session without ``replace``."""


class EventLoopError(SessionError, RuntimeError):
    """Raised before anything is sent when the caller's client has connections of another loop.

    A redis-py asyncio client's connections belong to the event loop that opened them. A
    client kept between ``asyncio.run()`` calls reaches the next loop with connections of the
    closed one; sending on them would apply a command whose reply can never be read.
    """


class ItemEncodeError(SessionError, TypeError):
    """Raised when an item cannot be stored as JSON; nothing of its batch is stored."""


class ItemDecodeError(SessionError, ValueError):
    """Raised when a stored payload is not a JSON object."""


class BackendError(SessionError):
    """Raised when the store fails; ``__cause__`` holds the driver's error.

    Attributes:
        reason: Why a connection failed, in a few words (``"Connection refused"``), when the
            error is a failure to connect; None otherwise. The message stays the driver's.
    """

    reason: str | None = None


class BackendUnavailableError(BackendError):
    """Raised when the store cannot be reached: refused connection, timeout, failover."""


class ConflictError(BackendError):
    """Raised when a conditional write lost to concurrent writers more often than allowed.

    Nothing of the failed call was applied; retrying the same call is safe, and an append
    retried with the same items (or the same ``batch_id``) is stored at most once.

    Attributes:
        reasons: The store's reason for each action of a cancelled transaction, in order
            (``"ConditionalCheckFailed"``, ``"TransactionConflict"``, ``"None"``); empty when
            the store gave none.
    """

    reasons: tuple[str, ...] = ()


class ReplicationError(BackendError):
    """Raised when fewer replicas than required acknowledged a write within the timeout.

    The write was applied on the primary and stays there; what failed is the promise that it
    would survive the primary's loss. Retrying the same call does not store it twice.

    Attributes:
        acknowledged: How many replicas acknowledged the write.
        required: How many were required.
    """

    def __init__(self, key: str, acknowledged: int, required: int, timeout_ms: int) -> None:
        super().__init__(
            f"append to {key!r} was applied on the primary but acknowledged by {acknowledged} "
            f"of {required} required replicas within {timeout_ms} ms"
        )
        self.acknowledged = acknowledged
        self.required = required


class WrongKeyTypeError(BackendError):
    """Raised when the session's key holds a value of another type; the key is left untouched.

    Attributes:
        key: The key that holds the foreign value.
        key_type: The type the store reports for it, such as ``"hash"``.
    """

    def __init__(self, key: str, key_type: str, expected: str) -> None:
        super().__init__(
            f"key {key!r} holds a {key_type}, expected a {expected} or no key; "
            "it was left untouched"
        )
        self.key = key
        self.key_type = key_type
