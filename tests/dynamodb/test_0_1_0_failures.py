"""What 0.1.0's DynamoDBSession got wrong, checked against ours and, side by side, against it.

0.1.0 kept a session as one item holding the whole history: concurrent appends overwrote
each other, a conversation stopped at DynamoDB's 400 KB item limit, every append sent the
whole history, and an expired session was still served and revived. ``make test`` installs
the real 0.1.0 wheel into ``.venv/compat/0.1.0``; it has our import name, so its module is
loaded here from its file under another name, over a table it creates itself.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError
from dynamodb.proxied import client_at
from dynamodb.support import user
from dynamodb_servers import DynamoDBLocal
from http_faults import HttpFaultInjector
from types_aiobotocore_dynamodb import DynamoDBClient

from openai_agents_session.dynamodb import DynamoDBSession
from openai_agents_session.dynamodb._schema import META_SK, TTL_ATTRIBUTE, key

COMPAT_DIR = Path(
    os.environ.get("OAS_COMPAT_0_1_0", Path(__file__).parents[2] / ".venv" / "compat" / "0.1.0")
)
NewSession = Callable[..., DynamoDBSession]
# A realistic turn: a user message and an answer, about 820 bytes of JSON together.
TURN_TEXT_BYTES = 367
MAX_BATCH = 98
WRITERS = 10  # 49 turns: what one transaction holds, with META's update


def turn(number: int) -> list[Any]:
    """The two items of turn ``number``, about 820 bytes of JSON."""
    pad = "x" * TURN_TEXT_BYTES
    return [user(f"q{number} {pad}"), {"role": "assistant", "content": f"a{number} {pad}"}]


def turns(first: int, count: int) -> list[Any]:
    return [item for number in range(first, first + count) for item in turn(number)]


def contents(items: list[Any]) -> list[str]:
    """Each item's content up to its padding."""
    return [str(item["content"]).split(" ")[0] for item in items]


