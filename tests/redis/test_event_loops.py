"""Sessions used from consecutive event loops, and exactly-once appends after any failure.

Sync web frameworks and scripts keep a module-level client or session and call
``asyncio.run()`` per request. Each scenario runs as a real script in a process of its own
(as such programs do), and checks the data on the server after every ``asyncio.run()``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from clients import make_client
from servers import ClusterServers, RedisServer

from openai_agents_session import RedisSession
from openai_agents_session.redis._driver import RedisClient

BATCH = [{"role": "user", "content": "once"}, {"role": "assistant", "content": "only once"}]

# The part every script shares: a check of the server through a client of its own loop.
PRELUDE = """
import asyncio, json, sys
import redis.asyncio as redis_asyncio
from redis.asyncio.cluster import RedisCluster
from openai_agents_session import EventLoopError, RedisSession, RedisSessionStore

URL, PREFIX, CLUSTER = sys.argv[1], sys.argv[2], sys.argv[3] == "cluster"
TURN = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]

def stored(session_id="s"):
    async def read():
        client = RedisCluster.from_url(URL) if CLUSTER else redis_asyncio.from_url(URL)
        try:
            return await client.llen(f"{PREFIX}:{session_id}")
        finally:
            await client.aclose()
    return asyncio.run(read())

def report(**values):
    print(json.dumps(values), flush=True)
"""


def _run_script(body: str, url: str, prefix: str, topology: str) -> list[dict[str, Any]]:
    code = PRELUDE + textwrap.dedent(body)
    process = subprocess.run(
        [sys.executable, "-c", code, url, prefix, topology],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    return [json.loads(line) for line in process.stdout.splitlines()]


@pytest.fixture(params=["standalone", "cluster"])
def target(request: pytest.FixtureRequest, key_prefix: str) -> tuple[str, str, str]:
    if request.param == "standalone":
        server: RedisServer = request.getfixturevalue("standalone_server")
        url = server.url
    else:
        cluster: ClusterServers = request.getfixturevalue("cluster_servers")
        url = cluster.url
    return url, key_prefix, request.param


@pytest.mark.timeout(90)
def test_from_url_session_works_in_each_asyncio_run(target: tuple[str, str, str]) -> None:
    """A module-level from_url session follows the running loop; each turn is stored once."""
    body = """
    session = RedisSession.from_url("s", URL, key_prefix=PREFIX, cluster=CLUSTER)
    for run in range(4):
        asyncio.run(session.add_items(TURN))
        report(run=run, stored=stored(), read=len(asyncio.run(session.get_items())))
    async def close():
        await session.clear_session()
        await session.close()
    asyncio.run(close())
    report(after_clear=stored())
    """
    lines = _run_script(body, *target)
    assert lines[:4] == [{"run": n, "stored": 2 * (n + 1), "read": 2 * (n + 1)} for n in range(4)]
    assert lines[4] == {"after_clear": 0}


@pytest.mark.timeout(90)
def test_from_url_store_works_in_each_asyncio_run(target: tuple[str, str, str]) -> None:
    """A module-level from_url store follows the running loop too."""
    body = """
    store = RedisSessionStore.from_url(URL, key_prefix=PREFIX, cluster=CLUSTER)
    for run in range(3):
        asyncio.run(store.session(f"s{run}").add_items(TURN))
        async def listed():
            return sorted([s async for s in store.list_sessions()])
        report(run=run, listed=asyncio.run(listed()), stored=stored(f"s{run}"))
    async def clean():
        await store.delete("s0", "s1", "s2")
        await store.close()
    asyncio.run(clean())
    """
    lines = _run_script(body, *target)
    assert lines == [
        {"run": n, "listed": [f"s{m}" for m in range(n + 1)], "stored": 2} for n in range(3)
    ]


@pytest.mark.timeout(90)
def test_injected_client_from_a_closed_loop_is_refused_before_anything_is_sent(
    target: tuple[str, str, str],
) -> None:
    """The caller's client kept across asyncio.run: a clear EventLoopError, nothing stored."""
    body = """
    client = RedisCluster.from_url(URL) if CLUSTER else redis_asyncio.from_url(URL)
    session = RedisSession("s", client, key_prefix=PREFIX)
    asyncio.run(session.add_items(TURN))
    report(run=0, stored=stored())
    for run in (1, 2):
        try:
            asyncio.run(session.add_items(TURN))
            report(run=run, error=None, stored=stored())
        except EventLoopError as exc:
            report(run=run, error=type(exc).__name__, runtime=isinstance(exc, RuntimeError),
                   message=str(exc), stored=stored())
    async def fresh_client_retries():
        async with (RedisCluster.from_url(URL) if CLUSTER else redis_asyncio.from_url(URL)) as c:
            again = RedisSession("s", c, key_prefix=PREFIX)
            await again.add_items(TURN)
            await again.clear_session()
    asyncio.run(fresh_client_retries())
    report(after_clear=stored())
    """
    lines = _run_script(body, *target)
    assert lines[0] == {"run": 0, "stored": 2}
    for run, line in zip((1, 2), lines[1:3], strict=True):
        assert line["run"] == run
        assert line["error"] == "EventLoopError"
        assert line["runtime"] is True
        assert line["stored"] == 2  # refused before anything was sent
        assert "another event loop" in line["message"]
        assert "asyncio.run()" in line["message"]
    assert lines[3] == {"after_clear": 0}


@pytest.mark.timeout(90)
def test_injected_client_closed_at_the_end_of_each_loop_keeps_working(
    target: tuple[str, str, str],
) -> None:
    """A client closed inside each asyncio.run holds no connection of an old loop: it works."""
    body = """
    client = RedisCluster.from_url(URL) if CLUSTER else redis_asyncio.from_url(URL)
    session = RedisSession("s", client, key_prefix=PREFIX)
    async def turn():
        try:
            await session.add_items(TURN)
        finally:
            await client.aclose()
    for run in range(3):
        asyncio.run(turn())
        report(run=run, stored=stored())
    async def clear():
        await session.clear_session()
        await client.aclose()
    asyncio.run(clear())
    """
    lines = _run_script(body, *target)
    assert lines == [{"run": n, "stored": 2 * (n + 1)} for n in range(3)]


@pytest.fixture
async def standalone_client(request: pytest.FixtureRequest) -> Any:
    client = make_client(request, "standalone")
    try:
        yield client
    finally:
        await client.aclose()


class ReplyLostError(Exception):
    """What a failure of a kind nobody expected looks like: not a driver error at all."""


async def test_retry_after_an_unexpected_failure_once_the_append_was_applied_stores_once(
    standalone_client: RedisClient, key_prefix: str
) -> None:
    """A failure of any kind after the server applied the append keeps the batch id."""
    session = RedisSession("s", standalone_client, key_prefix=key_prefix)
    try:
        await session.add_items([{"role": "system", "content": "warm-up"}])  # loads the script

        def fail_after_applied(response: Any, **options: Any) -> Any:
            raise ReplyLostError("the reply was read, then processing it failed")

        # A real reply of the real server, applied there; reading it fails afterwards.
        standalone_client.set_response_callback("EVALSHA", fail_after_applied)
        with pytest.raises(ReplyLostError):
            await session.add_items(BATCH)
        standalone_client.response_callbacks.pop("EVALSHA")
        await session.add_items([dict(item) for item in BATCH])  # the caller retries
        assert await session.get_items() == [{"role": "system", "content": "warm-up"}, *BATCH]
        await session.add_items(BATCH)  # a new call after a success is a new batch
        assert len(await session.get_items()) == 1 + 2 * len(BATCH)
    finally:
        await session.clear_session()
