"""One adapter per backend: what the contract suite needs to know about a store, and no more.

The contract tests talk to a backend only through an adapter: it builds sessions and a store
over a namespace of their own (a fresh key prefix on Redis), opens extra connections for
tests that need independent clients, says how another process reaches the same sessions, and
deletes what it made. Its capability flags state what the backend promises, and the tests
that need a promise skip the backends that do not make it.

Session options use the contract's names (``ttl``, ``owner``, ``max_items``,
``session_settings``); an adapter maps them to its backend's own spelling.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from clients import TEST_PREFIX_ROOT, client_spec
from contract.processes import open_dynamodb_session, open_redis_session
from dynamodb_servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    DynamoDBLocal,
    dynamodb_client,
)

from openai_agents_session import RedisSession, RedisSessionStore
from openai_agents_session._store import SessionStore
from openai_agents_session.dynamodb import (
    DynamoDBSession,
    DynamoDBSessionStore,
    create_table_if_not_exists,
)
from openai_agents_session.redis._driver import RedisClient


@dataclass(frozen=True)
class ProcessTarget:
    """How a child process opens a session of the same namespace: plain, picklable data.

    ``open`` must be a module-level function; it gets ``(args, session_id)`` and returns the
    session and a coroutine function that closes the connection it opened.
    """

    open: Callable[[Any, str], tuple[Any, Callable[[], Awaitable[None]]]]
    args: Any
    preload: tuple[str, ...] = ()


class Backend(ABC):
    """The contract suite's view of one backend.

    Attributes:
        name: The test id of this backend and topology, e.g. ``redis-cluster``.
        exactly_once: ``add_items`` with a ``batch_id`` stores the batch once, and an
            identical retry after a failed call reuses the failed call's batch id.
        ttl_resolution_s: How late a session may still be readable after its TTL ran out.
        concurrent_processes: Writers in separate processes may share one session.
        owner_listing_lag_s: How long an owner's listing may lag behind a write (an
            eventually consistent index); the tests poll that long before failing.
        contending_writers: Writers, each with its own connection, that append to one
            session at once in the contention test.
    """

    name: str
    exactly_once: bool = False
    ttl_resolution_s: float = 1.0
    concurrent_processes: bool = False
    owner_listing_lag_s: float = 0.0
    contending_writers: int = 50

    @property
    @abstractmethod
    def store(self) -> SessionStore:
        """The store of this test's namespace."""

    @abstractmethod
    def session(self, session_id: str, **options: Any) -> Any:
        """Return a session of this test's namespace over the shared connection."""

    @abstractmethod
    async def session_on_new_connection(self, session_id: str, **options: Any) -> Any:
        """Return a session over a connection of its own; ``cleanup`` closes it."""

    @abstractmethod
    def process_target(self) -> ProcessTarget:
        """Return how another process opens sessions of this namespace."""

    async def open(self) -> None:
        """Create what the namespace needs before the test runs; most backends need nothing."""
        return

    @abstractmethod
    async def cleanup(self) -> None:
        """Delete everything this test wrote and close every connection it opened."""

    def require(self, capability: str) -> None:
        """Skip the test unless this backend claims ``capability``."""
        if not getattr(self, capability):
            pytest.skip(f"{self.name} does not claim {capability}")


