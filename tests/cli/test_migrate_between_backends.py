"""``migrate`` between this library's Redis and DynamoDB stores, and from the SDK's layouts.

The real console script runs in a process of its own, with AWS credentials only from its
environment; sessions are written and read back through ``open_store`` in this process, on a
Redis prefix and a DynamoDB Local table of the test's own.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from agents import SQLiteSession
from agents.extensions.memory import RedisSession as SdkRedisSession
from cli.support import SECRET_ACCESS_KEY, StoreSide, console_script
from dynamodb_servers import ACCESS_KEY_ID, REGION, DynamoDBLocal, sessions_table
from servers import RedisServer, wait_until

from openai_agents_session._store import SessionMetadata, SessionRecord

T = TypeVar("T")

SUMMARY = re.compile(
    r"migrated (\d+) sessions? \((\d+) items?\), skipped (\d+) already present, "
    r"in \d+\.\d\d s \(\d+ sessions/s\)"
)
DRY_RUN = re.compile(
    r"would migrate (\d+) sessions? \((\d+) items?\), skip (\d+) already present; "
    r"read in \d+\.\d\d s \(\d+ sessions/s\), wrote nothing"
)
UNICODE = {"role": "user", "content": 'héllo 🎉 "quoted" \\ back \u2028 ü\u0301 中文'}
ASSISTANT = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Paris ✈", "annotations": []}],
}
# Beyond 64 bits either way, and a float that must stay a float.
BIG_INTS = {"type": "custom", "n": 2**70 + 1, "m": -(2**80) - 3, "f": 1.5, "z": 2**64}
# JSON's corners: null, booleans, empty strings, a float that looks whole, nested unicode keys.
CORNERS = {
    "type": "custom",
    "none": None,
    "yes": True,
    "empty": "",
    "whole": 2.0,
    "huge": 1e300,
    "nested": {"ключ": [1, [2, {"é": None, "": []}]]},
}
CALL = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"x": 1}'}
OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": "ok"}
MEGABYTE = {"role": "user", "content": "m" * 1_000_000}
LONG_SESSION = 1_500
CREATED = 1_700_000_000.123456
UPDATED = 1_700_003_600.654321
TTL = 600


def long_history() -> list[Any]:
    return [{"role": "user", "content": f"message {n} é"} for n in range(LONG_SESSION)]


def source_records() -> list[SessionRecord]:
    """The sessions every store-to-store test migrates: odd items, sizes, TTL and metadata."""
    meta = SessionMetadata(CREATED, UPDATED, "Trip to Paris ✈", "ada", ("travel", "été"))
    return [
        SessionRecord("plain", [UNICODE, ASSISTANT, BIG_INTS, CORNERS, CALL, OUTPUT], TTL, meta),
        SessionRecord("sessão-🎉", [UNICODE, BIG_INTS], None, SessionMetadata(owner="ada")),
        SessionRecord("big", [UNICODE, MEGABYTE, ASSISTANT], TTL, SessionMetadata(owner="bob")),
        SessionRecord("long", long_history(), None, SessionMetadata(title="long one")),
    ]


def counts(out: str, pattern: re.Pattern[str] = SUMMARY) -> tuple[int, int, int]:
    match = pattern.fullmatch(out.strip())
    assert match is not None, out
    migrated, items, skipped = (int(group) for group in match.groups())
    return migrated, items, skipped


def assert_same_expiry(copied: float | None, source: float | None) -> None:
    """Both never expire, or expire within two seconds (TTLs count whole seconds)."""
    if source is None or copied is None:
        assert copied is source
    else:
        assert abs(copied - source) <= 2, (copied, source)


def assert_written_between(metadata: SessionMetadata, before: float, after: float) -> None:
    """The SDK's own timestamps came over: both fall in the time the SDK wrote the session.

    The SDK's layouts keep whole seconds.
    """
    for stamp in (metadata.created_at, metadata.updated_at):
        assert stamp is not None and before - 1 <= stamp <= after + 1, (stamp, before, after)


@pytest.fixture
def redis_side(standalone_server: RedisServer, key_prefix: str) -> Iterator[StoreSide]:
    """A Redis prefix of the test's own; its keys are deleted afterwards."""
    yield StoreSide(standalone_server.url, key_prefix)
    client = redis.Redis.from_url(standalone_server.url)
    try:
        for key in list(client.scan_iter(match=f"*{key_prefix}*", count=1000)):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def dynamodb_side(dynamodb_local: DynamoDBLocal) -> Iterator[StoreSide]:
    """A table of the library's layout, of the test's own, deleted afterwards."""
    with sessions_table(dynamodb_local, "between") as table:
        yield StoreSide(
            f"dynamodb://{table}?region={REGION}&endpoint_url={dynamodb_local.endpoint_url}",
            options={
                "aws_access_key_id": ACCESS_KEY_ID,
                "aws_secret_access_key": SECRET_ACCESS_KEY,
            },
        )


