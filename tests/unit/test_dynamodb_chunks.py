"""The pure chunking helpers of the DynamoDB backend: split, join and chunk keys."""

from __future__ import annotations

import pytest

from openai_agents_session.dynamodb._chunks import chunk_sk, join, split


def test_a_payload_that_fits_is_one_part() -> None:
    """Up to the part size, a payload is its own head and has no chunks."""
    assert split(b"abc", 3) == [b"abc"]
    assert split(b"", 3) == [b""]


@pytest.mark.parametrize("size", [4, 6, 7, 100])
def test_split_then_join_is_the_identity(size: int) -> None:
    """Parts are at most the part size and join back to the payload, byte for byte."""
    payload = "é😀x".encode() * size
    parts = split(payload, 5)
    assert all(0 < len(part) <= 5 for part in parts)
    assert join(parts[0], parts[1:]) == payload


def test_chunk_keys_sort_before_messages_and_in_order() -> None:
    """Chunk sort keys sort before every m# key, by seq, then by index."""
    keys = [chunk_sk(1, 0), chunk_sk(1, 1), chunk_sk(1, 0x10), chunk_sk(2, 0)]
    assert keys == sorted(keys)
    assert keys[0] == "c#0000000000000001#0000"
    assert max(keys) < "m#"
