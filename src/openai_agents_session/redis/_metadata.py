"""The companion hash of a Redis session: its metadata, as the hash stores it."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from .._store import SessionMetadata

__all__ = ["SessionMetadata", "metadata_fields", "parse_metadata"]


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


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