@pytest.fixture(params=["redis-to-dynamodb", "dynamodb-to-redis"])
def ends(
    request: pytest.FixtureRequest, redis_side: StoreSide, dynamodb_side: StoreSide
) -> tuple[StoreSide, StoreSide]:
    """The source and the target of one direction."""
    if request.param == "redis-to-dynamodb":
        return redis_side, dynamodb_side
    return dynamodb_side, redis_side


@pytest.fixture
def migrate(aws_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the console script's ``migrate`` with the AWS environment."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [console_script(), "migrate", *args],
            capture_output=True,
            text=True,
            env=aws_env,
            timeout=120,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert SECRET_ACCESS_KEY not in result.stdout + result.stderr
        return result

    return run


Migrate = Callable[..., subprocess.CompletedProcess[str]]


def test_migrate_keeps_items_ttl_metadata_and_owners(
    ends: tuple[StoreSide, StoreSide], migrate: Migrate
) -> None:
    """Items exactly, TTL to the second, metadata and owner; the owner listing shows them."""
    source, target = ends
    expected = {record.session_id: record for record in source_records()}
    source.put(*expected.values())
    expiries = {session_id: source.expiry(session_id) for session_id in expected}

    result = migrate(*source.as_source, *target.as_target)
    again = migrate(*source.as_source, *target.as_target)

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (4, 11 + LONG_SESSION, 0)
    copied = target.records()
    assert set(copied) == set(expected)
    for session_id, record in expected.items():
        got = copied[session_id]
        assert got.items == record.items, session_id
        assert got.metadata.title == record.metadata.title
        assert got.metadata.owner == record.metadata.owner
        assert got.metadata.tags == record.metadata.tags
        assert (got.ttl_seconds is None) == (record.ttl_seconds is None)
        assert_same_expiry(target.expiry(session_id), expiries[session_id])
    plain = copied["plain"].metadata
    assert plain.created_at == pytest.approx(CREATED, abs=1e-6)
    assert plain.updated_at == pytest.approx(UPDATED, abs=1e-6)
    assert isinstance(copied["plain"].items[2]["n"], int)
    assert isinstance(copied["plain"].items[3]["whole"], float)
    wait_until(
        lambda: target.owned("ada") == {"plain", "sessão-🎉"} and target.owned("bob") == {"big"},
        timeout=10,
        message="the target's owner listing shows the migrated sessions",
    )
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == (0, 0, 4)
    unchanged = {session_id: (r.items, r.metadata) for session_id, r in copied.items()}
    assert {session_id: (r.items, r.metadata) for session_id, r in target.records().items()} == (
        unchanged
    )


def test_migrate_dry_run_writes_nothing(
    ends: tuple[StoreSide, StoreSide], migrate: Migrate
) -> None:
    """--dry-run counts what would move, and what is present already, and writes nothing."""
    source, target = ends
    records = source_records()[:2]
    source.put(*records)
    present = SessionRecord("plain", [{"role": "user", "content": "already here"}])
    target.put(present)

    result = migrate(*source.as_source, "--dry-run", *target.as_target)

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout, DRY_RUN) == (1, 2, 1)
    assert target.records() == {"plain": target.records()["plain"]}
    assert target.records()["plain"].items == present.items


