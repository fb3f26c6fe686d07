"""DynamoDBSessionStore and the owner index: what the contract suite cannot see from outside."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from dynamodb.support import stored, user
from dynamodb_servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    DynamoDBLocal,
    dynamodb_client,
)
from proxy import FaultProxy

from openai_agents_session import SessionRecord, open_store
from openai_agents_session.cli import main
from openai_agents_session.dynamodb import (
    DynamoDBSession,
    DynamoDBSessionStore,
    create_table_if_not_exists,
)
from openai_agents_session.dynamodb._schema import META_SK, OWNER_INDEX
from openai_agents_session.errors import ConfigurationError

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@pytest.fixture
async def own_table(dynamodb: DynamoDBClient) -> AsyncIterator[str]:
    """A table of this test's own, so listing sees only what the test wrote."""
    name = f"store-{uuid.uuid4().hex[:12]}"
    await create_table_if_not_exists(dynamodb, name, enable_ttl=False)
    yield name
    await dynamodb.delete_table(TableName=name)


async def index_entries(client: DynamoDBClient, table: str) -> list[tuple[str, str]]:
    """Every entry of the owner index, as (owner, session id)."""
    reply = await client.scan(TableName=table, IndexName=OWNER_INDEX)
    return sorted((item["owner"]["S"], item["pk"]["S"]) for item in reply["Items"])


