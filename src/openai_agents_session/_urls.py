"""From a URL to a store: one table of schemes, each backend imported only when named.

The command line and users open any store the same way, ``open_store(url, key_prefix=...)``;
nothing here imports a driver, so a missing one is reported as a `MissingDependencyError`
naming the extra to install, and only for the scheme that needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    from ._store import SessionStore

__all__ = ["PLAIN_SCHEME_OF_TLS", "SCHEMES", "open_store", "scheme_of"]

# scheme -> "module:class" of the store serving it; the class has from_url(url, **options).
SCHEMES: dict[str, str] = {
    "redis": "openai_agents_session.redis:RedisSessionStore",
    "rediss": "openai_agents_session.redis:RedisSessionStore",
    "unix": "openai_agents_session.redis:RedisSessionStore",
    "redis+cluster": "openai_agents_session.redis:RedisSessionStore",
    "rediss+cluster": "openai_agents_session.redis:RedisSessionStore",
    "dynamodb": "openai_agents_session.dynamodb:DynamoDBSessionStore",
}

# The TLS schemes, and the scheme of the same store without TLS: a hint for a TLS client that
# met a plain-text server (the handshake then only times out).
PLAIN_SCHEME_OF_TLS: dict[str, str] = {"rediss": "redis", "rediss+cluster": "redis+cluster"}


def scheme_of(url: str) -> str:
    """Return the scheme of ``url``, or raise naming the schemes there are.

    Raises:
        ConfigurationError: The URL has no scheme this library serves.
    """
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        expected = ", ".join(SCHEMES)
        shown = f"unknown URL scheme {scheme!r}" if scheme else "a URL with no scheme"
        raise ConfigurationError(f"{shown}; expected one of {expected}")
    return scheme


def open_store(url: str, **options: Any) -> SessionStore:
    """Open the store ``url`` names, with a client of its own that ``close()`` releases.

    Args:
        url: The store's URL, such as ``redis://localhost:6379/0``,
            ``redis+cluster://node-1:7000`` or ``dynamodb://TABLE?region=us-east-1``.
        **options: The store's ``from_url`` options, such as ``key_prefix``.

    Raises:
        ConfigurationError: The scheme is unknown or an option is not valid.
        MissingDependencyError: The backend's extra is not installed.
    """
    module_name, _, class_name = SCHEMES[scheme_of(url)].partition(":")
    store_class = getattr(importlib.import_module(module_name), class_name)
    store: SessionStore = store_class.from_url(url, **options)
    return store
