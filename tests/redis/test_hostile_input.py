"""Corruption at scale: a store full of payloads we did not write still reads correctly."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from openai_agents_session import RedisSession
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


@pytest.mark.parametrize("topology", ["standalone"], indirect=True)
async def test_corruption_at_scale_hides_no_valid_item(
    new_session: NewSession, redis_client: RedisClient, caplog: pytest.LogCaptureFixture
) -> None:
    """With every tenth element corrupt, limit still counts valid items, newest last."""
    session = new_session("corrupt")
    for block in range(100):
        await session.add_items([{"n": block * 9 + i} for i in range(9)])  # type: ignore[misc]
        await redis_client.rpush(session._key, b"{not json")
    with caplog.at_level(logging.ERROR, logger="openai_agents_session"):
        assert [item["n"] for item in await session.get_items(limit=25)] == list(  # type: ignore[typeddict-item]
            range(900 - 25, 900)
        )
        assert len(await session.get_items()) == 900
    assert await redis_client.llen(session._key) == 1000
