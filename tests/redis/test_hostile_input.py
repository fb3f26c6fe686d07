"""Big items, huge batches and corruption at scale."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from openai_agents_session import RedisSession
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


@pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
@pytest.mark.parametrize("size", [1_000_000, 10_000_000], ids=["1MB", "10MB"])
async def test_big_items_round_trip(new_session: NewSession, size: int) -> None:
    """A 1 MB and a 10 MB tool output are stored and read back unchanged."""
    session = new_session("big", ttl=60)
    item = {"type": "function_call_output", "call_id": "c1", "output": "é😀x" * (size // 8)}
    await session.add_items([item])  # type: ignore[list-item]
    assert await session.get_items(limit=1) == [item]
    assert await session.pop_item() == item


@pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)
async def test_ten_thousand_item_batch_is_atomic(new_session: NewSession) -> None:
    """Readers running during a 10,000-item append see none of it or all of it."""
    session = new_session("huge", ttl=60)
    batch = [{"role": "user", "content": f"m{i}"} for i in range(10_000)]
    seen: list[int] = []

    async def watch() -> None:
        for _ in range(50):
            seen.append(len(await session.get_items()))
            await asyncio.sleep(0)

    await asyncio.gather(session.add_items(batch), watch())  # type: ignore[arg-type]
    assert set(seen) <= {0, 10_000}
    assert await session.get_items() == batch


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
