"""Big messages as a head item and chunk items: pure functions that split, join and key them.

A payload that fits in one part is stored whole, as today. A bigger one keeps its first part
in the message item (``m#<seq>``, with ``n`` = the number of chunks) and the rest in chunk
items ``c#<16 hex seq>#<4 hex index>``, which sort before every ``m#`` key, so the tail Query
of a read never meets them. Parts are binary: a border inside a multi-byte UTF-8 character
is harmless. Head and chunks share a random tag ``t``, so a reader that raced a pop and a
new append at the same seq can tell its parts apart.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ._schema import (
    CHUNK_PREFIX,
    CHUNKS_ATTRIBUTE,
    PART_BYTES,
    PAYLOAD_ATTRIBUTE,
    TAG_ATTRIBUTE,
    TTL_ATTRIBUTE,
    key,
    message_item,
)

__all__ = [
    "chunk_count",
    "chunk_range",
    "chunk_sk",
    "item_bytes",
    "join",
    "message_rows",
    "split",
    "tag_of",
]

# 4 hex digits: up to 65,536 chunks of 350 KiB (about 22 GB) per message.
_INDEX_DIGITS = 4
_SEQ_DIGITS = 16


def split(payload: bytes, part_bytes: int = PART_BYTES) -> list[bytes]:
    """Return ``payload`` cut into parts of at most ``part_bytes``; the first is the head."""
    if len(payload) <= part_bytes:
        return [payload]
    return [payload[start : start + part_bytes] for start in range(0, len(payload), part_bytes)]


def join(head: bytes, chunks: Sequence[bytes]) -> bytes:
    """Return the payload whose parts are ``head`` and then ``chunks``."""
    return head + b"".join(chunks)


def chunk_sk(seq: int, index: int) -> str:
    """Return the sort key of chunk ``index`` of the message at ``seq``."""
    return f"{CHUNK_PREFIX}{seq:0{_SEQ_DIGITS}x}#{index:0{_INDEX_DIGITS}x}"


def chunk_range(first_seq: int, last_seq: int) -> tuple[str, str]:
    """Return the lowest and highest chunk sort keys of the messages ``first_seq..last_seq``."""
    return chunk_sk(first_seq, 0), chunk_sk(last_seq, 16**_INDEX_DIGITS - 1)


def chunk_count(item: Mapping[str, Any]) -> int:
    """Return how many chunk items a stored message has (0: it is whole)."""
    value = item.get(CHUNKS_ATTRIBUTE)
    if isinstance(value, Mapping) and isinstance(value.get("N"), str):
        return int(value["N"])
    return 0


def tag_of(item: Mapping[str, Any]) -> str | None:
    """Return the tag a head and its chunks share, or None."""
    value = item.get(TAG_ATTRIBUTE)
    return value.get("S") if isinstance(value, Mapping) else None


def message_rows(
    session_id: str,
    seq: int,
    payload: bytes,
    batch_id: str | None = None,
    expires_at: int | None = None,
    *,
    output: bool = False,
) -> list[dict[str, Any]]:
    """Return the items that store one message: its head, then its chunks (if any).

    A chunk carries the message's ``ttl``, so DynamoDB's sweeper reaps them together; the
    head alone carries the tool-output mark (``output``).
    """
    parts = split(payload)
    if len(parts) == 1:
        return [message_item(session_id, seq, payload, batch_id, expires_at, output=output)]
    tag = base64.urlsafe_b64encode(os.urandom(6)).decode()
    head = message_item(session_id, seq, b"", batch_id, expires_at, output=output)
    head[PAYLOAD_ATTRIBUTE] = {"B": parts[0]}
    head[CHUNKS_ATTRIBUTE] = {"N": str(len(parts) - 1)}
    head[TAG_ATTRIBUTE] = {"S": tag}
    rows = [head]
    for index, part in enumerate(parts[1:]):
        chunk = key(session_id, chunk_sk(seq, index))
        chunk[PAYLOAD_ATTRIBUTE] = {"B": part}
        chunk[TAG_ATTRIBUTE] = {"S": tag}
        if expires_at is not None:
            chunk[TTL_ATTRIBUTE] = {"N": str(expires_at)}
        rows.append(chunk)
    return rows


def item_bytes(item: Mapping[str, Any]) -> int:
    """Return an upper bound of the size DynamoDB counts for ``item``: names plus values."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        if "S" in value:
            total += len(value["S"].encode())
        elif "B" in value:
            total += len(value["B"])
        else:  # a number: at most its digits plus one
            total += len(str(value.get("N", ""))) + 1
    return total
