"""What the command line tests share: a run's result, and a store on a real server."""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import redis
from redis.cluster import RedisCluster

from openai_agents_session import SessionRecord, SessionStore, open_store
from openai_agents_session.redis import RedisSessionStore, SessionInfo

T = TypeVar("T")

# DynamoDB Local takes any secret; this one is looked for in everything the command prints.
SECRET_ACCESS_KEY = "s3cr3t-Never-Printed-7f1c"


def console_script() -> str:
    """Return the path of the installed ``openai-agents-session`` script of this interpreter."""
    found = shutil.which("openai-agents-session", path=str(Path(sys.executable).parent))
    assert found, "the console script is installed with the package"
    return found


@dataclass
class Result:
    """What one run of the command line returned and printed."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


Run = Callable[..., Result]


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal and answers from a string."""

    def isatty(self) -> bool:
        return True


@dataclass
class Store:
    """A key prefix on a real server, with the arguments that name it."""

    url: str
    cluster: bool
    prefix: str
    client: redis.Redis | RedisCluster

    @property
    def target(self) -> str:
        """The URL the command line is given: ``redis+cluster://`` on a cluster."""
        return self.url.replace("redis://", "redis+cluster://", 1) if self.cluster else self.url

    def args(self, prefix: str | None = None) -> list[str]:
        """``--url`` (``redis+cluster://`` on a cluster) and ``--prefix``."""
        return ["--url", self.target, "--prefix", prefix or self.prefix]

    def call(self, work: Callable[[RedisSessionStore], Coroutine[Any, Any, T]]) -> T:
        """Run ``work`` on a library store over this prefix, in an event loop of its own."""

        async def go() -> T:
            async with RedisSessionStore.from_url(
                self.url, key_prefix=self.prefix, cluster=self.cluster
            ) as store:
                return await work(store)

        return asyncio.run(go())

    def write(
        self,
        sessions: Mapping[str, list[dict[str, Any]]],
        *,
        ttl: int | None = None,
        owner: str | None = None,
        title: str | None = None,
    ) -> None:
        """Store sessions through the library, with the given TTL, owner and title."""

        async def work(store: RedisSessionStore) -> None:
            for session_id, items in sessions.items():
                session = store.session(session_id, ttl=ttl, owner=owner)
                await session.add_items(items)
                if title is not None:
                    await session.set_metadata(title=title)

        self.call(work)

    def fill(self, count: int) -> set[str]:
        """Create ``count`` one-item sessions quickly, straight in the documented format."""
        ids = {f"s{number:05d}" for number in range(count)}
        pipe = self.client.pipeline()
        for session_id in ids:
            pipe.rpush(f"{self.prefix}:{session_id}", b'{"role":"user","content":"x"}')
        pipe.execute()
        return ids

    def items(self, session_id: str) -> list[Any]:
        """The session's items, read by the library."""

        async def work(store: RedisSessionStore) -> list[Any]:
            return list(await store.session(session_id).get_items())

        return self.call(work)

    def info(self, session_id: str) -> SessionInfo:
        """The session's info, read by the library."""

        async def work(store: RedisSessionStore) -> SessionInfo:
            return await store.info(session_id)

        return self.call(work)

    def ids(self, prefix: str | None = None) -> set[str]:
        """Every session id under ``prefix`` (this store's by default)."""
        chosen = prefix or self.prefix
        start = len(chosen) + 1
        return {
            key.decode()[start:]
            for key in self.client.scan_iter(match=f"{chosen}:*", count=1000, _type="list")
        }


@dataclass
class StoreSide:
    """A store a command names (a source or a target), read and written through ``open_store``."""

    url: str
    prefix: str | None = None
    """A Redis store's key prefix; a DynamoDB store's namespace is its table."""
    options: dict[str, str] = field(default_factory=dict)
    """What this process's ``open_store`` needs beside the URL (the script's are in its env)."""

    @property
    def as_source(self) -> list[str]:
        return ["--from", self.url] + (["--from-prefix", self.prefix] if self.prefix else [])

    @property
    def as_target(self) -> list[str]:
        return ["--url", self.url] + (["--prefix", self.prefix] if self.prefix else [])

    @property
    def description(self) -> str:
        """How the command names the store."""
        return self.url if self.prefix is None else f"{self.url} (prefix {self.prefix!r})"

    def call(self, work: Callable[[SessionStore], Awaitable[T]]) -> T:
        async def go() -> T:
            async with open_store(self.url, key_prefix=self.prefix, **self.options) as store:
                return await work(store)

        return asyncio.run(go())

    def put(self, *records: SessionRecord) -> None:
        async def work(store: SessionStore) -> None:
            for record in records:
                assert await store.import_session(record)

        self.call(work)

    def records(self) -> dict[str, SessionRecord]:
        async def work(store: SessionStore) -> dict[str, SessionRecord]:
            return {record.session_id: record async for record in store.export()}

        return self.call(work)

    def expiry(self, session_id: str) -> float | None:
        """The session's Unix time of expiry, to the second, or None if it never expires."""

        async def work(store: SessionStore) -> float | None:
            ttl = (await store.info(session_id)).ttl_seconds
            return None if ttl is None else time.time() + ttl

        return self.call(work)

    def owned(self, owner: str) -> set[str]:
        """The ids the owner listing shows, every page of it."""

        async def work(store: SessionStore) -> set[str]:
            found: set[str] = set()
            cursor: str | None = None
            while True:
                page = await store.owner_page(owner, cursor=cursor, count=2)
                found |= {entry.session_id for entry in page.sessions}
                cursor = page.cursor
                if cursor is None:
                    return found

        return self.call(work)

    def count(self) -> int:
        async def work(store: SessionStore) -> int:
            return await store.count_sessions()

        return self.call(work)
