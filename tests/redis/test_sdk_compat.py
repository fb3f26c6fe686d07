"""Code written for the SDK's RedisSession keeps working when it switches to ours.

Where both should behave alike, the same caller code runs against the SDK's
``agents.extensions.memory.RedisSession`` and ours, over the same real server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from agents.extensions.memory import RedisSession as SdkRedisSession
from servers import RedisServer

from openai_agents_session import RedisSession, SessionClosedError

ITEM = {"role": "user", "content": "hi"}

IMPLEMENTATIONS = {"sdk": SdkRedisSession, "ours": RedisSession}


def operations(session: Any) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "get_items": session.get_items,
        "add_items": lambda: session.add_items([ITEM]),
        "pop_item": session.pop_item,
        "clear_session": session.clear_session,
        "ping": session.ping,
    }


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "operation", ["get_items", "add_items", "pop_item", "clear_session", "ping"]
)
async def test_use_after_close_is_a_runtime_error_as_in_the_sdk(
    standalone_server: RedisServer, key_prefix: str, implementation: str, operation: str
) -> None:
    """`except RuntimeError` written for the SDK catches our SessionClosedError too."""
    session = IMPLEMENTATIONS[implementation].from_url(
        "closed", url=standalone_server.url, key_prefix=key_prefix
    )
    await session.close()
    with pytest.raises(RuntimeError) as caught:
        await operations(session)[operation]()
    if implementation == "ours":
        assert isinstance(caught.value, SessionClosedError)
