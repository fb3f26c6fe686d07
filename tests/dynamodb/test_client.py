"""Clients built from a URL: credentials and region from the AWS chain, a named profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from dynamodb.support import user
from dynamodb_servers import ACCESS_KEY_ID, SECRET_ACCESS_KEY, DynamoDBLocal, aws_environment

from openai_agents_session import ConfigurationError
from openai_agents_session.dynamodb import DynamoDBSession, DynamoDBSessionStore


@pytest.fixture
def profile_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An AWS config with a profile 'local' and no default credentials anywhere else."""
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text("[profile local]\nregion = us-east-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[local]\naws_access_key_id = {ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))


async def test_a_named_profile_gives_credentials_and_region(
    profile_files: None, dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> None:
    """profile= picks the AWS profile, as the AWS CLI's --profile does: no keys in code."""
    url = f"dynamodb://{table}?endpoint_url={dynamodb_local.endpoint_url}"
    async with DynamoDBSession.from_url(session_id, url, profile="local") as session:
        await session.add_items([user("hi")])
    async with DynamoDBSessionStore.from_url(url, profile="local") as store:
        record = await store.export_session(session_id)
        assert record is not None
        assert record.items == [user("hi")]


async def test_an_unknown_profile_is_a_configuration_error(
    profile_files: None, dynamodb_local: DynamoDBLocal, table: str
) -> None:
    url = f"dynamodb://{table}?endpoint_url={dynamodb_local.endpoint_url}"
    async with DynamoDBSession.from_url("s", url, profile="nosuch") as session:
        with pytest.raises(ConfigurationError, match="nosuch"):
            await session.get_items()
