"""Fixtures for the command line tests: run ``main(argv)``, and a store on a real server.

The command line runs its own event loop, so these tests are synchronous: sessions are set up
and checked through the library inside ``asyncio.run``, or with a plain synchronous client.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cli.support import SECRET_ACCESS_KEY, Result, Run, Store
from dynamodb_servers import ACCESS_KEY_ID
from redis.cluster import RedisCluster

from openai_agents_session.cli import main


@pytest.fixture(autouse=True)
def _no_ambient_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """A REDIS_URL of the machine running the tests never reaches the command line."""
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``main(argv)``; a usage error's SystemExit becomes its exit code."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def store(request: pytest.FixtureRequest, topology: str, key_prefix: str) -> Iterator[Store]:
    """A prefix of the test's own on the topology's server; its keys are deleted afterwards."""
    client: redis.Redis | RedisCluster
    if topology == "standalone":
        url = request.getfixturevalue("standalone_server").url
        client = redis.Redis.from_url(url)
    elif topology == "cluster":
        url = request.getfixturevalue("cluster_servers").url
        client = RedisCluster.from_url(url)
    else:
        raise ValueError(f"the command line tests run on standalone or cluster, not {topology!r}")
    try:
        yield Store(url, topology == "cluster", key_prefix, client)
        for key in list(client.scan_iter(match=f"*{key_prefix}*", count=1000)):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def aws_env(tmp_path: Path) -> dict[str, str]:
    """The environment of the console script: credentials only from it, no ambient AWS setup.

    The config and credentials files point at empty files, and the instance metadata service
    is off, so nothing but loopback is ever asked for credentials.
    """
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name != "REDIS_URL"
    }
    env.update(
        PYTHONUNBUFFERED="1",
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env
