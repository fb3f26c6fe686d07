"""Run one coroutine per item of a stream, a bounded number at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TypeVar

__all__ = ["for_each_bounded"]

_Item = TypeVar("_Item")


async def for_each_bounded(
    items: AsyncIterable[_Item], handle: Callable[[_Item], Awaitable[None]], *, limit: int
) -> None:
    """Await ``handle(item)`` for every item, at most ``limit`` at once.

    Items are read only as fast as they are handled, so memory stays bounded. The first
    failure cancels the calls still running and is raised.
    """
    running: set[asyncio.Future[None]] = set()

    async def settle(return_when: str) -> None:
        nonlocal running
        done, running = await asyncio.wait(running, return_when=return_when)
        for future in done:
            future.result()

    try:
        async for item in items:
            if len(running) >= limit:
                await settle(asyncio.FIRST_COMPLETED)
            running.add(asyncio.ensure_future(handle(item)))
        while running:
            await settle(asyncio.FIRST_EXCEPTION)
    finally:
        for future in running:
            future.cancel()
        await asyncio.gather(*running, return_exceptions=True)
