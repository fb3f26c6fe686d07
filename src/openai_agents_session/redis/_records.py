"""Typed records the Redis backend returns: a session's metadata and its vital signs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson

__all__ = ["SessionInfo", "SessionMetadata", "parse_metadata"]


@dataclass(frozen=True)
class SessionMetadata:
    """What is known about a session besides its items.

    Attributes:
        created_at: Unix time of the first append or metadata write; never changes after.
        updated_at: Unix time of the latest append.
        title: A user-given title.
        owner: The user the session belongs to; sessions are listed per owner.
        tags: User-given tags.
    """

    created_at: float | None = None
    updated_at: float | None = None
    title: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionInfo:
    """A session's size and age, as an operator wants to see them.

    Attributes:
        session_id: The session's id.
        key: The Redis key of its list.
        item_count: How many items it holds (0 when it does not exist).
        ttl_seconds: Seconds until it expires; None when it never does or does not exist.
        memory_bytes: Bytes Redis uses for its list (``MEMORY USAGE``), or None.
        idle_seconds: Seconds since it was last read or written, or None.
        metadata: Its metadata.
    """

    session_id: str
    key: str
    item_count: int
    ttl_seconds: int | None
    memory_bytes: int | None
    idle_seconds: int | None
    metadata: SessionMetadata

    @property
    def exists(self) -> bool:
        """Whether the session holds any item."""
        return self.item_count > 0


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _number(value: bytes | str | None) -> float | None:
    text = _text(value)
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def parse_metadata(fields: Mapping[bytes | str, bytes | str]) -> SessionMetadata:
    """Build metadata from the hash's fields as the client returned them."""
    by_name = {_text(name): value for name, value in fields.items()}
    tags: tuple[str, ...] = ()
    raw_tags = by_name.get("tags")
    if raw_tags is not None:
        try:
            decoded = orjson.loads(raw_tags)
        except orjson.JSONDecodeError:
            decoded = []
        if isinstance(decoded, list):
            tags = tuple(str(tag) for tag in decoded)
    return SessionMetadata(
        created_at=_number(by_name.get("created_at")),
        updated_at=_number(by_name.get("updated_at")),
        title=_text(by_name.get("title")),
        owner=_text(by_name.get("owner")),
        tags=tags,
    )