@pytest.fixture(scope="module")
def v010() -> ModuleType:
    source = COMPAT_DIR / "openai_agents_session" / "dynamodb.py"
    if not source.is_file():
        pytest.fail(
            f"0.1.0 is not installed at {COMPAT_DIR}; run `make test` (or set OAS_COMPAT_0_1_0)"
        )
    spec = importlib.util.spec_from_file_location("openai_agents_session_0_1_0_dynamodb", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def legacy_table(v010: ModuleType, dynamodb: DynamoDBClient) -> AsyncIterator[str]:
    """A table 0.1.0 created itself (partition key ``session_id`` only), deleted afterwards.

    Without TTL: DynamoDB Local's sweeper would delete 0.1.0's expired items at random times.
    """
    name = f"legacy-{uuid.uuid4().hex[:12]}"
    await v010.create_table_if_not_exists(dynamodb, name, enable_ttl=False)
    yield name
    await dynamodb.delete_table(TableName=name)


async def append_concurrently(sessions: list[Any]) -> None:
    """Each session (one writer) appends 10 single-item batches, all writers at once."""

    async def write(number: int) -> None:
        for step in range(10):
            await sessions[number].add_items([user(f"{number}:{step}")])

    await asyncio.gather(*(write(number) for number in range(len(sessions))))


def assert_each_writers_order(texts: list[str], writers: int) -> None:
    for number in range(writers):
        mine = [text for text in texts if text.startswith(f"{number}:")]
        assert mine == [f"{number}:{step}" for step in range(10)]


async def test_concurrent_writers_lose_items_on_0_1_0_and_keep_all_on_ours(
    v010: ModuleType, legacy_table: str, dynamodb: DynamoDBClient, new_session: NewSession
) -> None:
    """10 writers x 10 appends on one session: 0.1.0 overwrites, ours keeps all in order.

    ``test_session.py`` runs ours with 20 writers; 10 keep this side-by-side run short.
    """
    old = [v010.DynamoDBSession("s", dynamodb, legacy_table) for _ in range(WRITERS)]
    await append_concurrently(old)
    kept_by_0_1_0 = len(await old[0].get_items())

    await append_concurrently([new_session() for _ in range(WRITERS)])
    items = await new_session().get_items()

    assert kept_by_0_1_0 < WRITERS * 10
    assert len(items) == WRITERS * 10
    assert_each_writers_order(contents(items), WRITERS)


async def test_a_conversation_past_400_kb_keeps_working(
    v010: ModuleType, legacy_table: str, dynamodb: DynamoDBClient, new_session: NewSession
) -> None:
    """1,000 items of 820-byte turns are past one item's 400 KB: 0.1.0 refuses turn 501 and
    every later one; ours stores turns 501 to 510 and reads all 1,020 items back."""
    old = v010.DynamoDBSession("s", dynamodb, legacy_table)
    await old.add_items(turns(0, 480))
    number = 480
    while number < 520:  # 0.1.0 rewrites the whole history each turn, until it no longer fits
        try:
            await old.add_items(turn(number))
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ValidationException"
            break
        number += 1
    assert 490 <= number <= 510
    with pytest.raises(ClientError, match="Item size has exceeded"):
        await old.add_items(turn(number + 1))
    assert len(await old.get_items()) == 2 * number

    session = new_session()
    for first in range(0, 500, MAX_BATCH // 2):
        await session.add_items(turns(first, min(MAX_BATCH // 2, 500 - first)))
    for number in range(500, 510):
        await session.add_items(turn(number))
    items = await new_session().get_items()
    assert len(items) == 1_020
    assert contents(items[:2]) == ["q0", "a0"]
    assert contents(items[998:1002]) == ["q499", "a499", "q500", "a500"]
    assert contents(await session.get_items(limit=2)) == ["q509", "a509"]


async def bytes_per_append(injector: HttpFaultInjector, session: Any, appends: int = 5) -> float:
    """The mean size of the requests one 2-item append sends, over ``appends`` turns."""
    before = len(injector.seen)
    for number in range(appends):
        await session.add_items(turn(number))
    return sum(seen.size for seen in injector.seen[before:]) / appends


async def test_an_append_sends_the_batch_not_the_history(
    v010: ModuleType,
    legacy_table: str,
    dynamodb: DynamoDBClient,
    dynamodb_local: DynamoDBLocal,
    table: str,
    new_session: NewSession,
) -> None:
    """Bytes sent per 2-item append: the same at 10 and 1,000 items of history for ours;
    0.1.0's grow with the history (measured at 10 and 400 items, below its size limit)."""
    async with (
        HttpFaultInjector(dynamodb_local.host, dynamodb_local.port) as injector,
        client_at(injector.port) as client,
    ):
        ours: dict[int, float] = {}
        for history in (10, 1_000):
            session_id = f"bytes-{history:05d}-{uuid.uuid4().hex[:8]}"
            seed = new_session(session_id)
            for first in range(0, history // 2, MAX_BATCH // 2):
                await seed.add_items(turns(first, min(MAX_BATCH // 2, history // 2 - first)))
            session = DynamoDBSession(session_id, client, table)
            await session.get_items(limit=1)  # as the Runner does before its turn
            ours[history] = await bytes_per_append(injector, session)

        old_sizes: dict[int, float] = {}
        for history in (10, 400):
            session_id = f"bytes-{history}"
            await v010.DynamoDBSession(session_id, dynamodb, legacy_table).add_items(
                turns(0, history // 2)
            )
            old = v010.DynamoDBSession(session_id, client, legacy_table)
            old_sizes[history] = await bytes_per_append(injector, old)

    assert ours[1_000] <= ours[10] + 8
    assert ours[10] < 4 * 820  # the two items, the META update, and the request's headers
    assert old_sizes[400] > 20 * old_sizes[10]


async def test_an_expired_session_is_served_and_revived_by_0_1_0_but_not_by_ours(
    v010: ModuleType,
    legacy_table: str,
    dynamodb: DynamoDBClient,
    table: str,
    session_id: str,
    new_session: NewSession,
) -> None:
    """A session whose TTL ran out, before DynamoDB's sweeper ran: 0.1.0 still returns its
    items and an append revives them; ours returns nothing and an append starts anew."""
    old = v010.DynamoDBSession("s", dynamodb, legacy_table, ttl_seconds=-60)
    await old.add_items([user("old")])
    assert await old.get_items() == [user("old")]
    await old.add_items([user("new")])
    assert await old.get_items() == [user("old"), user("new")]

    session = new_session(ttl_seconds=60)
    await session.add_items([user("old")])
    await dynamodb.update_item(  # as time passing would, before DynamoDB's sweeper runs
        TableName=table,
        Key=key(session_id, META_SK),
        UpdateExpression="SET #ttl = :past",
        ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 60)}},
    )
    assert await session.get_items() == []
    assert await session.pop_item() is None
    await new_session(ttl_seconds=60).add_items([user("new")])
    assert await new_session().get_items() == [user("new")]
