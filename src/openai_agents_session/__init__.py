"""Production session storage for the OpenAI Agents SDK.

Backends are imported on first use, so ``import openai_agents_session`` needs none of the
optional drivers; a missing one raises an ImportError that names the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._optional import lazy_exports
from ._store import (
    OwnedSession,
    OwnerPage,
    SessionInfo,
    SessionMetadata,
    SessionRecord,
    SessionStore,
)
from ._urls import open_store
from .errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    EventLoopError,
    ItemDecodeError,
    ItemEncodeError,
    MissingDependencyError,
    ReplicationError,
    SessionClosedError,
    SessionError,
    SessionExistsError,
    WrongKeyTypeError,
)

if TYPE_CHECKING:
    from .dynamodb import DynamoDBSession
    from .redis import RedisSession, RedisSessionStore

__version__ = "0.2.0.dev0"

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "DynamoDBSession",
    "EventLoopError",
    "ItemDecodeError",
    "ItemEncodeError",
    "MissingDependencyError",
    "OwnedSession",
    "OwnerPage",
    "RedisSession",
    "RedisSessionStore",
    "ReplicationError",
    "SessionClosedError",
    "SessionError",
    "SessionExistsError",
    "SessionInfo",
    "SessionMetadata",
    "SessionRecord",
    "SessionStore",
    "WrongKeyTypeError",
    "__version__",
    "open_store",
]

# name -> module that defines it, imported on first access.
_LAZY_EXPORTS = {
    "DynamoDBSession": ".dynamodb",
    "RedisSession": ".redis",
    "RedisSessionStore": ".redis",
}


__getattr__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)


def __dir__() -> list[str]:
    return sorted(__all__)
