"""DynamoDBSession against DynamoDB Local: the Session protocol, races, expiry, exactly-once."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from dynamodb.support import stored, user
from dynamodb_servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, DynamoDBLocal
from servers import free_port

from openai_agents_session.dynamodb import (
    DynamoDBSession,
    DynamoDBSessionStore,
    create_table_if_not_exists,
)
from openai_agents_session.dynamodb._schema import META_SK, key, message_sk
from openai_agents_session.errors import (
    BackendUnavailableError,
    ConfigurationError,
    SessionClosedError,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

NewSession = Callable[..., DynamoDBSession]


async def stored_keys(client: DynamoDBClient, table: str, session_id: str) -> list[str]:
    return sorted(await stored(client, table, session_id))


async def test_items_come_back_oldest_first_and_limit_takes_the_newest(
    new_session: NewSession,
) -> None:
    """get_items returns what add_items stored, in order; limit keeps the newest."""
    session = new_session()
    assert await session.get_items() == []
    await session.add_items([user("a"), user("b")])
    await session.add_items([user("c")])
    assert await session.get_items() == [user("a"), user("b"), user("c")]
    assert await session.get_items(limit=2) == [user("b"), user("c")]
    assert await session.get_items(limit=0) == []
    assert await session.get_items(limit=10) == [user("a"), user("b"), user("c")]
    assert await new_session().get_items() == [user("a"), user("b"), user("c")]


async def test_pop_item_removes_the_newest_and_returns_none_when_empty(
    new_session: NewSession,
) -> None:
    """pop_item returns items newest first, then None; an append after pops continues."""
    session = new_session()
    assert await session.pop_item() is None
    await session.add_items([user("a"), user("b")])
    assert await session.pop_item() == user("b")
    await session.add_items([user("c")])
    assert await session.get_items() == [user("a"), user("c")]
    assert await session.pop_item() == user("c")
    assert await session.pop_item() == user("a")
    assert await session.pop_item() is None


async def test_clear_session_empties_at_once_and_deletes_every_item(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """After clear_session the session reads empty and only its META item is left."""
    session = new_session()
    for start in range(0, 60, 20):
        await session.add_items([user(str(i)) for i in range(start, start + 20)])
    await session.clear_session()
    assert await session.get_items() == []
    assert await session.pop_item() is None
    assert await stored_keys(dynamodb, table, session_id) == [META_SK]
    await session.add_items([user("after")])
    assert await new_session().get_items() == [user("after")]


async def test_clear_session_of_an_unknown_session_does_nothing(new_session: NewSession) -> None:
    """Clearing a session that was never written is a no-op."""
    await new_session().clear_session()
    assert await new_session().get_items() == []


async def test_get_items_without_limit_reads_every_page(new_session: NewSession) -> None:
    """A history larger than one 1 MB Query page comes back whole, in order."""
    session = new_session()
    big = "x" * 20_000
    expected = [user(f"{i}{big}") for i in range(80)]  # ~1.6 MB
    for start in range(0, 80, 20):
        await session.add_items(expected[start : start + 20])
    assert await session.get_items() == expected
    assert await session.get_items(limit=3) == expected[-3:]


async def test_twenty_writers_keep_every_item_and_their_order(new_session: NewSession) -> None:
    """20 session objects appending 10 items each to one id store all 200, each in order."""
    writers = [new_session() for _ in range(20)]

    async def write(number: int) -> None:
        for step in range(10):
            await writers[number].add_items([user(f"{number}:{step}")])

    await asyncio.gather(*(write(number) for number in range(20)))
    items = await new_session().get_items()
    assert len(items) == 200
    texts = [item["content"] for item in items]  # type: ignore[typeddict-item]
    for number in range(20):
        mine = [text for text in texts if text.startswith(f"{number}:")]
        assert mine == [f"{number}:{step}" for step in range(10)]


async def test_concurrent_pops_claim_distinct_items(new_session: NewSession) -> None:
    """40 concurrent pops over 30 items return each item once and 10 Nones."""
    await new_session().add_items([user(str(i)) for i in range(30)])
    popped = await asyncio.gather(*(new_session().pop_item() for _ in range(40)))
    found = [item for item in popped if item is not None]
    assert sorted(item["content"] for item in found) == sorted(str(i) for i in range(30))  # type: ignore[typeddict-item]
    assert popped.count(None) == 10
    assert await new_session().get_items() == []


async def expire_now(client: DynamoDBClient, table: str, session_id: str) -> None:
    """Move the session's expiry into the past, as time passing would."""
    await client.update_item(
        TableName=table,
        Key=key(session_id, META_SK),
        UpdateExpression="SET #ttl = :past",
        ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 10)}},
    )


