"""An HTTP/1.1 proxy on loopback that answers or spoils chosen DynamoDB requests.

FaultProxy works on bytes; DynamoDB's own failures are HTTP replies: a throttled request is
a 400 with a JSON body naming ``ProvisionedThroughputExceededException``, an overloaded one a
500 or 503. This proxy reads each request whole, picks it by its ``X-Amz-Target``, and either
answers it itself with such a reply, forwards it and replaces the server's reply (the server
applied it, the client hears it failed), or just forwards it. It also records each request's
size, so a test can measure what an operation sends. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
import zlib
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["Hold", "HttpFaultInjector", "Seen"]

HOST = "127.0.0.1"
_RESERVED_PORT = 6379
_TARGET_HEADER = b"x-amz-target"
_TARGET_PREFIX = "DynamoDB_20120810."
_REASONS = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class _Rule:
    operation: str
    remaining: int
    status: int
    code: str
    after_forwarding: bool


@dataclass
class Hold:
    """A request kept from the server until the test releases it.

    Attributes:
        arrived: Set once the request reached the proxy (and waits there).
        released: Set by the test to forward it.
    """

    operation: str
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Seen:
    """One request the proxy received: its operation, its size, and whether it was spoiled."""

    operation: str
    size: int
    spoiled: bool


@dataclass
class _Message:
    head: bytes
    body: bytes
    headers: dict[bytes, bytes] = field(default_factory=dict)


async def _read_message(reader: asyncio.StreamReader) -> _Message | None:
    """Read one HTTP/1.1 message (Content-Length or chunked body); None at a clean EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    headers: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            body += size_line + chunk
            if size == 0:
                break
    else:
        body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return _Message(head, body, headers)


def error_reply(status: int, code: str) -> bytes:
    """A reply as DynamoDB sends it for ``code``, with the CRC32 botocore checks."""
    body = json.dumps(
        {
            "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
            "message": f"{code} injected by the test",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
        f"x-amz-crc32: {zlib.crc32(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


class HttpFaultInjector:
    """Forwards DynamoDB requests to a server, failing the ones ``fail`` asks for."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._rules: list[_Rule] = []
        self._holds: list[Hold] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.seen: list[Seen] = []

    async def start(self) -> None:
        """Listen on a free loopback port (never 6379)."""
        while self._server is None:
            server = await asyncio.start_server(self._on_accept, HOST, 0)
            port = int(server.sockets[0].getsockname()[1])
            if port == _RESERVED_PORT:
                server.close()
                await server.wait_closed()
                continue
            self._server, self._port = server, port

    async def stop(self) -> None:
        """Close the listener and every connection. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> HttpFaultInjector:
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
            raise RuntimeError("the HttpFaultInjector is not started")
        return self._port

    def fail(
        self,
        operation: str,
        times: int,
        *,
        status: int = 400,
        code: str = "ProvisionedThroughputExceededException",
        after_forwarding: bool = False,
    ) -> None:
        """Fail the next ``times`` requests of ``operation`` (``"TransactWriteItems"``).

        Without ``after_forwarding`` the proxy answers them itself and the server never sees
        them; with it, the server applies each and its reply is replaced by the error.
        """
        self._rules.append(_Rule(operation, times, status, code, after_forwarding))

    def hold_next(self, operation: str) -> Hold:
        """Keep the next request of ``operation`` from the server until ``released`` is set.

        The client waits for its reply meanwhile, as it would on a slow network, so the
        test can run other operations between its read and its write.
        """
        hold = Hold(operation)
        self._holds.append(hold)
        return hold

    def heal(self) -> None:
        """Forget every failure not yet injected and forward every held request."""
        self._rules.clear()
        for hold in self._holds:
            hold.released.set()
        self._holds.clear()

    def sizes(self, operation: str) -> list[int]:
        """The size in bytes (head and body) of each request of ``operation`` received."""
        return [seen.size for seen in self.seen if seen.operation == operation]

    def _rule_for(self, operation: str) -> _Rule | None:
        for rule in self._rules:
            if rule.operation == operation and rule.remaining > 0:
                rule.remaining -= 1
                return rule
        return None

    def _on_accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                request = await _read_message(reader)
                if request is None:
                    return
                target = request.headers.get(_TARGET_HEADER, b"").decode()
                operation = target.removeprefix(_TARGET_PREFIX)
                rule = self._rule_for(operation)
                self.seen.append(Seen(operation, len(request.head) + len(request.body), bool(rule)))
                if rule is not None and not rule.after_forwarding:
                    writer.write(error_reply(rule.status, rule.code))
                    await writer.drain()
                    continue
                hold = next((h for h in self._holds if h.operation == operation), None)
                if hold is not None:
                    self._holds.remove(hold)
                    hold.arrived.set()
                    await hold.released.wait()
                if upstream is None:
                    upstream = await asyncio.open_connection(*self._target)
                    self._writers.add(upstream[1])
                upstream[1].write(request.head + request.body)
                await upstream[1].drain()
                reply = await _read_message(upstream[0])
                if reply is None:
                    return  # the server closed: so does the proxy
                if rule is not None:
                    writer.write(error_reply(rule.status, rule.code))
                else:
                    writer.write(reply.head + reply.body)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            return  # a side went away: the other is closed below
        finally:
            for side in (writer, upstream[1] if upstream else None):
                if side is not None:
                    self._writers.discard(side)
                    side.close()
                    with contextlib.suppress(OSError):
                        await side.wait_closed()
