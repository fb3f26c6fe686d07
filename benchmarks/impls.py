"""The session stores under test, each behind the same three calls.

All of them share one redis-py client (and so one parser) in one process, so a ratio between
two of them measures the libraries, not the environment.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, cast

import orjson
import redis.asyncio as redis_asyncio

from openai_agents_session import RedisSession
from openai_agents_session.redis._keys import meta_key

from .items import ASSISTANT, USER

TTL_S = 3600
REPO = Path(__file__).resolve().parents[1]
DEFAULT_COMPAT_DIR = REPO / ".venv" / "compat" / "0.1.0"

# The least an append can be: one EVALSHA doing RPUSH + EXPIRE atomically.
FLOOR_SCRIPT = (
    "redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))\nredis.call('EXPIRE', KEYS[1], ARGV[1])"
)

Client = redis_asyncio.Redis


class BenchSession(Protocol):
    """What every workload calls; the SDK's ``Session`` protocol, trimmed to what we time."""

    async def get_items(self, limit: int | None = None) -> list[Any]: ...

    async def add_items(self, items: list[Any]) -> None: ...

    async def pop_item(self) -> Any | None: ...


class FloorSession:
    """The floor: the least work any correct implementation must do with redis-py.

    One EVALSHA per append, one LRANGE per read, one RPOP per pop, orjson both ways, no
    validation and no error mapping.
    """

    __slots__ = ("_client", "_key", "_sha")

    def __init__(self, client: Client, key: str, sha: str) -> None:
        self._client = client
        self._key = key
        self._sha = sha

    async def add_items(self, items: list[Any]) -> None:
        await self._client.evalsha(
            self._sha, 1, self._key, TTL_S, *[orjson.dumps(item) for item in items]
        )

    async def get_items(self, limit: int | None = None) -> list[Any]:
        raw = await self._client.lrange(self._key, -limit if limit else 0, -1)
        return [orjson.loads(payload) for payload in raw]

    async def pop_item(self) -> Any | None:
        raw = cast("bytes | None", await self._client.rpop(self._key))
        return None if raw is None else orjson.loads(raw)


class FloorMultiSession(FloorSession):
    """The floor with the append as a MULTI/RPUSH/EXPIRE/EXEC pipeline instead of a script."""

    __slots__ = ()

    async def add_items(self, items: list[Any]) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.rpush(self._key, *[orjson.dumps(item) for item in items])
        pipe.expire(self._key, TTL_S)
        await pipe.execute()


@dataclass(frozen=True)
class Impl:
    """One store: how to open a session on a client, and which keys a session occupies.

    ``key_templates`` are found by :func:`discover_keys`, not declared, so that memory counts
    every key a store writes (companion keys, metadata hashes), as it writes them today.
    """

    name: str
    description: str
    open: Callable[[Client, str], BenchSession]
    list_key: Callable[[str], str]
    key_templates: tuple[tuple[str, ...], ...] = ()
    # For a store whose key names depend on more than the id (ours: a slot tag), the names.
    keys_of: Callable[[str], list[str]] | None = None

    def keys(self, session_id: str) -> list[str]:
        """Every key a session with this id occupies."""
        if self.keys_of is not None:
            return self.keys_of(session_id)
        return [session_id.join(parts) for parts in self.key_templates]


PROBE_ID = "probe-session-5f1c"


async def discover_keys(impl: Impl, client: Client, control: Client) -> Impl:
    """Run every operation on an empty server and keep the names of the keys that appear.

    A name is stored as its parts around the session id, so ``keys()`` rebuilds it for any id.
    """
    await control.flushall(asynchronous=False)
    session = impl.open(client, PROBE_ID)
    await session.add_items([USER, ASSISTANT])
    await session.get_items()
    await session.pop_item()
    await session.add_items([USER])
    names = sorted(key.decode() for key in cast("list[bytes]", await control.keys("*")))
    await control.flushall(asynchronous=False)
    if impl.list_key(PROBE_ID) not in names:
        raise SystemExit(f"{impl.name}: no list at {impl.list_key(PROBE_ID)!r}; keys: {names}")
    if impl.keys_of is not None and sorted(impl.keys_of(PROBE_ID)) != names:
        raise SystemExit(f"{impl.name}: keys_of() says {impl.keys_of(PROBE_ID)}, not {names}")
    templates = tuple(tuple(name.split(PROBE_ID)) for name in names)
    return dataclasses.replace(impl, key_templates=templates)


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda session_id: f"{prefix}:{session_id}"


