"""A client the library opened itself (``from_url``), following the running event loop.

aiobotocore's HTTP session is bound to the event loop it was opened in. Scripts and sync web
frameworks call ``asyncio.run()`` per request, so a module-level session meets a new loop on
every call. An `OwnedClient` opens one client per loop, on first use there, and closes it when
that loop shuts down its async generators (as ``asyncio.run`` does); a loop closed without
that leaves its client to the garbage collector, and the next loop opens its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING

from ..errors import SessionClosedError
from ._driver import mapped_errors

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = ["ClientFactory", "OwnedClient"]

ClientFactory = Callable[[], contextlib.AbstractAsyncContextManager["DynamoDBClient"]]


async def _held_open(
    factory: ClientFactory, opened: asyncio.Future[DynamoDBClient]
) -> AsyncGenerator[None, None]:
    """Hold a client open until the loop shuts its async generators down, or until closed."""
    async with factory() as client:
        opened.set_result(client)
        yield


class OwnedClient:
    """One client per event loop, built by ``factory`` when first needed in that loop."""

    def __init__(self, factory: ClientFactory, what: str) -> None:
        self._factory = factory
        self._what = what
        self._client: DynamoDBClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: AsyncGenerator[None, None] | None = None
        self._opening: asyncio.Lock | None = None
        self._closed = False

    async def get(self) -> DynamoDBClient:
        """Return the client of the running loop, opening it on first use there.

        Raises:
            SessionClosedError: ``close()`` was called.
            BackendError: The client could not be created (a bad option, say).
        """
        if self._closed:
            raise SessionClosedError(f"{self._what} was closed")
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._opening is None or self._loop is not loop:
            self._opening = asyncio.Lock()
            self._loop = loop
            self._client = None
            self._holder = None  # the previous loop's: closed at its shutdown, or abandoned
        async with self._opening:
            if self._client is None:
                opened: asyncio.Future[DynamoDBClient] = loop.create_future()
                holder = _held_open(self._factory, opened)
                with mapped_errors():
                    await anext(holder)
                self._holder = holder
                self._client = opened.result()
            if self.closed:  # close() ran while the client was opening
                await self.close()
                raise SessionClosedError(f"{self._what} was closed")
            return self._client

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    async def close(self) -> None:
        """Close the running loop's client; later calls raise `SessionClosedError`."""
        self._closed = True
        holder, self._holder = self._holder, None
        self._client = None
        if holder is not None and self._loop is asyncio.get_running_loop():
            await holder.aclose()