def test_migrate_replace_overwrites(ends: tuple[StoreSide, StoreSide], migrate: Migrate) -> None:
    """A present session is skipped, and overwritten with its metadata under --replace.

    The replaced session leaves its old owner's listing for its new owner's.
    """
    source, target = ends
    record = source_records()[0]
    source.put(record)
    expiry = source.expiry("plain")
    stale = SessionRecord(
        "plain",
        [{"role": "user", "content": f"stale {n}"} for n in range(150)],
        None,
        SessionMetadata(title="old", owner="zoe"),
    )
    target.put(stale)

    skipped = migrate(*source.as_source, *target.as_target)
    kept = target.records()["plain"]
    replaced = migrate(*source.as_source, "--replace", *target.as_target)

    assert counts(skipped.stdout) == (0, 0, 1)
    assert kept.items == stale.items and kept.metadata.title == "old"
    assert replaced.returncode == 0, replaced.stderr
    assert counts(replaced.stdout) == (1, 6, 0)
    copied = target.records()["plain"]
    assert copied.items == record.items
    assert copied.metadata.title == record.metadata.title
    assert copied.metadata.owner == "ada"
    assert_same_expiry(target.expiry("plain"), expiry)
    wait_until(
        lambda: target.owned("ada") == {"plain"} and not target.owned("zoe"),
        timeout=10,
        message="the replaced session is listed under its new owner only",
    )


def test_expired_sessions_of_a_dynamodb_source_are_left_out(
    redis_side: StoreSide, dynamodb_side: StoreSide, migrate: Migrate
) -> None:
    """A session past its expiry but not yet swept by DynamoDB is not migrated."""
    dynamodb_side.put(
        SessionRecord("live", [UNICODE], TTL),
        SessionRecord("expiring", [UNICODE], 1),
    )
    wait_until(
        lambda: dynamodb_side.expiry("expiring") is None,
        timeout=5,
        message="the session's expiry passes",
    )

    result = migrate(*dynamodb_side.as_source, *redis_side.as_target)

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (1, 1, 0)
    assert set(redis_side.records()) == {"live"}


def test_a_session_id_dynamodb_cannot_hold_is_named_and_the_rest_copied(
    redis_side: StoreSide, dynamodb_side: StoreSide, migrate: Migrate
) -> None:
    """A partition key holds 2,048 bytes: a longer Redis id fails alone, named, exit 1."""
    too_long = "é" * 1_100  # 2,200 bytes of UTF-8
    redis_side.put(*(SessionRecord(session_id, [UNICODE]) for session_id in ("a", too_long, "b")))

    result = migrate(*redis_side.as_source, *dynamodb_side.as_target)

    assert result.returncode == 1, result.stderr
    assert counts(result.stdout) == (2, 2, 0)
    assert set(dynamodb_side.records()) == {"a", "b"}
    assert result.stderr.splitlines()[-1] == (
        f"error: 1 session could not be migrated: {too_long!r}"
    )


def sdk_history(session_id: str) -> list[Any]:
    return [UNICODE, CALL, OUTPUT, BIG_INTS, {"role": "user", "content": f"bye {session_id}"}]


def test_migrate_from_sdk_sqlite_into_dynamodb(
    dynamodb_side: StoreSide, migrate: Migrate, tmp_path: Path
) -> None:
    """The SDK's SQLiteSession file: items exactly, no TTL; a re-run skips everything."""
    database = tmp_path / "agents.db"
    ids = ["a", "b", "sessão-🎉"]
    before = time.time()

    async def write() -> None:
        for session_id in ids:
            session = SQLiteSession(session_id, database)
            try:
                await session.add_items(sdk_history(session_id)[:2])
                await session.add_items(sdk_history(session_id)[2:])
            finally:
                session.close()

    asyncio.run(write())
    after = time.time()

    result = migrate("--from", f"sqlite:{database}", *dynamodb_side.as_target)
    again = migrate("--from", f"sqlite:{database}", *dynamodb_side.as_target)

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (3, 15, 0)
    copied = dynamodb_side.records()
    assert set(copied) == set(ids)
    for session_id in ids:
        assert copied[session_id].items == sdk_history(session_id)
        assert copied[session_id].ttl_seconds is None
        assert_written_between(copied[session_id].metadata, before, after)
    assert counts(again.stdout) == (0, 0, 3)


