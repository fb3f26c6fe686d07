"""max_items on DynamoDB: the trimmed items are deleted, and no history starts at a tool output."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dynamodb.support import stored, user

from openai_agents_session.dynamodb import DynamoDBSession

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def call(n: int) -> Any:
    return {"type": "function_call", "call_id": f"c{n}", "name": "f", "arguments": "{}"}


def output(n: int) -> Any:
    return {"type": "function_call_output", "call_id": f"c{n}", "output": "ok"}


async def test_trimmed_items_are_deleted_not_only_hidden(
    dynamodb: DynamoDBClient, table: str, new_session: Callable[..., DynamoDBSession]
) -> None:
    """After 30 turns with max_items=4, the table holds META and the 4 newest items only."""
    session = new_session(max_items=4)
    for turn in range(15):
        await session.add_items([user(f"q{turn}"), user(f"a{turn}")])
    assert await session.get_items() == [user("q13"), user("a13"), user("q14"), user("a14")]
    assert sorted(await stored(dynamodb, table, session.session_id)) == [
        "m#000000000000001a",
        "m#000000000000001b",
        "m#000000000000001c",
        "m#000000000000001d",
        "~meta",
    ]


async def test_a_trim_skips_old_tool_outputs_another_writer_stored(
    new_session: Callable[..., DynamoDBSession],
) -> None:
    """The outputs to skip were written by another object: their mark is read from the table."""
    await new_session().add_items([call(1), output(1), output(2), output(3), user("u")])
    trimming = new_session(max_items=4)
    await trimming.add_items([user("v")])  # [output(2), output(3), u, v] would start at one
    assert await trimming.get_items() == [user("u"), user("v")]


async def test_a_batch_over_max_items_deletes_the_whole_old_history(
    dynamodb: DynamoDBClient, table: str, new_session: Callable[..., DynamoDBSession]
) -> None:
    session = new_session(max_items=2)
    await session.add_items([user(str(n)) for n in range(2)])
    await session.add_items([user("a"), call(9), output(9), user("b")])
    assert await session.get_items() == [user("b")]  # [output(9), b] would start at an output
    # The old items are deleted, and the batch's hidden ones never written.
    assert sorted(await stored(dynamodb, table, session.session_id)) == [
        "m#0000000000000005",
        "~meta",
    ]


async def test_trimmed_big_items_take_their_chunks_with_them(
    dynamodb: DynamoDBClient, table: str, new_session: Callable[..., DynamoDBSession]
) -> None:
    session = new_session(max_items=1)
    await session.add_items([user("x" * 1_000_000)])
    await session.add_items([user("small")])
    assert await session.get_items() == [user("small")]
    assert sorted(await stored(dynamodb, table, session.session_id)) == [
        "m#0000000000000001",
        "~meta",
    ]
