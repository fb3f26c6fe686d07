"""A TCP proxy on loopback that injects network faults between a client and a Redis server.

A mock cannot show what a real client does when a reply is slow, never comes, or is lost after
the server applied the command; a real socket between a real client and a real server can.
Everything runs on the test's own event loop and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass
from types import TracebackType

__all__ = ["FaultProxy"]

HOST = "127.0.0.1"
_RESERVED_PORT = 6379  # the shared server's port; never ours
_BIND_ATTEMPTS = 5
_CHUNK = 64 * 1024
# Upstream bytes remembered per connection, so a ``matching`` split across two reads is found.
_TAIL = 256
_CONNECT_TIMEOUT_S = 5.0
_CLOSE_TIMEOUT_S = 1.0


def _abort(writer: asyncio.StreamWriter, *, reset: bool) -> None:
    """Close at once, dropping unsent data; with ``reset`` the peer gets an RST instead of a FIN."""
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to reset
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _wait_closed(writer: asyncio.StreamWriter) -> None:
    """Wait until the transport is really gone, so no unclosed-transport warning follows."""
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), _CLOSE_TIMEOUT_S)
    if not writer.transport.is_closing():  # pragma: no cover - only when a peer stalls a flush
        _abort(writer, reset=False)


@dataclass(eq=False)
class _Link:
    """One proxied connection: the client's side and the server's side."""

    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    tail: bytes = b""
    drop_armed: bool = False  # swallow the next reply, then cut
    cut: bool = False


class FaultProxy:
    """Sits between a client and a Redis server on loopback and injects faults on demand.

    Fault controls take effect at once for existing and new connections; each chunk is judged
    by the faults in force when it was read (a chunk already being delayed keeps its delay).
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target_host = target_host
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._stopped = False
        self._delay = 0.0
        self._black_hole = False
        self._refusing = False
        self._drop_armed = False
        self._drop_matching: bytes | None = None
        self._forwarded = 0
        self._links: set[_Link] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._errors: list[BaseException] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free loopback port (never 6379)."""
        if self._server is not None or self._stopped:
            raise RuntimeError("a FaultProxy starts once")
        for _ in range(_BIND_ATTEMPTS):
            server = await asyncio.start_server(self._on_accept, HOST, 0)
            port = int(server.sockets[0].getsockname()[1])
            if port != _RESERVED_PORT:
                self._server, self._port = server, port
                return
            server.close()
            await server.wait_closed()
        raise RuntimeError(f"no free port on {HOST} other than {_RESERVED_PORT}")

    async def stop(self) -> None:
        """Close the listener and every connection, and end every task. Idempotent.

        Raises:
            RuntimeError: a connection handler failed unexpectedly (a bug in the proxy).
        """
        server, self._server = self._server, None
        if server is None:
            return
        self._stopped = True
        server.close()
        for writer in list(self._writers):
            _abort(writer, reset=False)
        self._links.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(_wait_closed(writer) for writer in list(self._writers)))
        self._writers.clear()
        await server.wait_closed()
        if self._errors:
            raise RuntimeError("a FaultProxy connection handler failed") from self._errors[0]

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        if self._port is None:
            raise RuntimeError("the FaultProxy is not started")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>``: point a client here instead of at the server."""
        return f"redis://{HOST}:{self.port}"

    @property
    def connections(self) -> int:
        """Client connections currently open through the proxy."""
        return len(self._links)

    @property
    def drop_pending(self) -> bool:
        """Whether a ``drop_next_reply`` has not fired yet: no matching reply was lost so far."""
        return self._drop_armed or any(link.drop_armed for link in self._links)

    @property
    def forwarded_commands(self) -> int:
        """Client-to-server chunks forwarded: roughly commands, as a pipeline is one chunk."""
        return self._forwarded

    # -- fault controls --------------------------------------------------------------------

    def set_delay(self, seconds: float) -> None:
        """Hold every chunk ``seconds`` in each direction, so a round trip costs twice that."""
        if seconds < 0:
            raise ValueError(f"delay must be >= 0, got {seconds!r}")
        self._delay = seconds

    def black_hole(self) -> None:
        """Keep and accept connections but swallow every byte both ways, like a dead network.

        A connection's close (EOF) is still passed on, so a client giving up frees the server.
        """
        self._black_hole = True

    def heal(self) -> None:
        """Forward normally again: no delay, no black hole, accepting, no reply to drop."""
        self._delay = 0.0
        self._black_hole = False
        self._refusing = False
        self._drop_armed = False
        self._drop_matching = None
        for link in self._links:
            link.drop_armed = False

    async def cut_all(self) -> None:
        """Abruptly close (RST) both sides of every current connection; new ones still work."""
        links = list(self._links)
        for link in links:
            self._cut(link, reset=True)
        await asyncio.gather(
            *(_wait_closed(writer) for link in links for writer in (link.client, link.server))
        )

    def refuse(self) -> None:
        """Reset every new client connection as soon as it is accepted."""
        self._refusing = True

    def accept(self) -> None:
        """Serve new client connections again (undoes ``refuse``)."""
        self._refusing = False

    def drop_next_reply(self, *, matching: bytes | None = None) -> None:
        """Lose the next reply after the server applied the command, then cut that connection.

        Without ``matching`` the next server-to-client chunk on any connection is dropped. With
        it, the first client-to-server chunk containing ``matching`` (case-sensitive, e.g.
        ``b"RPUSH"``) is forwarded in full and its connection marked: the next reply on it,
        which proves the server executed the command, is swallowed and both sides are reset.
        Fires once. With pipelining the reply dropped may belong to an earlier command.
        """
        if matching is not None and not matching:
            raise ValueError("matching must be non-empty bytes or None")
        self._drop_armed = True
        self._drop_matching = matching

    # -- connection handling ---------------------------------------------------------------

    def _on_accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Called synchronously on accept, so every connection is tracked before any await."""
        if self._stopped or self._refusing:
            _abort(writer, reset=True)
            return
        self._writers.add(writer)
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """Forget a finished handler; keep its failure for stop() to raise."""
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self._errors.append(error)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        server_writer: asyncio.StreamWriter | None = None
        try:
            try:
                server_reader, upstream = await asyncio.wait_for(
                    asyncio.open_connection(self._target_host, self._target_port),
                    _CONNECT_TIMEOUT_S,
                )
            except (OSError, asyncio.TimeoutError):
                _abort(client_writer, reset=True)  # the server is down: so is the proxy
                return
            server_writer = upstream
            self._writers.add(upstream)
            link = _Link(client_writer, upstream)
            self._links.add(link)
            pumps = [
                asyncio.ensure_future(self._pump(link, client_reader, upstream, up=True)),
                asyncio.ensure_future(self._pump(link, server_reader, client_writer, up=False)),
            ]
            try:
                await asyncio.gather(*pumps)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
                self._links.discard(link)
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    writer.close()
                    await _wait_closed(writer)
                    self._writers.discard(writer)

    async def _pump(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        up: bool,
    ) -> None:
        """Copy one direction until EOF, a cut or stop(); pass EOF on as a half-close."""
        try:
            while not link.cut:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                if self._delay > 0 and not self._black_hole:
                    await asyncio.sleep(self._delay)
                if self._black_hole or link.cut:
                    continue
                if up:
                    writer.write(data)
                    self._forwarded += 1
                    self._watch(link, data)  # no await since write(): no reply can slip past
                elif self._reply_lost(link):
                    self._cut(link, reset=True)
                    return
                else:
                    writer.write(data)
                await writer.drain()
            if not writer.transport.is_closing() and writer.can_write_eof():
                writer.write_eof()
        except OSError:  # one side reset or vanished: take the other down too
            self._cut(link, reset=False)

    def _watch(self, link: _Link, data: bytes) -> None:
        """Mark ``link`` if ``data`` completes the awaited ``matching`` bytes."""
        window = link.tail + data
        matching = self._drop_matching
        if self._drop_armed and matching is not None:
            # Only a match that ends in the new data counts; older ones were judged already.
            start = max(0, len(link.tail) - len(matching) + 1)
            if window.find(matching, start) != -1:
                link.drop_armed = True
                self._drop_armed = False
                self._drop_matching = None
        link.tail = window[-_TAIL:]

    def _reply_lost(self, link: _Link) -> bool:
        if link.drop_armed:
            return True
        if self._drop_armed and self._drop_matching is None:
            self._drop_armed = False
            return True
        return False

    def _cut(self, link: _Link, *, reset: bool) -> None:
        link.cut = True
        self._links.discard(link)
        _abort(link.client, reset=reset)
        _abort(link.server, reset=reset)