def test_migrate_from_the_sdk_redis_layout_into_dynamodb(
    redis_side: StoreSide, dynamodb_side: StoreSide, migrate: Migrate
) -> None:
    """The SDK's RedisSession keys: items exactly and the remaining TTL; a re-run skips all."""
    sdk_prefix = f"{redis_side.prefix}-sdk"
    ttls = {"u1": TTL, "u2": None, "team:7": TTL}

    async def write() -> None:
        for session_id, ttl in ttls.items():
            sdk = SdkRedisSession.from_url(
                session_id, url=redis_side.url, key_prefix=sdk_prefix, ttl=ttl
            )
            try:
                await sdk.add_items(sdk_history(session_id))
            finally:
                await sdk.close()

    before = time.time()
    asyncio.run(write())
    after = time.time()
    source = ["--from", f"sdk-redis:{redis_side.url}", "--from-prefix", sdk_prefix]

    result = migrate(*source, *dynamodb_side.as_target)
    again = migrate(*source, *dynamodb_side.as_target)

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (3, 15, 0)
    copied = dynamodb_side.records()
    assert set(copied) == set(ttls)
    for session_id, ttl in ttls.items():
        assert copied[session_id].items == sdk_history(session_id)
        expiry = dynamodb_side.expiry(session_id)
        if ttl is None:
            assert expiry is None
        else:
            # The SDK set each TTL while writing; the copy expires within the same second.
            assert expiry is not None and before + ttl - 2 <= expiry <= after + ttl + 2
        assert_written_between(copied[session_id].metadata, before, after)
    assert counts(again.stdout) == (0, 0, 3)


def test_aws_options_fill_a_dynamodb_source(
    redis_side: StoreSide, dynamodb_side: StoreSide, migrate: Migrate
) -> None:
    """--region and --endpoint-url complete a bare dynamodb:// source, as for a target."""
    dynamodb_side.put(source_records()[0])
    table = dynamodb_side.url.partition("://")[2].partition("?")[0]
    endpoint = dynamodb_side.url.partition("endpoint_url=")[2]

    result = migrate(
        "--from",
        f"dynamodb://{table}",
        "--region",
        REGION,
        "--endpoint-url",
        endpoint,
        *redis_side.as_target,
    )

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (1, 6, 0)
    assert result.stderr.startswith(f"migrating dynamodb://{table}?region={REGION}&endpoint_url=")
    assert redis_side.records()["plain"].items == source_records()[0].items


def test_a_profile_supplies_a_dynamodb_source_its_credentials_and_region(
    redis_side: StoreSide, dynamodb_side: StoreSide, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """--profile picks the source's credentials and region from the AWS files."""
    dynamodb_side.put(source_records()[1])
    (tmp_path / "aws-credentials").write_text(
        f"[old]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    (tmp_path / "aws-config").write_text(f"[profile old]\nregion = {REGION}\n")
    env = {name: value for name, value in aws_env.items() if "ACCESS_KEY" not in name}
    table = dynamodb_side.url.partition("://")[2].partition("?")[0]
    endpoint = dynamodb_side.url.partition("endpoint_url=")[2]

    result = subprocess.run(
        [
            console_script(),
            "migrate",
            "--from",
            f"dynamodb://{table}",
            "--profile",
            "old",
            "--endpoint-url",
            endpoint,
            *redis_side.as_target,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (1, 2, 0)
    assert result.stderr.startswith(f"migrating dynamodb://{table}?endpoint_url=")
    assert "(profile old) into" in result.stderr
    assert SECRET_ACCESS_KEY not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-prefix", "x"], "--from-prefix applies to Redis sources only"),
        (["--region", "eu-west-1"], "--region 'eu-west-1' differs from region='us-east-1'"),
        (["--delete-source"], "--delete-source applies to a dynamodb-0.1.0:// source only"),
    ],
)
def test_options_a_dynamodb_source_refuses(
    redis_side: StoreSide, dynamodb_side: StoreSide, migrate: Migrate, args: list[str], message: str
) -> None:
    """The table is the namespace of a dynamodb:// source: usage errors, exit 2."""
    result = migrate("--from", dynamodb_side.url, *args, *redis_side.as_target)

    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_a_dynamodb_source_that_is_the_target_is_refused(
    dynamodb_side: StoreSide, migrate: Migrate
) -> None:
    """The same table on both sides: a usage error, exit 2, nothing read."""
    result = migrate("--from", dynamodb_side.url, *dynamodb_side.as_target)

    assert result.returncode == 2, result.stderr
    assert "is the destination itself" in result.stderr


def test_the_unknown_source_error_names_dynamodb(redis_side: StoreSide, migrate: Migrate) -> None:
    """A source of no known form lists every kind, dynamodb:// among them."""
    result = migrate("--from", "mysql://x", *redis_side.as_target)

    assert result.returncode == 2, result.stderr
    assert "dynamodb-0.1.0://TABLE, dynamodb://TABLE" in result.stderr
