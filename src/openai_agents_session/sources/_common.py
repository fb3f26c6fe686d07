"""What every reader of a foreign layout shares: the session it yields and the SDK's decoder.

Items are decoded as the SDK decodes them (UTF-8, ``json.loads``), so they come back exactly as
its ``get_items()`` returns them, integers beyond 64 bits included; a row or element that is not
a JSON object is skipped with a warning and counted in ``skipped_items``. A session is its
messages: one whose history is empty has nothing to migrate and is not listed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from ..errors import ConfigurationError, ItemDecodeError

if TYPE_CHECKING:
    from agents import TResponseInputItem

__all__ = ["SESSION_COLUMNS", "SourceSession", "decode_all", "logger", "validated_ids"]

# The columns of the SDK's sessions table, and the fields of its Redis hash.
SESSION_COLUMNS = ("session_id", "created_at", "updated_at")

logger = logging.getLogger("openai_agents_session.migrate")

# How much of an undecodable payload a warning quotes.
_LOGGED_PAYLOAD_CHARS = 120


@dataclass(frozen=True)
class SourceSession:
    """One session read from a source store."""

    session_id: str
    items: list[TResponseInputItem]
    """Oldest first, decoded to dicts."""
    ttl_seconds: int | None
    """Remaining time to live, rounded up, where the source has one; else None."""
    created_at: float | None = None
    """Unix seconds, if the source records it."""
    updated_at: float | None = None
    """Unix seconds, if the source records it."""
    skipped_items: int = 0
    """Stored items that were not JSON objects, left out of ``items`` with a warning."""


def _decode_sdk_item(payload: object) -> TResponseInputItem:
    """Decode one payload with the SDK's own decoder, which wrote it: nothing is approximated."""
    try:
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8")
        if not isinstance(payload, str):
            raise ItemDecodeError(f"stored payload is a {type(payload).__name__}, not JSON")
        value = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise ItemDecodeError(f"stored payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ItemDecodeError(f"stored payload is a JSON {type(value).__name__}, not an object")
    return cast("TResponseInputItem", value)


def decode_all(
    payloads: Iterable[object], where: str, session_id: str
) -> tuple[list[TResponseInputItem], int]:
    """Decode every payload of a session; count what is not an item."""
    items: list[TResponseInputItem] = []
    skipped = 0
    for payload in payloads:
        try:
            items.append(_decode_sdk_item(payload))
        except ItemDecodeError as exc:
            skipped += 1
            logger.warning(
                "skipped undecodable item of session %r in %s: %s; payload: %r",
                session_id,
                where,
                exc,
                payload[:_LOGGED_PAYLOAD_CHARS] if isinstance(payload, str | bytes) else payload,
            )
    return items, skipped


def validated_ids(session_ids: Sequence[str]) -> Sequence[str]:
    if isinstance(session_ids, str):
        raise ConfigurationError("session_ids must be a sequence of ids, not one str")
    for session_id in session_ids:
        if not isinstance(session_id, str):
            raise ConfigurationError(
                f"session ids must be str, got {type(session_id).__name__}: {session_id!r}"
            )
    return session_ids