async def all_owner_ids(store: DynamoDBSessionStore, owner: str, count: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await store.owner_page(owner, cursor=cursor, count=count)
        assert len(page.sessions) == count or page.cursor is None, "a short page before the end"
        ids += [entry.session_id for entry in page.sessions]
        if page.cursor is None:
            return ids
        cursor = page.cursor


async def test_owner_index_is_sparse(dynamodb: DynamoDBClient, own_table: str) -> None:
    """Only META items of owned sessions are in the index: no messages, no unowned sessions."""
    await DynamoDBSession("owned", dynamodb, own_table, owner="ada").add_items(
        [user("a"), user("b")]
    )
    await DynamoDBSession("unowned", dynamodb, own_table).add_items([user("c")])
    await DynamoDBSession("titled", dynamodb, own_table).set_metadata(title="no owner")
    assert await index_entries(dynamodb, own_table) == [("ada", "owned")]


async def test_changing_the_owner_moves_the_index_entry(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """set_metadata(owner=...) leaves one entry, under the new owner; None removes it."""
    session = DynamoDBSession("s", dynamodb, own_table, owner="ada")
    await session.add_items([user("a")])
    await session.set_metadata(owner="bob")
    assert await index_entries(dynamodb, own_table) == [("bob", "s")]
    assert session.owner == "bob"
    await session.set_metadata(owner=None)
    assert await index_entries(dynamodb, own_table) == []


async def test_owner_pages_cover_250_sessions_once_newest_first(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Pages of 20 over 250 sessions (and unowned ones between): each once, newest first."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    written: list[str] = []
    for n in range(250):
        await DynamoDBSession(f"chat-{n:03d}", dynamodb, own_table, owner="ada").add_items(
            [user(str(n))]
        )
        written.append(f"chat-{n:03d}")
        if n % 10 == 0:
            await DynamoDBSession(f"other-{n}", dynamodb, own_table).add_items([user("x")])
    listed = await all_owner_ids(store, "ada", 20)
    assert listed == written[::-1]
    page = await store.owner_page("ada", count=250)
    times = [entry.updated_at for entry in page.sessions]
    assert times == sorted(times, reverse=True) and page.cursor is None


async def test_owner_pages_skip_empty_and_expired_sessions_without_short_pages(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Expired and emptied sessions between live ones are filtered, and pages stay full."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    live = []
    for n in range(12):
        expiring = n % 3 != 0
        session = DynamoDBSession(
            f"s{n:02d}", dynamodb, own_table, owner="ada", ttl_seconds=1 if expiring else None
        )
        await session.add_items([user(str(n))])
        if not expiring:
            live.append(f"s{n:02d}")
    await asyncio.sleep(2.1)  # past the 1 s TTL: the table's sweeper is off
    assert META_SK in await stored(dynamodb, own_table, "s01"), "the expired META is still stored"
    assert await all_owner_ids(store, "ada", 2) == live[::-1]


async def test_cursor_of_another_owner_is_refused(dynamodb: DynamoDBClient, own_table: str) -> None:
    """A cursor names its owner: used for another owner it is a ConfigurationError."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    for n in range(3):
        await DynamoDBSession(f"s{n}", dynamodb, own_table, owner="ada").add_items([user("a")])
    page = await store.owner_page("ada", count=1)
    assert page.cursor is not None
    assert len((await store.owner_page("ada", cursor=page.cursor, count=1)).sessions) == 1
    with pytest.raises(ConfigurationError, match="cursor"):
        await store.owner_page("bob", cursor=page.cursor)


async def test_parallel_scan_lists_each_session_once(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Eight segments over 250 sessions of several items: every id once, and the count."""
    ids = [f"s-{n:03d}" for n in range(250)]
    for session_id in ids:
        await DynamoDBSession(session_id, dynamodb, own_table).add_items(
            [user("a"), user("b"), user("c")]
        )
    store = DynamoDBSessionStore(dynamodb, own_table, scan_segments=8)
    listed = [session_id async for session_id in store.list_sessions()]
    assert sorted(listed) == ids
    assert await store.count_sessions() == 250
    assert await store.count_sessions("s-1??") == 100


async def test_expired_sessions_are_not_listed_before_they_are_swept(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Expired sessions still stored are left out of list, count, info and export."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    await DynamoDBSession("short", dynamodb, own_table, ttl_seconds=1).add_items([user("a")])
    await DynamoDBSession("long", dynamodb, own_table, ttl_seconds=600).add_items([user("b")])
    await asyncio.sleep(2.1)
    assert META_SK in await stored(dynamodb, own_table, "short")
    assert [session_id async for session_id in store.list_sessions()] == ["long"]
    assert await store.count_sessions() == 1
    assert (await store.info("short")).exists is False
    assert await store.export_session("short") is None
    assert (await store.get_metadata("short")).created_at is None


async def test_sessions_without_items_are_not_listed(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Cleared, popped-empty and metadata-only sessions keep META but are not sessions."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    cleared = DynamoDBSession("cleared", dynamodb, own_table, owner="ada")
    await cleared.add_items([user("a")])
    await cleared.clear_session()
    popped = DynamoDBSession("popped", dynamodb, own_table, owner="ada")
    await popped.add_items([user("a")])
    await popped.pop_item()
    await DynamoDBSession("titled", dynamodb, own_table).set_metadata(title="t")
    assert [session_id async for session_id in store.list_sessions()] == []
    assert await store.count_sessions() == 0
    assert await index_entries(dynamodb, own_table) == []


async def test_set_metadata_on_an_expired_session_does_not_revive_its_items(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Metadata written after expiry starts a new, empty session; old items stay gone."""
    session = DynamoDBSession("s", dynamodb, own_table, ttl_seconds=1)
    await session.add_items([user("old")])
    await session.set_metadata(title="old title", tags=["t"])
    await asyncio.sleep(2.1)
    fresh = DynamoDBSession("s", dynamodb, own_table, ttl_seconds=60)
    await fresh.set_metadata(title="new")
    metadata = await fresh.get_metadata()
    assert (metadata.title, metadata.tags) == ("new", ())
    assert await fresh.get_items() == []
    await fresh.add_items([user("new")])
    assert await fresh.get_items() == [user("new")]
    assert (await fresh.get_metadata()).title == "new"


async def test_import_beyond_one_transaction_is_staged_and_published_whole(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """1,000 items and a 1 MB item: staged under a lease, published by one update, lease gone;
    a second import of it is skipped, and --replace swaps it for a small one."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    items = [user(str(n)) for n in range(1000)] + [user("x" * 1_000_000)]
    assert await store.import_session(SessionRecord("big", items, 600))
    assert await DynamoDBSession("big", dynamodb, own_table).get_items() == items
    meta = (
        await dynamodb.get_item(
            TableName=own_table, Key={"pk": {"S": "big"}, "sk": {"S": "~meta"}}, ConsistentRead=True
        )
    )["Item"]
    assert "lease" not in meta
    assert 590 < int(meta["ttl"]["N"]) - time.time() <= 601  # rounded up to a second
    assert not await store.import_session(SessionRecord("big", items))
    assert await store.import_session(SessionRecord("big", [user("small")]), replace=True)
    assert await DynamoDBSession("big", dynamodb, own_table).get_items() == [user("small")]
    assert len(await stored(dynamodb, own_table, "big")) == 2  # META and the one item


async def test_concurrent_imports_of_a_big_session_write_it_once(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Two imports of one staged session at once: one writes it, the other finds it there."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    items = [user(str(n)) for n in range(300)]
    written = await asyncio.gather(
        *(store.import_session(SessionRecord("big", items)) for _ in range(2))
    )
    assert sorted(written) == [False, True]
    assert await DynamoDBSession("big", dynamodb, own_table).get_items() == items


async def test_import_replace_deletes_the_old_items(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Replacing a session leaves only the new items and META stored."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    await DynamoDBSession("s", dynamodb, own_table).add_items([user(str(n)) for n in range(5)])
    assert await store.import_session(SessionRecord("s", [user("new")]), replace=True)
    assert len(await stored(dynamodb, own_table, "s")) == 2
    assert await DynamoDBSession("s", dynamodb, own_table).get_items() == [user("new")]


async def test_info_counts_the_bytes_of_the_session(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """size_bytes grows with the items: a 10 KB item adds about 10 KB."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    session = DynamoDBSession("s", dynamodb, own_table)
    await session.add_items([user("a")])
    small = (await store.info("s")).size_bytes
    await session.add_items([user("x" * 10_000)])
    big = (await store.info("s")).size_bytes
    assert small is not None and big is not None
    assert 10_000 < big - small < 10_200


async def test_create_table_adds_the_owner_index_to_an_older_table(
    dynamodb: DynamoDBClient,
) -> None:
    """A table without the index refuses owner listing by name; create_table... adds it."""
    name = f"old-{uuid.uuid4().hex[:12]}"
    await dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        await DynamoDBSession("s", dynamodb, name, owner="ada").add_items([user("a")])
        store = DynamoDBSessionStore(dynamodb, name)
        with pytest.raises(ConfigurationError, match="create_table_if_not_exists"):
            await store.owner_page("ada")
        assert await create_table_if_not_exists(dynamodb, name, enable_ttl=False) is False
        page = await store.owner_page("ada")
        assert [entry.session_id for entry in page.sessions] == ["s"]
    finally:
        await dynamodb.delete_table(TableName=name)


def _client_options() -> dict[str, Any]:
    return {
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
        "config": AioConfig(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=2),
    }


async def test_open_store_serves_the_dynamodb_scheme(
    dynamodb_local: DynamoDBLocal, dynamodb: DynamoDBClient, own_table: str
) -> None:
    """open_store('dynamodb://TABLE?...') opens a store with its own client, closed on exit."""
    await DynamoDBSession("s", dynamodb, own_table).add_items([user("a")])
    url = f"dynamodb://{own_table}?region={REGION}&endpoint_url={dynamodb_local.endpoint_url}"
    async with open_store(url, **_client_options()) as store:
        assert isinstance(store, DynamoDBSessionStore)
        assert [session_id async for session_id in store.list_sessions()] == ["s"]


async def test_ping_answers_false_during_an_outage(
    dynamodb_local: DynamoDBLocal, own_table: str
) -> None:
    """ping() is True through a healthy proxy and False while it refuses connections."""
    port = int(dynamodb_local.endpoint_url.rsplit(":", 1)[1])
    async with FaultProxy(dynamodb_local.host, port) as proxy:
        client_context = AioSession().create_client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{proxy.port}",
            **_client_options(),
        )
        async with client_context as client:
            session = DynamoDBSession("s", client, own_table)
            assert await session.ping() is True
            proxy.refuse()
            await proxy.cut_all()
            assert await session.ping() is False
            proxy.accept()
            assert await session.ping() is True


async def test_metadata_of_a_session_that_expired_before_its_first_append_is_gone(
    dynamodb: DynamoDBClient, own_table: str
) -> None:
    """Metadata set with a TTL and left to expire does not come back with a later append."""
    await DynamoDBSession("s", dynamodb, own_table, ttl_seconds=1).set_metadata(title="old")
    await asyncio.sleep(2.1)
    session = DynamoDBSession("s", dynamodb, own_table, owner="ada")
    assert (await session.get_metadata()).title is None
    await session.add_items([user("a")])
    metadata = await session.get_metadata()
    assert (metadata.title, metadata.owner) == (None, "ada")
    assert await session.get_items() == [user("a")]


async def test_import_whose_reply_was_lost_is_applied_once_by_the_retry(
    dynamodb_local: DynamoDBLocal, dynamodb: DynamoDBClient, own_table: str
) -> None:
    """botocore's retry of a lost TransactWriteItems reply is the same request: True, once."""
    port = int(dynamodb_local.endpoint_url.rsplit(":", 1)[1])
    async with FaultProxy(dynamodb_local.host, port) as proxy:
        client_context = AioSession().create_client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{proxy.port}",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=AioConfig(retries={"mode": "standard", "total_max_attempts": 3}),
        )
        async with client_context as client:
            store = DynamoDBSessionStore(client, own_table)
            proxy.drop_next_reply(matching=b"TransactWriteItems")
            record = SessionRecord("s", [user("a"), user("b"), user("c")], 600)
            assert await store.import_session(record) is True
    assert sorted(await stored(dynamodb, own_table, "s")) == [
        "m#0000000000000000",
        "m#0000000000000001",
        "m#0000000000000002",
        META_SK,
    ]
    assert await DynamoDBSession("s", dynamodb, own_table).get_items() == record.items


def test_command_line_lists_a_dynamodb_table(
    dynamodb_local: DynamoDBLocal,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``openai-agents-session ls --url dynamodb://...`` lists the table's sessions."""
    name = f"cli-{uuid.uuid4().hex[:12]}"

    async def prepare() -> None:
        async with dynamodb_client(dynamodb_local) as client:
            await create_table_if_not_exists(client, name, enable_ttl=False)
            for session_id in ("chat-1", "chat-2"):
                session = DynamoDBSession(session_id, client, name, owner="ada")
                await session.add_items([user("a")])

    async def drop() -> None:
        async with dynamodb_client(dynamodb_local) as client:
            await client.delete_table(TableName=name)

    asyncio.run(prepare())
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        url = f"dynamodb://{name}?region={REGION}&endpoint_url={dynamodb_local.endpoint_url}"
        assert main(["ls", "--url", url]) == 0
        rows = capsys.readouterr().out.splitlines()[1:]
        assert sorted(row.split()[0] for row in rows) == ["chat-1", "chat-2"]
        assert main(["ls", "--url", url, "--prefix", "other"]) != 0
        assert "key_prefix 'other'" in capsys.readouterr().err
    finally:
        asyncio.run(drop())


async def test_export_session_is_one_query(dynamodb: DynamoDBClient, own_table: str) -> None:
    """META comes with the items in one consistent Query: no separate read of it."""
    store = DynamoDBSessionStore(dynamodb, own_table)
    await DynamoDBSession("s", dynamodb, own_table, ttl_seconds=600).add_items([user("a")])
    await store.count_sessions()  # the store's one-time table check
    operations: list[str] = []

    def count(model: Any, **_: Any) -> None:
        operations.append(model.name)

    dynamodb.meta.events.register("before-call.dynamodb", count)
    try:
        record = await store.export_session("s")
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb", count)
    assert operations == ["Query"]
    assert record is not None and record.items == [user("a")]
    assert record.ttl_seconds is not None and 590 < record.ttl_seconds <= 600
