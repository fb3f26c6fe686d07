"""The demo: a short agent conversation persisted in a store, then what the store holds.

It runs the real Agents SDK ``Runner`` with an offline model (no network, no API key), so the
only moving part is the session store. The URL picks it: a Redis URL (or ``REDIS_URL``), or
``dynamodb://TABLE?...`` (the table is created when missing); without one a private Redis server
is started for the run and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from ._conversation import DEMO_TTL_S, TURNS, Echo
from ._local_server import local_server

__all__ = ["DEMO_TTL_S", "TURNS", "run_demo"]


@contextlib.contextmanager
def _server_url(url: str | None) -> Iterator[tuple[str, str]]:
    if url:
        yield url, "REDIS_URL"
    else:
        with local_server() as local_url:
            yield local_url, "a private server started for this demo"


async def run_demo(
    url: str | None = None, *, echo: Echo = print, profile: str | None = None
) -> int:
    """Hold a four-turn conversation and print what the store holds.

    Args:
        url: A Redis URL or a ``dynamodb://`` URL; None starts a private Redis server.
        echo: Where each line of output goes.
        profile: The AWS profile of a ``dynamodb://`` URL; None takes the AWS chain's.

    Returns:
        The process exit code: 0 when the agent remembered every earlier turn.
    """
    session_id = f"demo-{uuid.uuid4().hex[:8]}"
    if url is not None and url.lower().startswith("dynamodb://"):
        from ._dynamodb import run_on_dynamodb

        remembered = await run_on_dynamodb(session_id, url, echo, profile)
    else:
        from ._redis import run_on_redis

        with _server_url(url) as (server_url, origin):
            remembered = await run_on_redis(session_id, server_url, origin, echo)
            if url:
                echo(f"The session stays in {server_url.split('@')[-1]} until its TTL runs out.")
    echo("The agent remembered every turn." if remembered else "The agent forgot something!")
    return 0 if remembered else 1


def main() -> int:
    """Run the demo against ``REDIS_URL`` or a private server."""
    import asyncio

    return asyncio.run(run_demo(os.environ.get("REDIS_URL") or None))
