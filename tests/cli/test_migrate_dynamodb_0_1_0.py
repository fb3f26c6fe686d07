"""``migrate --from dynamodb-0.1.0://TABLE``: a table made by the published 0.1.0, moved for real.

0.1.0's own DynamoDBSession writes the sessions into DynamoDB Local; the real console script
migrates them in a process of its own (credentials from the environment, as the AWS chain
reads them); the store's ``export`` reads them back. Every test runs against a Redis store
and a ``dynamodb://`` store; the latter is expected to fail until ``open_store`` serves it.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from cli.support import SECRET_ACCESS_KEY, StoreSide, console_script
from dynamodb_servers import ACCESS_KEY_ID, REGION, DynamoDBLocal, dynamodb_client, sessions_table
from servers import RedisServer, wait_until
from v010_dynamodb import (
    clone_v010_item,
    create_v010_table,
    load_v010_dynamodb,
    new_table_name,
    write_v010,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

INTERRUPTED = 130
TARGETS = ["redis", "dynamodb"]

SUMMARY = re.compile(
    r"migrated (\d+) sessions? \((\d+) items?\), skipped (\d+) already present"
    r"(?:, deleted (\d+) source sessions?)?, in \d+\.\d\d s \(\d+ sessions/s\)"
)
USER = {"role": "user", "content": 'héllo 🎉 "quoted" \\ back'}
ASSISTANT = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Paris.", "annotations": []}],
}
BIG_NUMBER = {"type": "custom", "n": 2**70 + 1}
# Four turns of this: about 396 KB stored, just under DynamoDB's 400 KB item cap.
BIG_TURN = [{"role": "user", "content": "z" * 99_000}]


def turns(session_id: str) -> list[list[dict[str, Any]]]:
    return [[USER, ASSISTANT], [BIG_NUMBER, {"role": "user", "content": f"bye {session_id}"}]]


def flat(session_id: str) -> list[dict[str, Any]]:
    return [item for turn in turns(session_id) for item in turn]


def counts(out: str) -> tuple[int, ...]:
    match = SUMMARY.fullmatch(out.strip())
    assert match is not None, out
    return tuple(int(group) for group in match.groups() if group is not None)


@dataclass
class Source:
    """A 0.1.0 table on DynamoDB Local, and how the command line names it."""

    server: DynamoDBLocal
    table: str
    env: dict[str, str]

    @property
    def url(self) -> str:
        return (
            f"dynamodb-0.1.0://{self.table}?region={REGION}&endpoint_url={self.server.endpoint_url}"
        )

    def call(self, work: Any) -> Any:
        async def go() -> Any:
            async with dynamodb_client(self.server) as client:
                return await work(client)

        return asyncio.run(go())

    def write(self, sessions: dict[str, Any], *, ttl_seconds: int | None = None) -> None:
        self.call(lambda client: write_v010(client, self.table, sessions, ttl_seconds=ttl_seconds))

    def items(self) -> dict[str, dict[str, Any]]:
        """Every item of the table, by session id."""

        async def scan(client: DynamoDBClient) -> dict[str, dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            start: Any = None
            while True:
                page: Any = await client.scan(
                    TableName=self.table,
                    ConsistentRead=True,
                    **({"ExclusiveStartKey": start} if start else {}),
                )
                found |= {item["session_id"]["S"]: item for item in page["Items"]}
                start = page.get("LastEvaluatedKey")
                if not start:
                    return found

        result: dict[str, dict[str, Any]] = self.call(scan)
        return result

    def v010_items(self, session_id: str) -> list[Any]:
        """The session as 0.1.0's own get_items() returns it."""
        module = load_v010_dynamodb()

        async def read(client: DynamoDBClient) -> list[Any]:
            session = module.DynamoDBSession(
                session_id, dynamodb_client=client, table_name=self.table
            )
            return list(await session.get_items())

        result: list[Any] = self.call(read)
        return result

    def run(self, *args: str, target: StoreSide) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [console_script(), "migrate", "--from", self.url, *args, *target.as_target],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )

    def start(self, *args: str, target: StoreSide) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [console_script(), "migrate", "--from", self.url, *args, *target.as_target],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )


