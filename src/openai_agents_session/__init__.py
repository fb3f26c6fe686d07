"""Production session storage for the OpenAI Agents SDK.

Backends are imported on first use, so ``import openai_agents_session`` needs none of the
optional drivers; a missing one raises an ImportError that names the extra to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from .redis import RedisSession, RedisSessionStore

__version__ = "0.2.0.dev0"

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "ConfigurationError",
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
    "RedisSession": ".redis",
    "RedisSessionStore": ".redis",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
