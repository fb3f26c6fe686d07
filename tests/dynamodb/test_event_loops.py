"""A session built by from_url, used from consecutive event loops as scripts and sync apps do.

Each scenario runs as a real script in a process of its own and checks the table after every
``asyncio.run()``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from dynamodb_servers import DynamoDBLocal, aws_environment

SCRIPT = """
import asyncio, json, sys
from openai_agents_session.dynamodb import DynamoDBSession

URL, SESSION_ID = sys.argv[1], sys.argv[2]
TURN = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]

def report(**values):
    print(json.dumps(values), flush=True)

def stored():
    async def read():
        async with DynamoDBSession.from_url(SESSION_ID, URL) as reader:
            return len(await reader.get_items())
    return asyncio.run(read())
"""


def _run(body: str, url: str, session_id: str) -> list[dict[str, Any]]:
    process = subprocess.run(
        [sys.executable, "-c", SCRIPT + textwrap.dedent(body), url, session_id],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **aws_environment()},
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    return [json.loads(line) for line in process.stdout.splitlines()]


@pytest.mark.timeout(90)
def test_from_url_session_works_in_each_asyncio_run(
    dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> None:
    """A module-level from_url session follows the running loop; each turn is stored once."""
    url = f"dynamodb://{table}?endpoint_url={dynamodb_local.endpoint_url}"
    body = """
    session = DynamoDBSession.from_url(SESSION_ID, URL)
    for run in range(3):
        asyncio.run(session.add_items(TURN))
        report(run=run, stored=stored(), read=len(asyncio.run(session.get_items())))
    asyncio.run(session.close())
    """
    assert _run(body, url, session_id) == [
        {"run": run, "stored": 2 * (run + 1), "read": 2 * (run + 1)} for run in range(3)
    ]
