"""Items over DynamoDB's 400 KB: split into chunk items, read back whole, deleted with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from dynamodb.support import stored, user

from openai_agents_session.dynamodb import DynamoDBSession
from openai_agents_session.dynamodb._schema import META_SK, PART_BYTES

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

NewSession = Callable[..., DynamoDBSession]


def output(text: str, call_id: str = "c1") -> Any:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


async def test_a_1mb_item_is_stored_in_chunks_and_read_back_whole(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """A 1 MB tool output round-trips; its extra parts sit in chunk items sorting before m#."""
    session = new_session(ttl_seconds=600)
    big = output("x" * 1_000_000)
    await session.add_items([user("before"), big, user("after")])
    assert await session.get_items() == [user("before"), big, user("after")]
    assert await session.get_items(limit=2) == [big, user("after")]
    assert await new_session().get_items() == [user("before"), big, user("after")]
    items = await stored(dynamodb, table, session_id)
    chunks = [sk for sk in items if sk.startswith("c#")]
    assert len(chunks) == 2
    assert all(sk < "m#" for sk in chunks)
    head = items["m#0000000000000001"]
    for sk in chunks:  # a chunk is reaped with its message, never before
        assert items[sk]["ttl"] == head["ttl"]


async def test_a_2mb_conversation_round_trips(new_session: NewSession) -> None:
    """Two 1 MB outputs in one batch and one more alone: all read back, newest last."""
    session = new_session()
    first, second, third = (output(letter * 1_000_000, letter) for letter in "abc")
    await session.add_items([first, second])
    await session.add_items([user("q"), third])
    assert await session.get_items() == [first, second, user("q"), third]
    assert await session.get_items(limit=1) == [third]


@pytest.mark.parametrize("cut", [1, 3, 4, 5])
async def test_multi_byte_characters_split_across_chunk_borders_read_back_whole(
    new_session: NewSession, cut: int
) -> None:
    """A chunk border inside a 2-byte or a 4-byte character (each offset) is harmless."""
    session = new_session()
    # The text repeats "é😀x" (7 bytes: é at 0-1, 😀 at 2-5); everything before it is ASCII,
    # so padding puts the border ``cut`` bytes into one repetition.
    prefix = '{"type":"function_call_output","call_id":"c1","output":"'
    pad = "a" * ((PART_BYTES - len(prefix) - cut) % 7)
    big = output(pad + "é😀x" * (PART_BYTES // 3))
    await session.add_items([big])
    assert await session.get_items() == [big]


async def test_pop_of_a_chunked_item_returns_it_and_deletes_its_chunks(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """pop_item returns the whole big item and leaves none of its chunks behind."""
    session = new_session()
    big = output("é" * 600_000)
    await session.add_items([user("a"), big])
    assert await session.pop_item() == big
    assert sorted(await stored(dynamodb, table, session_id)) == [
        "m#0000000000000000",
        META_SK,
    ]
    assert await session.get_items() == [user("a")]


async def test_clear_of_chunked_items_leaves_only_the_state_item(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """clear_session deletes messages and their chunks; replace_items deletes the old ones."""
    session = new_session(ttl_seconds=600)
    await session.add_items([output("y" * 900_000), user("b")])
    await session.replace_items([output("z" * 500_000)])
    keys = sorted(await stored(dynamodb, table, session_id))
    assert keys == ["c#0000000000000002#0000", "m#0000000000000002", META_SK]
    await session.clear_session()
    assert sorted(await stored(dynamodb, table, session_id)) == [META_SK]
    assert await session.get_items() == []
