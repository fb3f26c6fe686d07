"""Reading the table of this library's 0.1.0 DynamoDBSession, written by 0.1.0 itself."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest
from dynamodb_servers import DynamoDBLocal
from v010_dynamodb import clone_v010_item, load_v010_dynamodb, v010_table, write_v010

from openai_agents_session.errors import BackendError, ConfigurationError
from openai_agents_session.sources import (
    V010DynamoDBReader,
    V010ScanCounts,
    V010Session,
    count_v010_dynamodb_sessions,
    iter_v010_dynamodb_sessions,
    open_v010_dynamodb,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

USER = {"role": "user", "content": 'héllo 🎉 "quoted" \\ back'}
ASSISTANT = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Paris.", "annotations": []}],
}
BIG_NUMBER = {"type": "custom", "n": 2**70 + 1, "tiny": 5e-324}
# About 400 KB once stored: 0.1.0 refuses the turn that takes a session past DynamoDB's cap.
BIG_TEXT = "x" * 95_000


def turns(session_id: str) -> list[list[dict[str, Any]]]:
    return [[USER, ASSISTANT], [BIG_NUMBER, {"role": "user", "content": f"bye {session_id}"}]]


def flat(session_id: str) -> list[dict[str, Any]]:
    return [item for turn in turns(session_id) for item in turn]


async def collect(source: AsyncIterator[V010Session]) -> dict[str, V010Session]:
    found: dict[str, V010Session] = {}
    async for read in source:
        assert read.session.session_id not in found, f"{read.session.session_id!r} twice"
        found[read.session.session_id] = read
    return found


async def put_raw(client: DynamoDBClient, table: str, session_id: str, blob: str) -> None:
    await client.put_item(
        TableName=table,
        Item={
            "session_id": {"S": session_id},
            "conversation_data": {"S": blob},
            "updated_at": {"N": str(int(time.time()))},
        },
    )


async def test_reads_what_0_1_0_wrote(dynamodb_local: DynamoDBLocal) -> None:
    """Items as 0.1.0 returns them, remaining TTL and updated_at; expired and corrupt counted."""
    async with v010_table(dynamodb_local) as (client, table):
        module = load_v010_dynamodb()
        before = int(time.time())
        await write_v010(client, table, {"plain": turns("plain")})
        await write_v010(client, table, {"ttl": turns("ttl")}, ttl_seconds=600)
        await write_v010(client, table, {"expired": turns("expired")}, ttl_seconds=-60)
        big = [[{"role": "user", "content": BIG_TEXT}] for _ in range(4)]
        await write_v010(client, table, {"big": big})
        await put_raw(client, table, "not-json", "{not json")
        await put_raw(client, table, "not-a-list", '{"role": "user"}')
        await put_raw(client, table, "mixed", json.dumps([USER, 7, "text", ASSISTANT]))
        counts = V010ScanCounts()

        found = await collect(iter_v010_dynamodb_sessions(client, table, counts=counts))
        counted = await count_v010_dynamodb_sessions(client, table)

        assert set(found) == {"plain", "ttl", "big", "mixed"}
        assert counts == V010ScanCounts(expired=1, corrupt=2)
        assert counted == 6  # corrupt blobs are only told by decoding
        for session_id in ("plain", "ttl"):
            old = module.DynamoDBSession(session_id, dynamodb_client=client, table_name=table)
            assert found[session_id].session.items == await old.get_items() == flat(session_id)
        assert found["plain"].session.ttl_seconds is None
        ttl = found["ttl"].session.ttl_seconds
        assert ttl is not None and 595 <= ttl <= 600
        updated = found["plain"].session.updated_at
        assert updated is not None and before <= updated <= time.time()
        assert found["big"].session.items == [turn[0] for turn in big]
        assert len(found["big"].read_as["conversation_data"]["S"]) > 380_000
        assert found["mixed"].session.items == [USER, ASSISTANT]
        assert found["mixed"].session.skipped_items == 2


async def test_corrupt_blob_is_logged_and_the_scan_goes_on(
    dynamodb_local: DynamoDBLocal, caplog: pytest.LogCaptureFixture
) -> None:
    """A blob that is not JSON is named in a warning; the sessions after it still come."""
    async with v010_table(dynamodb_local) as (client, table):
        await put_raw(client, table, "broken", "[{]")
        await write_v010(client, table, {f"s{n}": turns("x")[:1] for n in range(5)})
        with caplog.at_level(logging.WARNING, logger="openai_agents_session.migrate"):
            found = await collect(iter_v010_dynamodb_sessions(client, table, segments=1))
    assert set(found) == {f"s{n}" for n in range(5)}
    assert any("'broken'" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("segments", [1, 3])
async def test_every_page_of_every_segment_is_read_once(
    dynamodb_local: DynamoDBLocal, segments: int
) -> None:
    """Over 1 MB of sessions: each Scan segment pages on with LastEvaluatedKey."""
    async with v010_table(dynamodb_local) as (client, table):
        await write_v010(client, table, {"seed": [[{"role": "user", "content": "y" * 20_000}]]})
        ids = [f"c{n:03d}" for n in range(120)]  # 120 x 20 KB: several 1 MB pages
        await clone_v010_item(client, table, "seed", ids)

        found = await collect(iter_v010_dynamodb_sessions(client, table, segments=segments))

        assert set(found) == {"seed", *ids}
        assert await count_v010_dynamodb_sessions(client, table, segments=segments) == 121


async def test_reading_stops_when_the_consumer_stops(dynamodb_local: DynamoDBLocal) -> None:
    """Closing the stream early cancels the Scan tasks: nothing keeps reading behind it."""
    async with v010_table(dynamodb_local) as (client, table):
        await write_v010(client, table, {"seed": [[USER]]})
        await clone_v010_item(client, table, "seed", [f"c{n}" for n in range(200)])
        stream = iter_v010_dynamodb_sessions(client, table, segments=2)
        first = await stream.__anext__()
        await stream.aclose()
    assert first.session.items == [USER]


async def test_delete_removes_only_an_unchanged_session(dynamodb_local: DynamoDBLocal) -> None:
    """A session 0.1.0 rewrote after the read, even within the same second, is kept."""
    async with v010_table(dynamodb_local) as (client, table):
        await write_v010(client, table, {"same": [[USER]], "changed": [[USER]]})
        big = [[{"role": "user", "content": BIG_TEXT}] for _ in range(4)]
        await write_v010(client, table, {"big": big})
        async with _reader(dynamodb_local, table) as reader:
            found = await collect(reader.sessions())
            await write_v010(client, table, {"changed": [[ASSISTANT]]})

            assert await reader.delete(found["same"]) is True
            assert await reader.delete(found["big"]) is True  # a condition on ~380 KB
            assert await reader.delete(found["changed"]) is False
            left = await collect(reader.sessions())
        assert set(left) == {"changed"}
        assert left["changed"].session.items == [USER, ASSISTANT]


async def test_a_missing_table_is_a_backend_error(dynamodb_local: DynamoDBLocal) -> None:
    """The store's refusal comes through the library's errors, as DynamoDB words it."""
    async with _reader(dynamodb_local, "no-such-table") as reader:
        with pytest.raises(BackendError, match="non-existent table"):
            await collect(reader.sessions())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("dynamodb://t123", "expected a URL such as 'dynamodb-0.1.0://TABLE"),
        ("dynamodb-0.1.0://a", "table name 'a' is not valid"),
        ("dynamodb-0.1.0://t123?profile=x", "unknown option 'profile'"),
        ("dynamodb-0.1.0://t123?region=a&region=b", "option 'region' must be given once"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, message: str) -> None:
    """A wrong scheme, table name or option is named before anything connects."""
    with pytest.raises(ConfigurationError, match=message):
        open_v010_dynamodb(url)


def test_without_aiobotocore_the_error_names_the_dynamodb_extra() -> None:
    """The reader needs the driver; without it, the error says which extra to install."""
    code = (
        "import sys\n"
        "sys.modules['aiobotocore'] = None\n"
        "from openai_agents_session import sources\n"
        "try:\n"
        "    sources.open_v010_dynamodb\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("MissingDependencyError"), out
    assert 'pip install "openai-agents-session[dynamodb]"' in out.stdout


def _reader(server: DynamoDBLocal, table: str) -> V010DynamoDBReader:
    from dynamodb_servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

    return open_v010_dynamodb(
        f"dynamodb-0.1.0://{table}?region={REGION}&endpoint_url={server.endpoint_url}",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


async def test_the_scan_stays_a_bounded_distance_ahead(dynamodb_local: DynamoDBLocal) -> None:
    """A consumer that stops after one session: the Scan stops in its first 1 MB page."""
    async with v010_table(dynamodb_local) as (client, table):
        await write_v010(client, table, {"seed": [[{"role": "user", "content": "y" * 20_000}]]})
        await clone_v010_item(client, table, "seed", [f"c{n:03d}" for n in range(150)])
        scans: list[str] = []
        client.meta.events.register("before-call.dynamodb.Scan", lambda **_: scans.append("scan"))
        stream = iter_v010_dynamodb_sessions(client, table, segments=1)
        try:
            await stream.__anext__()
            await asyncio.sleep(0.5)  # room for a reader that runs ahead to do so
            assert scans == ["scan"]  # of the 3+ pages the table has
        finally:
            await stream.aclose()
