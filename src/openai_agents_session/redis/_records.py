"""Typed records the Redis backend returns: a session's metadata and its vital signs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from .._items import encode_item
from ..errors import ItemDecodeError

if TYPE_CHECKING:
    from agents import TResponseInputItem

__all__ = ["OwnedSession", "SessionInfo", "SessionMetadata", "SessionRecord", "parse_metadata"]


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


def _json_text(value: object) -> str | None:
    return None if value is None else str(value)


def _microseconds(value: bytes | str | None) -> float | None:
    text = _text(value)
    try:
        return int(text) / 1_000_000 if text is not None else None
    except ValueError:
        return None


def parse_metadata(fields: Mapping[bytes | str, bytes | str]) -> SessionMetadata:
    """Build metadata from the companion hash's fields as the client returned them.

    The hash stores ``c`` and ``u`` (created and updated) as integer microseconds, and leaves
    ``c`` out while it equals ``u``: short names, integers and one field fewer take the least
    memory in a small hash, which every session has.
    """
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
        # A hash written by one append only has u: created_at is the same time.
        created_at=_microseconds(by_name.get("c", by_name.get("u"))),
        updated_at=_microseconds(by_name.get("u")),
        title=_text(by_name.get("title")),
        owner=_text(by_name.get("owner")),
        tags=tags,
    )


def metadata_fields(metadata: SessionMetadata) -> list[str]:
    """Return the metadata as the companion hash's field, value pairs (absent ones left out)."""
    pairs: list[str] = []
    for field_name, seconds in (("c", metadata.created_at), ("u", metadata.updated_at)):
        if seconds is not None:
            pairs += [field_name, str(round(seconds * 1_000_000))]
    for name in ("title", "owner"):
        value = getattr(metadata, name)
        if value is not None:
            pairs += [name, str(value)]
    if metadata.tags:
        pairs += ["tags", orjson.dumps(list(metadata.tags)).decode()]
    return pairs


@dataclass(frozen=True)
class OwnedSession:
    """One entry of an owner's index: a session id and when it was last written."""

    session_id: str
    updated_at: float


@dataclass(frozen=True)
class SessionRecord:
    """A whole session, as export writes and import reads it: one JSON object per line.

    Attributes:
        session_id: The session's id (``"id"`` in JSON).
        items: Its items, oldest first.
        ttl_seconds: Seconds it had left to live when exported (``"ttl"``), or None.
        metadata: Its metadata.
    """

    session_id: str
    items: list[TResponseInputItem]
    ttl_seconds: int | None = None
    metadata: SessionMetadata = field(default_factory=SessionMetadata)

    def to_json(self) -> bytes:
        """Return the record as one line of JSON (without the newline)."""
        metadata = {
            "created_at": self.metadata.created_at,
            "updated_at": self.metadata.updated_at,
            "title": self.metadata.title,
            "owner": self.metadata.owner,
            "tags": list(self.metadata.tags),
        }
        head = orjson.dumps({"id": self.session_id, "ttl": self.ttl_seconds, "metadata": metadata})
        # Items go through the same encoder as appends, so big integers stay exact.
        items = b",".join(encode_item(item) for item in self.items)
        return head[:-1] + b',"items":[' + items + b"]}"

    @classmethod
    def from_json(cls, line: bytes | str) -> SessionRecord:
        """Parse one line written by :meth:`to_json` (or by hand, with the same fields).

        Raises:
            ItemDecodeError: The line is not such an object.
        """
        data = line.encode() if isinstance(line, str) else line
        try:
            # A space after "[" or "," marks an item the standard library wrote (big
            # integers): orjson would read those as floats.
            exact = b"[ {" in data or b", {" in data
            value: Any = json.loads(data) if exact else orjson.loads(data)
        except ValueError as exc:
            raise ItemDecodeError(f"session line is not JSON: {exc}") from exc
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            raise ItemDecodeError('session line must be an object with a string "id"')
        items = value.get("items", [])
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ItemDecodeError(f'session {value["id"]!r}: "items" must be a list of objects')
        ttl = value.get("ttl")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
            raise ItemDecodeError(f'session {value["id"]!r}: "ttl" must be a positive int or null')
        raw_metadata = value.get("metadata") or {}
        if not isinstance(raw_metadata, dict):
            raise ItemDecodeError(f'session {value["id"]!r}: "metadata" must be an object')
        tags = raw_metadata.get("tags") or []
        metadata = SessionMetadata(
            created_at=_number(_json_text(raw_metadata.get("created_at"))),
            updated_at=_number(_json_text(raw_metadata.get("updated_at"))),
            title=_json_text(raw_metadata.get("title")),
            owner=_json_text(raw_metadata.get("owner")),
            tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
        )
        return cls(value["id"], items, ttl, metadata)