async def test_expired_session_is_not_returned_and_an_append_does_not_revive_it(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """Past its expiry a session reads empty, pops None, and an append starts it anew."""
    session = new_session(ttl_seconds=60)
    await session.add_items([user("old-1"), user("old-2")])
    await expire_now(dynamodb, table, session_id)
    assert await session.get_items() == []
    assert await new_session().pop_item() is None
    await new_session(ttl_seconds=60).add_items([user("new")])
    assert await session.get_items() == [user("new")]
    assert await session.pop_item() == user("new")
    assert await session.pop_item() is None


async def test_writer_that_has_not_seen_the_expiry_does_not_revive_the_session(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """An object whose cached state predates the expiry still starts the session anew."""
    session = new_session(ttl_seconds=60)
    await session.add_items([user("old")])
    await expire_now(dynamodb, table, session_id)
    await session.add_items([user("new")])  # its cache says the session is live
    assert await new_session().get_items() == [user("new")]


async def test_ttl_seconds_expires_the_session(new_session: NewSession) -> None:
    """With ttl_seconds=1 the session is gone two seconds later, before any sweeper runs."""
    session = new_session(ttl_seconds=1)
    await session.add_items([user("short-lived")])
    assert await session.get_items() == [user("short-lived")]
    await asyncio.sleep(2.1)
    assert await session.get_items() == []


async def test_same_batch_id_twice_stores_the_batch_once(new_session: NewSession) -> None:
    """Two objects sending one batch_id store it once; another id stores it again."""
    batch = [user("once"), user("only once")]
    await new_session().add_items(batch, batch_id="job-42")
    await new_session().add_items(batch, batch_id="job-42")
    await new_session().add_items(batch, batch_id="job-43")
    assert await new_session().get_items() == batch * 2


async def test_retry_after_a_cancelled_append_stores_the_batch_once(
    new_session: NewSession,
) -> None:
    """Cancelled at any point, then retried with the same items: stored exactly once."""
    session = new_session()
    batch = [user(f"b{i}") for i in range(20)]
    for step in range(12):
        await session.clear_session()
        task = asyncio.ensure_future(session.add_items(batch))
        await asyncio.sleep(step * 0.002)
        task.cancel()
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, asyncio.CancelledError):
            await session.add_items([dict(item) for item in batch])
        assert await session.get_items() == batch
    await session.add_items(batch)  # after a success, the same items are a new batch
    assert await session.get_items() == batch * 2


async def test_corrupt_item_is_skipped_with_a_warning(
    new_session: NewSession,
    dynamodb: DynamoDBClient,
    table: str,
    session_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A payload that is not a JSON object is skipped and logged; limit counts valid items."""
    session = new_session()
    await session.add_items([user("a"), user("b"), user("c")])
    await dynamodb.put_item(
        TableName=table, Item={**key(session_id, message_sk(1)), "v": {"S": "not json"}}
    )
    with caplog.at_level(logging.WARNING, logger="openai_agents_session.dynamodb"):
        assert await session.get_items() == [user("a"), user("c")]
        assert await session.get_items(limit=2) == [user("a"), user("c")]
    assert "skipped undecodable item" in caplog.text
    assert await session.pop_item() == user("c")
    with caplog.at_level(logging.WARNING, logger="openai_agents_session.dynamodb"):
        assert await session.pop_item() == user("a")
    assert "discarded undecodable item" in caplog.text


async def test_items_left_by_a_swept_meta_item_are_not_returned_and_are_overwritten(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """Once the META item is gone (TTL sweeper), the session is empty; appends start anew."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    await dynamodb.delete_item(TableName=table, Key=key(session_id, META_SK))
    assert await new_session().get_items() == []
    await session.add_items([user("c")])
    assert await new_session().get_items() == [user("c")]
    await new_session().add_items([user("d")])
    assert await session.get_items() == [user("c"), user("d")]


async def test_a_leftover_item_at_next_seq_is_overwritten_and_hides_no_history(
    new_session: NewSession, dynamodb: DynamoDBClient, table: str, session_id: str
) -> None:
    """An item above next_seq (left by an abandoned big batch) never hides the live history."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    for seq in (2, 3):
        await dynamodb.put_item(
            TableName=table,
            Item={**key(session_id, message_sk(seq)), "v": {"S": '{"role":"user","content":"x"}'}},
        )
    assert await new_session().get_items() == [user("a"), user("b")]
    await session.add_items([user("c")])
    assert await new_session().get_items() == [user("a"), user("b"), user("c")]
    assert await new_session().get_items(limit=1) == [user("c")]


async def test_table_of_0_1_0_raises_an_error_naming_the_migrate_command(
    dynamodb: DynamoDBClient,
) -> None:
    """A hash-only table keyed by session_id is refused with the command that migrates it."""
    name = f"old-{uuid.uuid4().hex[:12]}"
    await dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        with pytest.raises(ConfigurationError, match="openai-agents-session migrate"):
            await create_table_if_not_exists(dynamodb, name)
        session = DynamoDBSession("s", dynamodb, name)
        with pytest.raises(ConfigurationError, match=r"0\.1\.0") as caught:
            await session.get_items()
        assert caught.value.__cause__ is not None
        with pytest.raises(ConfigurationError, match="openai-agents-session migrate"):
            await session.add_items([user("a")])
        store = DynamoDBSessionStore(dynamodb, name)  # not listed as a store with no sessions
        with pytest.raises(ConfigurationError, match="openai-agents-session migrate"):
            await store.count_sessions()
    finally:
        await dynamodb.delete_table(TableName=name)


async def test_a_missing_table_is_named_with_how_to_create_it(dynamodb: DynamoDBClient) -> None:
    """Not botocore's bare 'ResourceNotFoundException': the table and the fix."""
    name = f"absent-{uuid.uuid4().hex[:12]}"
    with pytest.raises(ConfigurationError, match=f"table '{name}' does not exist") as caught:
        await DynamoDBSession("s", dynamodb, name).get_items()
    assert caught.value.__cause__ is not None
    with pytest.raises(ConfigurationError, match="create_table_if_not_exists"):
        await DynamoDBSession("s", dynamodb, name).add_items([user("a")])
    with pytest.raises(ConfigurationError, match=f"table '{name}' does not exist"):
        await DynamoDBSessionStore(dynamodb, name).count_sessions()


async def test_create_table_if_not_exists_creates_once_with_ttl(
    dynamodb: DynamoDBClient,
) -> None:
    """The first call creates the table with TTL on 'ttl'; the second finds it."""
    name = f"new-{uuid.uuid4().hex[:12]}"
    try:
        assert await create_table_if_not_exists(dynamodb, name) is True
        assert await create_table_if_not_exists(dynamodb, name) is False
        described = await dynamodb.describe_time_to_live(TableName=name)
        assert described["TimeToLiveDescription"]["AttributeName"] == "ttl"
        table = (await dynamodb.describe_table(TableName=name))["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    finally:
        await dynamodb.delete_table(TableName=name)


async def test_from_url_owns_its_client_and_close_releases_it(
    dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> None:
    """from_url opens a client of its own; after close() the session refuses to work."""
    url = f"dynamodb://{table}?region={REGION}&endpoint_url={dynamodb_local.endpoint_url}"
    options = {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY}
    async with DynamoDBSession.from_url(session_id, url, **options) as session:
        await session.add_items([user("a")])
        assert await session.get_items() == [user("a")]
    with pytest.raises(SessionClosedError):
        await session.get_items()


@pytest.mark.parametrize(
    "url",
    ["redis://x", "dynamodb://", "dynamodb://t?", "dynamodb://tab?colour=red", "dynamodb://a b"],
)
def test_from_url_refuses_a_bad_url(url: str) -> None:
    """A URL that is not dynamodb://TABLE with known options is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        DynamoDBSession.from_url("s", url)


async def test_unreachable_endpoint_is_backend_unavailable(table: str) -> None:
    """A refused connection on loopback is a BackendUnavailableError chained from botocore."""
    url = f"dynamodb://{table}?region={REGION}&endpoint_url=http://127.0.0.1:{free_port()}"
    from aiobotocore.config import AioConfig

    config = AioConfig(retries={"total_max_attempts": 1}, connect_timeout=2)
    async with DynamoDBSession.from_url(
        "s",
        url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=config,
    ) as session:
        with pytest.raises(BackendUnavailableError) as caught:
            await session.get_items()
    assert caught.value.__cause__ is not None


async def test_get_items_with_the_largest_int32_limit_returns_everything(
    new_session: NewSession,
) -> None:
    """A limit of 2**31 - 1 (the SDK's compaction asks for it) reads the whole session."""
    session = new_session()
    await session.add_items([user("a"), user("b")])
    assert await session.get_items(limit=2**31 - 1) == [user("a"), user("b")]


async def test_a_session_id_over_2048_bytes_is_refused_before_any_call(
    dynamodb: DynamoDBClient, table: str
) -> None:
    """A partition key holds 2,048 bytes of UTF-8: 1,024 'é' fit, 1,025 do not."""
    assert await DynamoDBSession("é" * 1024, dynamodb, table).get_items() == []
    with pytest.raises(ConfigurationError, match="2050 bytes of UTF-8"):
        DynamoDBSession("é" * 1025, dynamodb, table)
