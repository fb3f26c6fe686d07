"""One Ctrl-C stops any command promptly: exit status 130, no traceback, no partial file.

The real console script runs in a process of its own against a private server, with enough
sessions that it is mid-way when it gets SIGINT, as a terminal sends it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
import redis
from servers import RedisServer, wait_until

SESSIONS = 4000
ITEMS_PER_SESSION = 10
# From SIGINT to exit, with room for a loaded machine; a lost interrupt runs for much longer.
EXIT_WITHIN_S = 5.0
INTERRUPTED = 130
# Where the interrupt lands is a matter of timing: each test interrupts its command this often.
TRIALS = 10


def _script() -> str:
    found = shutil.which("openai-agents-session", path=str(Path(sys.executable).parent))
    assert found, "the console script is installed with the package"
    return found


def _fill(client: redis.Redis, prefix: str) -> None:
    item = orjson.dumps({"role": "user", "content": "x" * 200})
    pipe = client.pipeline(transaction=False)
    for n in range(SESSIONS):
        pipe.rpush(f"{prefix}:s{n:05d}", *[item] * ITEMS_PER_SESSION)
        if n % 500 == 499:
            pipe.execute()
    pipe.execute()


def _count(client: redis.Redis, prefix: str) -> int:
    return sum(1 for _ in client.scan_iter(match=f"{prefix}:s*", count=1000, _type="list"))


@pytest.fixture
def server(standalone_server: RedisServer) -> RedisServer:
    return standalone_server


@pytest.fixture
def client(server: RedisServer, key_prefix: str) -> Iterator[redis.Redis]:
    """A client for setup and checks; every key under the test's prefix is deleted after."""
    sync = redis.Redis.from_url(server.url)
    try:
        yield sync
        for key in list(sync.scan_iter(match=f"*{key_prefix}*", count=1000)):
            sync.delete(key)
    finally:
        sync.close()


def _interrupt(args: list[str], *, started: Callable[[], bool]) -> subprocess.CompletedProcess[str]:
    """Run the console script, send SIGINT once ``started()``, and return how it ended."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [_script(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        wait_until(
            lambda: started() or process.poll() is not None,
            timeout=30,
            message="the command never started its work",
        )
        assert process.poll() is None, f"finished before the interrupt: {process.communicate()}"
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = process.communicate(timeout=EXIT_WITHIN_S + 30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert took < EXIT_WITHIN_S, f"exited {took:.1f} s after SIGINT; stderr: {err}"
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _store(server: RedisServer, prefix: str) -> list[str]:
    return ["--url", server.url, "--prefix", prefix]


def _assert_interrupted(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == INTERRUPTED, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().endswith("error: interrupted"), result.stderr


def _new_connection(client: redis.Redis) -> Callable[[], bool]:
    """True once a connection other than the ones open now has reached the server."""
    before = {entry["id"] for entry in client.client_list()}
    return lambda: any(entry["id"] not in before for entry in client.client_list())


@pytest.mark.timeout(120)
def test_ctrl_c_stops_export_and_removes_its_partial_file(
    server: RedisServer, client: redis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    """export -o FILE: interrupted mid-way, it leaves neither FILE nor FILE.partial."""
    _fill(client, key_prefix)
    for trial in range(TRIALS):
        folder = tmp_path / str(trial)
        folder.mkdir()
        target = folder / "sessions.jsonl"
        partial = folder / "sessions.jsonl.partial"
        result = _interrupt(
            ["export", "-o", str(target), *_store(server, key_prefix)],
            started=lambda: partial.exists() and partial.stat().st_size > 0,  # noqa: B023
        )
        _assert_interrupted(result)
        assert sorted(folder.iterdir()) == []


@pytest.mark.timeout(120)
def test_ctrl_c_stops_import(
    server: RedisServer, client: redis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    """import FILE: interrupted mid-way, some sessions are written, each whole, and it stops."""
    source = tmp_path / "sessions.jsonl"
    item = {"role": "user", "content": "x" * 200}
    with source.open("wb") as file:
        for n in range(SESSIONS):
            record = {"id": f"s{n:05d}", "items": [item] * ITEMS_PER_SESSION}
            file.write(orjson.dumps(record) + b"\n")
    for trial in range(TRIALS):
        target = f"{key_prefix}:t{trial}"
        result = _interrupt(
            ["import", str(source), *_store(server, target)],
            started=lambda: _count(client, target) > 0,  # noqa: B023
        )
        _assert_interrupted(result)
        assert 0 < _count(client, target) < SESSIONS
        for key in client.scan_iter(match=f"{target}:s*", count=1000, _type="list"):
            assert client.llen(key) == ITEMS_PER_SESSION


@pytest.mark.timeout(120)
def test_ctrl_c_stops_migrate(server: RedisServer, client: redis.Redis, key_prefix: str) -> None:
    """migrate from another prefix: interrupted mid-way, it stops with what it copied."""
    source = f"{key_prefix}:source"
    _fill(client, source)
    for trial in range(TRIALS):
        target = f"{key_prefix}:t{trial}"
        result = _interrupt(
            ["migrate", "--from", server.url, "--from-prefix", source, *_store(server, target)],
            started=lambda: _count(client, target) > 0,  # noqa: B023
        )
        _assert_interrupted(result)
        assert 0 < _count(client, target) < SESSIONS


@pytest.mark.timeout(120)
def test_ctrl_c_stops_ls(server: RedisServer, client: redis.Redis, key_prefix: str) -> None:
    """ls over thousands of sessions: interrupted while it reads them, it stops."""
    _fill(client, key_prefix)
    for _ in range(TRIALS):
        result = _interrupt(["ls", *_store(server, key_prefix)], started=_new_connection(client))
        _assert_interrupted(result)
