"""Every Redis key the library writes, declared in one place.

The list key is exactly ``"{key_prefix}:{session_id}"``: that is the documented format and
what 0.1.0 wrote, so it never changes.
"""

from __future__ import annotations

from ..errors import ConfigurationError

__all__ = ["DEFAULT_KEY_PREFIX", "session_key", "validate_prefix", "validate_session_id"]

DEFAULT_KEY_PREFIX = "openai_agents_session"


def validate_session_id(session_id: object) -> str:
    """Return ``session_id`` if it can name a session.

    Any non-empty string is accepted, including colons, braces, glob characters and newlines:
    the key is built by concatenation, so it always starts with the prefix.

    Raises:
        ConfigurationError: The id is not a string or is empty.
    """
    if not isinstance(session_id, str):
        raise ConfigurationError(f"session_id must be a str, got {type(session_id).__name__}")
    if not session_id:
        raise ConfigurationError("session_id must not be empty")
    return session_id


def validate_prefix(key_prefix: object) -> str:
    """Return ``key_prefix`` if it is a non-empty string.

    Raises:
        ConfigurationError: The prefix is not a string or is empty.
    """
    if not isinstance(key_prefix, str) or not key_prefix:
        raise ConfigurationError(f"key_prefix must be a non-empty str, got {key_prefix!r}")
    return key_prefix


def session_key(key_prefix: str, session_id: str) -> str:
    """Return the list key of a session: ``"{key_prefix}:{session_id}"``."""
    return f"{key_prefix}:{session_id}"
