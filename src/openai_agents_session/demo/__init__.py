"""The demo: a short agent conversation persisted in Redis, then what Redis holds.

It runs the real Agents SDK ``Runner`` with an offline model (no network, no API key), so the
only moving part is the session store. ``REDIS_URL`` picks the server; without it a private
server is started for the run and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator

from agents import Agent, RunConfig, Runner

from ..redis import RedisSession
from ._local_server import local_server
from ._offline_model import OfflineModel

__all__ = ["TURNS", "run_demo"]

TURNS = (
    "Hi, I'm Ada.",
    "Please remember that my favourite number is 42.",
    "What's my name?",
    "What did I ask you to remember?",
)
DEMO_TTL_S = 3600


@contextlib.contextmanager
def _server_url(url: str | None) -> Iterator[tuple[str, str]]:
    if url:
        yield url, "REDIS_URL"
    else:
        with local_server() as local_url:
            yield local_url, "a private server started for this demo"


def _text(item: object) -> str:
    if not isinstance(item, dict):
        return repr(item)
    content = item.get("content")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return f"{item.get('role', item.get('type', '?')):>9}: {content}"


async def run_demo(url: str | None = None, *, echo: Callable[[str], None] = print) -> int:
    """Hold a four-turn conversation and print what Redis stored.

    Args:
        url: The Redis URL; None starts a private server for the run.
        echo: Where each line of output goes.

    Returns:
        The process exit code: 0 when the agent remembered every earlier turn.
    """
    with _server_url(url) as (server_url, origin):
        session_id = f"demo-{uuid.uuid4().hex[:8]}"
        async with RedisSession.from_url(session_id, server_url, ttl=DEMO_TTL_S) as session:
            echo(f"Redis: {origin}")
            agent = Agent(name="Assistant", instructions="Answer briefly.", model=OfflineModel())
            run_config = RunConfig(tracing_disabled=True)
            answers = []
            for turn in TURNS:
                result = await Runner.run(agent, turn, session=session, run_config=run_config)
                answers.append(str(result.final_output))
                echo(f"user> {turn}\nagent> {result.final_output}")

            items = await session.get_items()
            client = session._client
            ttl = await client.ttl(session.key)
            memory = await client.memory_usage(session.key)
            echo(f"\nStored history ({len(items)} items, oldest first):")
            for item in items:
                echo(f"  {_text(item)}")
            key_type = await client.type(session.key)
            if isinstance(key_type, bytes):
                key_type = key_type.decode()
            echo(f"key: {session.key}  type: {key_type}  memory: {memory} bytes")
            echo(f"ttl: {ttl} s, refreshed by every add_items")
            if url:
                echo(f"The session stays in {server_url.split('@')[-1]} until its TTL runs out.")

    remembered = answers[2] == "Your name is Ada." and "42" in answers[3]
    echo("The agent remembered every turn." if remembered else "The agent forgot something!")
    return 0 if remembered else 1


def main() -> int:
    """Run the demo against ``REDIS_URL`` or a private server."""
    import asyncio

    return asyncio.run(run_demo(os.environ.get("REDIS_URL") or None))
