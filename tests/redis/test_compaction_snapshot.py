"""The SDK's bounded compaction hook: read the latest items, replace that suffix atomically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.memory.session import _CompactionSnapshot

from openai_agents_session import RedisSession

NewSession = Callable[..., RedisSession]


def message(n: int) -> dict[str, Any]:
    return {"role": "user", "content": f"m{n}"}


async def test_snapshot_reads_the_latest_items_and_says_whether_that_is_all(
    new_session: NewSession,
) -> None:
    """Up to `limit` newest items, oldest first; complete only when nothing older exists."""
    session = new_session("s", ttl=60)
    await session.add_items([message(n) for n in range(10)])
    partial = await session._get_compaction_snapshot(4)
    assert isinstance(partial, _CompactionSnapshot)
    assert partial.items == [message(n) for n in range(6, 10)]
    assert partial.complete is False
    whole = await session._get_compaction_snapshot(50)
    assert whole is not None and whole.complete is True
    assert whole.items == [message(n) for n in range(10)]


async def test_replace_suffix_swaps_only_the_snapshot_tail_and_keeps_older_items(
    new_session: NewSession,
) -> None:
    """Items before the suffix stay; the suffix becomes the compacted output, in one script."""
    session = new_session("s", ttl=60, owner="ada")
    await session.set_metadata(title="Trip")
    await session.add_items([message(n) for n in range(10)])
    snapshot = await session._get_compaction_snapshot(4)
    assert snapshot is not None
    summary = {"role": "assistant", "content": "summary of m8 and m9"}
    assert await snapshot.replace_suffix(2, [summary]) is True
    assert await session.get_items() == [*(message(n) for n in range(8)), summary]
    assert (await session.get_metadata()).title == "Trip"


async def test_replace_suffix_refuses_when_the_history_changed_meanwhile(
    new_session: NewSession,
) -> None:
    """An append after the snapshot makes the replacement a no-op that returns False."""
    session = new_session("s")
    await session.add_items([message(n) for n in range(6)])
    snapshot = await session._get_compaction_snapshot(3)
    assert snapshot is not None
    await session.add_items([message(99)])
    before = await session.get_items()
    assert await snapshot.replace_suffix(0, [message(-1)]) is False
    assert await session.get_items() == before