class RedisBackend(Backend):
    """Redis of one topology; the namespace is a fresh key prefix under the test root."""

    exactly_once = True
    # TTLs are whole seconds and an expired key is never returned.
    ttl_resolution_s = 1.0
    concurrent_processes = True

    def __init__(self, request: pytest.FixtureRequest, topology: str) -> None:
        self.name = f"redis-{topology}"
        self.topology = topology
        self._spec = client_spec(request, topology)
        self.client: RedisClient = self._spec.connect()
        self.key_prefix = f"{TEST_PREFIX_ROOT}:{uuid.uuid4().hex[:12]}"
        self._store = RedisSessionStore(self.client, key_prefix=self.key_prefix)
        self._extra_clients: list[RedisClient] = []

    @property
    def store(self) -> RedisSessionStore:
        return self._store

    def session(self, session_id: str, **options: Any) -> RedisSession:
        return RedisSession(session_id, self.client, key_prefix=self.key_prefix, **options)

    async def session_on_new_connection(self, session_id: str, **options: Any) -> RedisSession:
        client = self._spec.connect()
        self._extra_clients.append(client)
        return RedisSession(session_id, client, key_prefix=self.key_prefix, **options)

    def process_target(self) -> ProcessTarget:
        return ProcessTarget(
            open_redis_session,
            (self._spec, self.key_prefix),
            preload=("clients", "redis.asyncio", "openai_agents_session.redis"),
        )

    async def cleanup(self) -> None:
        try:
            keys = [k async for k in self.client.scan_iter(match=f"*{self.key_prefix}:*")]
            for key in keys:  # one by one: on a cluster the keys live in many slots
                await self.client.delete(key)
        finally:
            await asyncio.gather(*(c.aclose() for c in self._extra_clients))
            await self.client.aclose()


class DynamoDBBackend(Backend):
    """DynamoDB Local; the namespace is a fresh table, made by ``open`` and deleted after.

    A table create and delete costs about 12 ms on DynamoDB Local, so each test gets its own
    rather than a share of a module's table.
    """

    # Within the ten-minute window of ClientRequestToken; a retry after it is not covered.
    exactly_once = True
    # Expiry is checked on every read against whole seconds of the client's clock.
    ttl_resolution_s = 1.0
    concurrent_processes = True
    # Conditional writes retry on every lost race, so the work grows with the square of the
    # writers: 20 make the same races in a fifth of the time (50 run in
    # ``python -m benchmarks.dynamodb_contention``).
    contending_writers = 20
    # The owner index is a global secondary index: eventually consistent on AWS (DynamoDB
    # Local updates it with the write).
    owner_listing_lag_s = 5.0

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.name = "dynamodb"
        self.server: DynamoDBLocal = request.getfixturevalue("dynamodb_local")
        self.table = f"contract-{uuid.uuid4().hex[:12]}"
        self._stack = contextlib.AsyncExitStack()
        self.client: Any = None
        self._store: DynamoDBSessionStore | None = None

    async def open(self) -> None:
        self.client = await self._stack.enter_async_context(dynamodb_client(self.server))
        await create_table_if_not_exists(self.client, self.table)
        self._store = DynamoDBSessionStore(self.client, self.table)

    @property
    def store(self) -> SessionStore:
        assert self._store is not None, "open() makes the store"
        return self._store

    def session(self, session_id: str, **options: Any) -> DynamoDBSession:
        return DynamoDBSession(session_id, self.client, self.table, **_dynamodb_options(options))

    async def session_on_new_connection(self, session_id: str, **options: Any) -> DynamoDBSession:
        client = await self._stack.enter_async_context(dynamodb_client(self.server))
        return DynamoDBSession(session_id, client, self.table, **_dynamodb_options(options))

    def process_target(self) -> ProcessTarget:
        url = f"dynamodb://{self.table}?region={REGION}&endpoint_url={self.server.endpoint_url}"
        return ProcessTarget(
            open_dynamodb_session,
            (url, ACCESS_KEY_ID, SECRET_ACCESS_KEY),
            preload=("aiobotocore.session", "openai_agents_session.dynamodb"),
        )

    async def cleanup(self) -> None:
        try:
            if self.client is not None:
                await self.client.delete_table(TableName=self.table)
        finally:
            await self._stack.aclose()


def _dynamodb_options(options: dict[str, Any]) -> dict[str, Any]:
    """Map the contract's option names to DynamoDBSession's (``ttl`` is ``ttl_seconds``)."""
    if "ttl" in options:
        options = dict(options)
        options["ttl_seconds"] = options.pop("ttl")
    return options
