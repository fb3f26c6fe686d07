"""Commands over a dynamodb:// store, with the AWS CLI's --region, --endpoint-url, --profile."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli.conftest import Run
from dynamodb_servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    DynamoDBLocal,
    aws_environment,
    dynamodb_client,
    sessions_table,
)

from openai_agents_session.dynamodb import DynamoDBSession

TURN = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


@pytest.fixture
def table(dynamodb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A table of the test's own holding session 'a', and the AWS chain's credentials."""
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    with sessions_table(dynamodb_local, "cli") as name:

        async def seed() -> None:
            async with dynamodb_client(dynamodb_local) as client:
                await DynamoDBSession("a", client, name, ttl_seconds=600).add_items(TURN)

        asyncio.run(seed())
        yield name


def test_every_command_reaches_the_table_through_endpoint_url(
    run: Run, table: str, dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    """--endpoint-url and --region fill the URL, before the command or after it."""
    store = ["--url", f"dynamodb://{table}", "--endpoint-url", dynamodb_local.endpoint_url]
    listed = run("ls", *store, "--json")
    assert listed.code == 0, listed.err
    assert [row["session_id"] for row in map(json.loads, listed.out.splitlines())] == ["a"]
    shown = run("--region", REGION, "show", "a", *store, "--json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["items"] == TURN
    info = run("info", "a", *store, "--json")
    assert json.loads(info.out)["item_count"] == 2
    assert 0 < json.loads(info.out)["ttl_seconds"] <= 600
    assert run("fork", "a", "b", *store).code == 0
    dump = tmp_path / "dump.jsonl"
    assert run("export", *store, "--output", str(dump)).code == 0
    assert run("rm", "a", "b", *store, "--yes").code == 0
    assert run("ls", *store, "--json").out == ""
    assert run("import", str(dump), *store).code == 0
    restored = run("ls", *store, "--json")
    assert sorted(json.loads(row)["session_id"] for row in restored.out.splitlines()) == [
        "a",
        "b",
    ]


def test_a_named_profile_supplies_the_credentials(
    run: Run,
    table: str,
    dynamodb_local: DynamoDBLocal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--profile picks the profile's keys and region; none are in the environment."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    (tmp_path / "config").write_text(f"[profile local]\nregion = {REGION}\n")
    (tmp_path / "credentials").write_text(
        f"[local]\naws_access_key_id = {ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    url = f"dynamodb://{table}?endpoint_url={dynamodb_local.endpoint_url}"
    result = run("--profile", "local", "ls", "--url", url, "--json")
    assert result.code == 0, result.err
    assert SECRET_ACCESS_KEY not in result.out + result.err
    unknown = run("ls", "--url", url, "--profile", "nobody")
    assert unknown.code == 1
    assert "nobody" in unknown.err


def test_aws_options_are_refused_where_they_mean_nothing(run: Run, table: str) -> None:
    """With a Redis URL, or against the URL's own value, they are usage errors."""
    redis = run("ls", "--url", "redis://127.0.0.1:1", "--region", "eu-west-1")
    assert redis.code == 2
    assert "--region applies to dynamodb:// URLs only" in redis.err
    clash = run("ls", "--url", f"dynamodb://{table}?region=us-east-1", "--region", "eu-west-1")
    assert clash.code == 2
    assert "--region 'eu-west-1' differs from region='us-east-1'" in clash.err
