"""The store protocol and the neutral records every backend returns.

`SessionStore` is what the command line and users talk to, whatever holds the sessions: list
and count them, page through an owner's, inspect one, read and change its metadata, fork,
export, import and delete. The records name things the same way for every backend.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from ._items import encode_item
from .errors import ItemDecodeError

if TYPE_CHECKING:
    from types import TracebackType

    from agents import TResponseInputItem
    from typing_extensions import Self

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "OwnedSession",
    "OwnerPage",
    "SessionInfo",
    "SessionMetadata",
    "SessionRecord",
    "SessionStore",
]


# The prefix (Redis) or namespace every backend uses when none is given.
DEFAULT_KEY_PREFIX = "openai_agents_session"


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
        location: Where the store keeps it (a Redis key, a DynamoDB table and key).
        item_count: How many items it holds (0 when it does not exist).
        ttl_seconds: Seconds until it expires; None when it never does or does not exist.
        size_bytes: Bytes the store uses for it, as the store counts them, or None.
        idle_seconds: Seconds since it was last read or written, or None.
        metadata: Its metadata.
    """

    session_id: str
    location: str
    item_count: int
    ttl_seconds: int | None
    size_bytes: int | None
    idle_seconds: int | None
    metadata: SessionMetadata

    @property
    def exists(self) -> bool:
        """Whether the session holds any item."""
        return self.item_count > 0


@dataclass(frozen=True)
class OwnedSession:
    """One entry of an owner's index: a session id and when it was last written."""

    session_id: str
    updated_at: float


@dataclass(frozen=True)
class OwnerPage:
    """One page of an owner's sessions, most recently updated first.

    Attributes:
        sessions: The page's entries.
        cursor: Pass it to get the next page; None on the last one. Opaque: each store
            encodes its own position.
    """

    sessions: list[OwnedSession]
    cursor: str | None


@dataclass(frozen=True)
class SessionRecord:
    """A whole session, as export writes and import reads it: one JSON object per line.

    Attributes:
        session_id: The session's id.
        items: Its items, oldest first.
        ttl_seconds: Seconds it had left to live when exported, or None.
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
        head = orjson.dumps(
            {"session_id": self.session_id, "ttl_seconds": self.ttl_seconds, "metadata": metadata}
        )
        # Items go through the same encoder as appends, so big integers stay exact.
        items = b",".join(encode_item(item) for item in self.items)
        return head[:-1] + b',"items":[' + items + b"]}"

    @classmethod
    def from_json(cls, line: bytes | str) -> SessionRecord:
        """Parse one line written by :meth:`to_json` (or by hand, with the same fields).

        Lines written before 0.2, which name the id ``"id"`` and the TTL ``"ttl"``, are read too.

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
        if isinstance(value, dict) and "session_id" not in value and "id" in value:
            value = {_LEGACY_NAMES.get(name, name): field for name, field in value.items()}
        if not isinstance(value, dict) or not isinstance(value.get("session_id"), str):
            raise ItemDecodeError('session line must be an object with a string "session_id"')
        session_id = value["session_id"]
        items = value.get("items", [])
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ItemDecodeError(f'session {session_id!r}: "items" must be a list of objects')
        ttl = value.get("ttl_seconds")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
            raise ItemDecodeError(
                f'session {session_id!r}: "ttl_seconds" must be a positive int or null'
            )
        raw_metadata = value.get("metadata") or {}
        if not isinstance(raw_metadata, dict):
            raise ItemDecodeError(f'session {session_id!r}: "metadata" must be an object')
        tags = raw_metadata.get("tags") or []
        metadata = SessionMetadata(
            created_at=_number(_json_text(raw_metadata.get("created_at"))),
            updated_at=_number(_json_text(raw_metadata.get("updated_at"))),
            title=_json_text(raw_metadata.get("title")),
            owner=_json_text(raw_metadata.get("owner")),
            tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
        )
        return cls(session_id, items, ttl, metadata)


# The names export wrote before 0.2, and the names they have now.
_LEGACY_NAMES = {"id": "session_id", "ttl": "ttl_seconds"}


def _number(value: object) -> float | None:
    try:
        return float(value) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _json_text(value: object) -> str | None:
    return None if value is None else str(value)


class SessionStore(Protocol):
    """All sessions of one store: what the command line and operators need, for any backend."""

    def list_sessions(self, pattern: str = "*") -> AsyncIterator[str]:
        """Yield the id of every live session whose id matches the glob ``pattern``."""
        ...

    async def count_sessions(self, pattern: str = "*") -> int:
        """Return how many live sessions match ``pattern``."""
        ...

    async def owner_page(
        self, owner: str, *, cursor: str | None = None, count: int = 20
    ) -> OwnerPage:
        """Return one page of an owner's live sessions, most recently updated first."""
        ...

    async def info(self, session_id: str) -> SessionInfo:
        """Return a session's size, age and metadata; ``item_count`` 0 when it does not exist."""
        ...

    async def get_metadata(self, session_id: str) -> SessionMetadata:
        """Return a session's metadata."""
        ...

    async def set_metadata(
        self,
        session_id: str,
        *,
        title: str | EllipsisType | None = ...,
        owner: str | EllipsisType | None = ...,
        tags: list[str] | tuple[str, ...] | EllipsisType | None = ...,
    ) -> None:
        """Set user fields of a session's metadata; omitted fields stay, None removes one."""
        ...

    async def fork(self, source_id: str, new_id: str, *, replace: bool = False) -> int:
        """Copy a session to a new id; return how many items were copied."""
        ...

    def export(self, pattern: str = "*") -> AsyncIterator[SessionRecord]:
        """Yield every matching session as a record, one session in memory at a time."""
        ...

    async def export_session(self, session_id: str) -> SessionRecord | None:
        """Return one session as a record, or None when it does not exist."""
        ...

    async def import_session(self, record: SessionRecord, *, replace: bool = False) -> bool:
        """Write a record as a session, whole or not at all; return whether it was written."""
        ...

    async def delete(self, *session_ids: str) -> int:
        """Delete sessions; return how many existed."""
        ...

    async def close(self) -> None:
        """Release what the store owns."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
