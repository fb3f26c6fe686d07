"""max_items keeps the newest items and never leaves a tool output without its call."""

from __future__ import annotations

from contract.backends import Backend
from contract.items import call, output, user


async def test_max_items_keeps_the_newest(backend: Backend) -> None:
    """The append trims the oldest items beyond max_items."""
    session = backend.session("s", max_items=3)
    for n in range(5):
        await session.add_items([user(str(n))])
    assert await session.get_items() == [user("2"), user("3"), user("4")]
    assert await session.get_items(limit=2) == [user("3"), user("4")]


async def test_max_items_trims_a_batch_larger_than_the_bound(backend: Backend) -> None:
    """One batch longer than max_items keeps only its newest items."""
    session = backend.session("s", max_items=2)
    await session.add_items([user(str(n)) for n in range(6)])
    assert await session.get_items() == [user("4"), user("5")]


async def test_max_items_never_orphans_a_tool_output(backend: Backend) -> None:
    """Trimming that would start at an output drops the output with its call."""
    session = backend.session("s", max_items=2)
    await session.add_items([user("0"), call(1), output(1), user("2")])
    assert await session.get_items() == [user("2")]
    await session.add_items([call(3), output(3)])
    assert await session.get_items() == [call(3), output(3)]
    await session.add_items([user("4")])  # keeping [output(3), user("4")] would orphan it
    assert await session.get_items() == [user("4")]
