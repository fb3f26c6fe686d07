"""The checks every backend applies to what callers pass, before anything is sent.

They raise `ConfigurationError` (also a ``ValueError``) with one sentence naming the value and
what was expected, so a bad argument never reaches a store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ConfigurationError

if TYPE_CHECKING:
    from agents.memory import SessionSettings

__all__ = [
    "MAX_BATCH_ID_LENGTH",
    "RESERVED_LEAD",
    "coerce_session_settings",
    "validate_batch",
    "validate_batch_id",
    "validate_count",
    "validate_limit",
    "validate_session_id",
    "validate_ttl",
]

# What starts a store's own records beside the sessions (the Redis layout keeps its
# companion keys under ``prefix:~``): no session id may start with it, in any backend, so a
# session can move between backends under the same id.
RESERVED_LEAD = "~"
# Batch ids are kept by the store: long ones would make that record costly.
MAX_BATCH_ID_LENGTH = 200


def validate_session_id(session_id: object) -> str:
    """Return ``session_id`` if it can name a session.

    Any non-empty string is accepted, including colons, braces, glob characters and newlines,
    except one starting with ``~``: ``prefix:~`` is where the library keeps its own keys.

    Raises:
        ConfigurationError: The id is not a string, is empty or starts with ``~``.
    """
    if not isinstance(session_id, str):
        raise ConfigurationError(f"session_id must be a str, got {type(session_id).__name__}")
    if not session_id:
        raise ConfigurationError("session_id must not be empty")
    if session_id.startswith(RESERVED_LEAD):
        raise ConfigurationError(
            f"session_id must not start with '{RESERVED_LEAD}', got {session_id!r}; "
            f"'prefix:{RESERVED_LEAD}' is reserved for the library's own keys"
        )
    return session_id


def validate_ttl(ttl: object) -> int | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ConfigurationError(f"ttl must be a positive int of seconds or None, got {ttl!r}")
    return ttl


def validate_count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def validate_batch_id(batch_id: object) -> None:
    if (
        not isinstance(batch_id, str)
        or not batch_id
        or len(batch_id) > MAX_BATCH_ID_LENGTH
        or not batch_id.isprintable()
        or any(char.isspace() for char in batch_id)
    ):
        raise ConfigurationError(
            f"batch_id must be a non-empty str of at most {MAX_BATCH_ID_LENGTH} printable "
            f"characters without spaces, got {batch_id!r}"
        )


def validate_limit(limit: object) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigurationError(f"limit must be a non-negative int or None, got {limit!r}")
    return limit


def validate_batch(items: object) -> None:
    # A dict or a str would be iterated into its keys or characters, and a generator is
    # consumed by the first attempt: none of them can be what the caller meant to store.
    if not isinstance(items, (list, tuple)):
        raise ConfigurationError(
            f"items must be a list of items (or a tuple), got a {type(items).__name__}"
        )


def coerce_session_settings(value: object) -> SessionSettings | None:
    """Accept what the SDK's sessions accept: None, a SessionSettings or a dict of its fields."""
    if value is None:
        return None
    # Imported here: older SDKs may lack the class, and only a given value needs it.
    from agents.memory import SessionSettings

    if isinstance(value, Mapping):
        known = [field.name for field in dataclasses.fields(SessionSettings) if field.init]
        unknown = sorted(str(name) for name in value if name not in known)
        if unknown:
            raise ConfigurationError(
                f"unknown session_settings field {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(known)}"
            )
        fields = dict(value)
        try:
            value = SessionSettings(**fields)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"session_settings {fields!r} are not valid: {_validation_reason(exc)}"
            ) from exc
    if not isinstance(value, SessionSettings):
        raise ConfigurationError(
            "session_settings must be a SessionSettings or a dict of its fields, "
            f"got a {type(value).__name__}"
        )
    limit = value.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ConfigurationError(
            f"session_settings limit must be a non-negative int or None, got {limit!r}"
        )
    return value


def _validation_reason(exc: Exception) -> str:
    """The reason pydantic (or a plain TypeError) gives, on one line."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in errors()
        )
    return str(exc)
