"""The pure chunking helpers of the DynamoDB backend: split, join and chunk keys."""

from __future__ import annotations

import pytest

from openai_agents_session.dynamodb._chunks import chunk_sk, item_bytes, join, message_rows, split
from openai_agents_session.dynamodb._staging import (
    TRANSACTION_ITEM_BYTES,
    fits_one_transaction,
    transactions,
)


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


def test_staged_transactions_hold_at_most_99_items_and_4_mb() -> None:
    """Rows are grouped in order, each group leaving room for META's update."""
    small = [message_rows("s", seq, b"{}")[0] for seq in range(250)]
    assert [len(group) for group in transactions(small)] == [99, 99, 52]
    big = message_rows("s", 0, b"x" * 5_000_000)
    groups = transactions(big)
    assert [row for group in groups for row in group] == big
    assert all(sum(item_bytes(row) for row in group) <= TRANSACTION_ITEM_BYTES for group in groups)
    assert len(groups) == 2
    assert fits_one_transaction(small[:99])
    assert not fits_one_transaction(small[:100])
    assert not fits_one_transaction(big)