def load_0_1_0(compat_dir: Path, module: str = "redis") -> ModuleType:
    """Load a module of the published 0.1.0 under another name: it has our import name."""
    source = compat_dir / "openai_agents_session" / f"{module}.py"
    if not source.is_file():
        raise SystemExit(
            f"openai-agents-session 0.1.0 is not installed at {compat_dir}: run `make bench`, or\n"
            f"  pip install --no-deps --target {compat_dir} openai-agents-session==0.1.0"
        )
    spec = importlib.util.spec_from_file_location(f"openai_agents_session_0_1_0_{module}", source)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {source}")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def compat_dir_from_env() -> Path:
    """Where 0.1.0 lives: ``OAS_COMPAT_0_1_0`` (as the tests read it), else ``.venv/compat``."""
    return Path(os.environ.get("OAS_COMPAT_0_1_0", DEFAULT_COMPAT_DIR))


def build_impls(floor_sha: str, compat_dir: Path) -> dict[str, Impl]:
    """Every store, keyed by name, each under its own key prefix so none sees another's data.

    Their keys are not known yet: pass each through :func:`discover_keys`.
    """
    from agents.extensions.memory import RedisSession as SdkRedisSession

    v010 = load_0_1_0(compat_dir)

    floor_key = _prefixed("bench:floor")
    multi_key = _prefixed("bench:floor-multi")
    ours_key = _prefixed("bench:ours")
    direct_key = _prefixed("bench:ours-direct")
    old_key = _prefixed("bench:0.1.0")
    sdk_key = _prefixed("bench:sdk")

    def open_v010(client: Client, session_id: str) -> BenchSession:
        session: BenchSession = v010.RedisSession(
            session_id=session_id, redis_client=client, key_prefix="bench:0.1.0", ttl=TTL_S
        )
        return session

    impls = [
        Impl(
            "floor",
            "redis-py + orjson, EVALSHA(RPUSH+EXPIRE) / LRANGE / RPOP",
            lambda client, sid: FloorSession(client, floor_key(sid), floor_sha),
            floor_key,
        ),
        Impl(
            "floor-multi",
            "the floor with MULTI/RPUSH/EXPIRE/EXEC for appends",
            lambda client, sid: FloorMultiSession(client, multi_key(sid), floor_sha),
            multi_key,
        ),
        Impl(
            "ours",
            "openai_agents_session.RedisSession (this tree), coalescing on (the default)",
            lambda client, sid: RedisSession(sid, client, key_prefix="bench:ours", ttl=TTL_S),
            ours_key,
            keys_of=lambda sid: [ours_key(sid), meta_key("bench:ours", sid)],
        ),
        Impl(
            "ours-direct",
            "ours with coalesce=False: every call on its own, none batched",
            lambda client, sid: RedisSession(
                sid, client, key_prefix="bench:ours-direct", ttl=TTL_S, coalesce=False
            ),
            direct_key,
            keys_of=lambda sid: [direct_key(sid), meta_key("bench:ours-direct", sid)],
        ),
        Impl(
            "0.1.0",
            "openai-agents-session 0.1.0 from PyPI",
            open_v010,
            old_key,
        ),
        Impl(
            "sdk",
            "agents.extensions.memory.RedisSession",
            lambda client, sid: SdkRedisSession(
                sid, redis_client=client, key_prefix="bench:sdk", ttl=TTL_S
            ),
            lambda sid: f"{sdk_key(sid)}:messages",
        ),
    ]
    return {impl.name: impl for impl in impls}