@pytest.fixture
def source(dynamodb_local: DynamoDBLocal, aws_env: dict[str, str]) -> Iterator[Source]:
    """A fresh table made by 0.1.0's own helper, deleted after the test."""
    made = Source(dynamodb_local, new_table_name(), aws_env)
    made.call(lambda client: create_v010_table(client, made.table))
    yield made
    made.call(lambda client: client.delete_table(TableName=made.table))


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, key_prefix: str) -> Iterator[StoreSide]:
    """A Redis prefix of the test's own, or a new-layout DynamoDB table of its own."""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("standalone_server")
        yield StoreSide(server.url, key_prefix)
        client = redis.Redis.from_url(server.url)
        try:
            for key in list(client.scan_iter(match=f"*{key_prefix}*", count=1000)):
                client.delete(key)
        finally:
            client.close()
        return
    local: DynamoDBLocal = request.getfixturevalue("dynamodb_local")
    with sessions_table(local, "new") as table:
        yield StoreSide(
            f"dynamodb://{table}?region={REGION}&endpoint_url={local.endpoint_url}",
            options={
                "aws_access_key_id": ACCESS_KEY_ID,
                "aws_secret_access_key": SECRET_ACCESS_KEY,
            },
        )


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback, and the secret key in none of the lines."""
    assert "Traceback" not in result.stderr, result.stderr
    for line in (result.stdout + result.stderr).splitlines():
        assert SECRET_ACCESS_KEY not in line


def test_migrates_a_table_0_1_0_made(source: Source, target: StoreSide) -> None:
    """Items as 0.1.0 returns them, TTL and updated_at kept; expired and corrupt left out."""
    source.write({"plain": turns("plain"), "big": [BIG_TURN] * 4})
    source.write({"ttl": turns("ttl")}, ttl_seconds=600)
    source.write({"expired": turns("expired")}, ttl_seconds=-60)

    async def corrupt(client: DynamoDBClient) -> None:
        await client.put_item(
            TableName=source.table,
            Item={"session_id": {"S": "corrupt"}, "conversation_data": {"S": "[{oops"}},
        )

    source.call(corrupt)
    before = source.items()
    assert len(before["big"]["conversation_data"]["S"]) > 390_000

    result = source.run(target=target)

    _assert_clean(result)
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (3, 12, 0)
    err = result.stderr.splitlines()
    assert err[0] == (
        f"migrating dynamodb-0.1.0://{source.table} (region {REGION}, endpoint "
        f"{source.server.endpoint_url}) into {target.description}"
    )
    assert (
        "left out 1 expired session and 1 corrupt session of the source (warnings name them)" in err
    )
    assert any("'corrupt'" in line for line in err)
    copied = target.records()
    assert set(copied) == {"plain", "big", "ttl"}
    for session_id in ("plain", "ttl", "big"):
        assert copied[session_id].items == source.v010_items(session_id)
        updated = float(before[session_id]["updated_at"]["N"])
        # Redis records updated_at; a store that records none reports None, never another.
        kept = {updated} if target.url.startswith("redis") else {updated, None}
        assert copied[session_id].metadata.updated_at in kept
    assert copied["plain"].ttl_seconds is None
    ttl = copied["ttl"].ttl_seconds
    assert ttl is not None and 590 <= ttl <= 600
    assert source.items() == before  # the source is never modified unasked

    again = source.run(target=target)

    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == (0, 0, 3)


def test_dry_run_writes_and_deletes_nothing(source: Source, target: StoreSide) -> None:
    """--dry-run --delete-source says what would move and be deleted, and changes nothing."""
    source.write({f"s{n}": turns(f"s{n}") for n in range(3)})
    before = source.items()

    result = source.run("--dry-run", "--delete-source", target=target)

    _assert_clean(result)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"would migrate 3 sessions \(12 items\), skip 0 already present, delete 3 source "
        r"sessions; read in \d+\.\d\d s \(\d+ sessions/s\), wrote nothing\n",
        result.stdout,
    )
    assert target.count() == 0
    assert source.items() == before


def test_concurrent_runs_store_each_session_once(source: Source, target: StoreSide) -> None:
    """Two runs at once: each session is written by exactly one of them, whole, never doubled."""
    long_history = [{"role": "user", "content": str(n)} for n in range(1200)]
    source.write({"seed": [long_history]})
    ids = [f"c{n:03d}" for n in range(20)]
    source.call(lambda client: clone_v010_item(client, source.table, "seed", ids))

    runs = [source.start(target=target) for _ in range(2)]
    results = [process.communicate(timeout=120) for process in runs]

    assert [process.returncode for process in runs] == [0, 0], results
    totals = [counts(out) for out, _ in results]
    assert sum(total[0] for total in totals) == 21
    assert sum(total[2] for total in totals) == 21
    copied = target.records()
    assert set(copied) == {"seed", *ids}
    assert all(record.items == long_history for record in copied.values())


@pytest.mark.timeout(120)
def test_an_interrupted_run_resumes(source: Source, target: StoreSide) -> None:
    """SIGINT mid-way stops the run with what it copied; the next run copies only the rest."""
    source.write({"seed": turns("seed")})
    # Enough that the run is still going when it is interrupted: a DynamoDB target is slower.
    ids = [f"i{n:04d}" for n in range(1000 if target.url.startswith("dynamodb") else 3000)]
    source.call(lambda client: clone_v010_item(client, source.table, "seed", ids))

    process = source.start("--concurrency", "2", target=target)
    try:
        wait_until(
            lambda: process.poll() is not None or target.count() > 0,
            timeout=60,
            message="the migration never wrote a session",
        )
        assert process.poll() is None, f"finished before the interrupt: {process.communicate()}"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == INTERRUPTED, (out, err)
    assert err.strip().endswith("error: interrupted"), err
    copied_first = target.count()
    total = len(ids) + 1
    assert 0 < copied_first < total

    resumed = source.run(target=target)

    assert resumed.returncode == 0, resumed.stderr
    migrated, items, present = counts(resumed.stdout)
    assert (migrated, present) == (total - copied_first, copied_first)
    assert items == 4 * migrated
    copied = target.records()
    assert len(copied) == total
    assert all(record.items == flat("seed") for record in copied.values())


def test_delete_source_keeps_a_session_rewritten_after_the_copy(
    source: Source, target: StoreSide
) -> None:
    """--delete-source deletes what the store holds, but not a session 0.1.0 wrote since."""
    source.write({"done": turns("done"), "rewritten": turns("rewritten")})
    first = source.run(target=target)
    assert first.returncode == 0, first.stderr
    # A 0.1.0 writer that was not stopped: most likely within the second of the copy.
    source.write({"rewritten": [[{"role": "user", "content": "late"}]]})

    result = source.run("--delete-source", target=target)

    _assert_clean(result)
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (0, 0, 2, 1)
    assert (
        "kept 1 source session that changed since it was read or copied: 'rewritten'; "
        "run again with --replace to copy the newer version, then --delete-source"
    ) in result.stderr.splitlines()
    assert set(source.items()) == {"rewritten"}
    assert source.v010_items("rewritten")[-1] == {"role": "user", "content": "late"}

    replaced = source.run("--replace", "--delete-source", target=target)

    assert replaced.returncode == 0, replaced.stderr
    assert counts(replaced.stdout) == (1, 5, 0, 1)
    assert source.items() == {}
    assert target.records()["rewritten"].items[-1] == {"role": "user", "content": "late"}


@pytest.mark.parametrize("target", ["redis"], indirect=True)
def test_aws_options_fill_the_url(source: Source, target: StoreSide, tmp_path: Path) -> None:
    """--region, --endpoint-url and --profile as the AWS CLI takes them; the URL may omit them."""
    source.write({"a": turns("a")})
    (tmp_path / "aws-credentials").write_text(
        f"[old]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    (tmp_path / "aws-config").write_text(f"[profile old]\nregion = {REGION}\n")
    env = {k: v for k, v in source.env.items() if not k.startswith("AWS_ACCESS")}
    env.pop("AWS_SECRET_ACCESS_KEY")
    bare = f"dynamodb-0.1.0://{source.table}"

    result = subprocess.run(
        [
            console_script(),
            "migrate",
            "--from",
            bare,
            "--profile",
            "old",
            "--endpoint-url",
            source.server.endpoint_url,
            *target.as_target,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    _assert_clean(result)
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (1, 4, 0)
    assert result.stderr.startswith(
        f"migrating dynamodb-0.1.0://{source.table} (region from the AWS chain, endpoint "
        f"{source.server.endpoint_url}, profile 'old') into"
    )


@pytest.mark.parametrize("target", ["redis"], indirect=True)
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--region", "eu-west-1"], 2, "--region 'eu-west-1' differs from region='us-east-1'"),
        (["--profile", "nobody"], 1, "The config profile (nobody) could not be found"),
        (["--from-prefix", "x"], 2, "--from-prefix applies to Redis sources only"),
    ],
)
def test_bad_aws_options(
    source: Source, target: StoreSide, args: list[str], code: int, message: str
) -> None:
    """A conflict with the URL is a usage error; an unknown profile is named."""
    result = source.run(*args, target=target)

    _assert_clean(result)
    assert result.returncode == code, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("target", ["redis"], indirect=True)
def test_delete_source_and_aws_options_need_a_dynamodb_source(
    target: StoreSide, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """--delete-source or --region with another kind of source is a usage error."""
    for extra, message in (
        (["--delete-source"], "--delete-source applies to a dynamodb-0.1.0:// source only"),
        (
            ["--region", "x", "--profile", "p"],
            "--region and --profile apply to dynamodb:// and dynamodb-0.1.0:// URLs only",
        ),
    ):
        result = subprocess.run(
            [
                console_script(),
                "migrate",
                "--from",
                f"sqlite:{tmp_path / 'x.db'}",
                *extra,
                *target.as_target,
            ],
            capture_output=True,
            text=True,
            env=aws_env,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert message in result.stderr


@pytest.mark.parametrize("target", ["redis"], indirect=True)
def test_an_unreachable_endpoint_is_named_without_its_password(
    source: Source, target: StoreSide
) -> None:
    """The endpoint is named, its password and the secret key never are."""
    env = {**source.env, "AWS_MAX_ATTEMPTS": "1"}
    endpoint = "http://user:Pw-0f-the-endpoint@127.0.0.1:1"

    result = subprocess.run(
        [
            console_script(),
            "migrate",
            "--from",
            f"dynamodb-0.1.0://{source.table}?region={REGION}",
            "--endpoint-url",
            endpoint,
            *target.as_target,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    _assert_clean(result)
    assert result.returncode == 1, result.stderr
    assert "Pw-0f-the-endpoint" not in result.stdout + result.stderr
    assert "http://user:***@127.0.0.1:1" in result.stderr


@pytest.mark.parametrize("target", ["redis"], indirect=True)
def test_the_secret_key_is_redacted_even_inside_a_message(
    source: Source,
    target: StoreSide,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A value of AWS_SECRET_ACCESS_KEY that reaches a message is printed as ***."""
    from openai_agents_session.cli import main

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)

    with pytest.raises(SystemExit) as exited:
        main(["migrate", "--from", source.url, "--region", SECRET_ACCESS_KEY, *target.as_target])

    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert SECRET_ACCESS_KEY not in captured.out + captured.err
    assert "--region '***' differs from region='us-east-1' in the URL" in captured.err
