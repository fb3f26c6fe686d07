"""The Redis driver boundary: client types, the client factory, and the one call wrapper.

Everything the backend sends goes through `driver_call`, where redis-py's errors are mapped
onto the library's tree (see ``_errors``), a cancellation always reaches the caller (see
``_cancellation``) and a client never sends on a connection of another event loop (see
``_loops``). Nothing above this module handles redis-py's exceptions itself.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import ssl
import weakref
from collections.abc import Awaitable, Mapping
from typing import Any, TypeAlias, cast

import redis
import redis.asyncio as redis_asyncio
import redis.cluster
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from ..errors import ConfigurationError, WrongKeyTypeError
from ._cancellation import await_cancellable, cancellation_requests
from ._errors import DRIVER_ERRORS, map_driver_error
from ._loops import enter_running_loop, in_running_loop, own_client

__all__ = [
    "URL_SCHEMES",
    "NoTouch",
    "RedisClient",
    "client_from_url",
    "driver_call",
    "initialize_cluster",
    "is_outage",
    "merged_client_options",
    "raise_error",
    "refuse_cluster_node",
    "validate_client",
]

RedisClient: TypeAlias = redis_asyncio.Redis | RedisCluster
"""A client the backend accepts: a plain, Sentinel-managed or cluster ``redis.asyncio`` client."""

URL_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")
_CLUSTER_SUFFIX = "+cluster"


def validate_client(client: object) -> None:
    if isinstance(client, (redis.Redis, redis.cluster.RedisCluster)):
        kind = type(client)
        raise ConfigurationError(
            f"redis_client is a synchronous {kind.__module__}.{kind.__qualname__}; expected an "
            "asyncio client: redis.asyncio.from_url(...), redis.asyncio.cluster.RedisCluster or "
            "redis.asyncio.sentinel.Sentinel(...).master_for(...)"
        )


def merged_client_options(
    redis_kwargs: Mapping[str, object] | None, options: dict[str, Any]
) -> dict[str, Any]:
    """Merge the SDK's ``redis_kwargs`` with our keyword options; one option, one value."""
    if redis_kwargs is None:
        return options
    if not isinstance(redis_kwargs, Mapping):
        raise ConfigurationError(
            f"redis_kwargs must be a dict of redis-py options, got a {type(redis_kwargs).__name__}"
        )
    merged: dict[str, Any] = dict(redis_kwargs)
    for name, value in options.items():
        if name in merged and merged[name] is not value and merged[name] != value:
            first, second = (
                ("***", "***") if "password" in name else (repr(merged[name]), repr(value))
            )
            raise ConfigurationError(
                f"{name} is {first} in redis_kwargs and {second} as a keyword; give it once"
            )
        merged[name] = value
    return merged


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the server cannot be reached now, rather than refusing this client.

    redis-py reports a wrong password and a TLS handshake that fails as connection errors too:
    those are setup errors, so they count as no outage.
    """
    outage = False
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and not any(current is other for other in seen):
        seen.append(current)
        if isinstance(current, (AuthenticationError, ssl.SSLError)):
            return False
        if isinstance(current, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            outage = True
        current = current.__cause__ or current.__context__
    return outage


_cluster_init_locks: weakref.WeakKeyDictionary[
    RedisCluster, tuple[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()


async def initialize_cluster(client: RedisCluster) -> None:
    """Let one caller discover the cluster's nodes while the others wait.

    redis-py 8's asyncio RedisCluster fails ("'NoneType' object has no attribute
    'writelines'") when several commands start while it is still (re)discovering its nodes;
    7.x does not. Commands issued once ``initialize()`` has returned are safe.
    """
    loop = asyncio.get_running_loop()
    entry = _cluster_init_locks.get(client)
    if entry is None or entry[0] is not loop:  # a lock serves the loop it was made in
        entry = _cluster_init_locks[client] = (loop, asyncio.Lock())
    async with entry[1]:
        await client.initialize()


class NoTouch:
    """Turn ``CLIENT NO-TOUCH ON`` on for every connection a client opens, where supported.

    With it, the client's own reads leave keys' idle clocks (``OBJECT IDLETIME``) and LRU
    positions alone, so an inspection reports the idle time the applications left. Redis 7.2
    and Valkey have it; older servers, and users the ACL refuses it, do not: `supported` is then
    False, and idle times this client's reads would have reset are not worth reporting.
    """

    def __init__(self) -> None:
        self.supported: bool | None = None

    async def on_connect(self, connection: Any) -> None:
        """Connect as redis-py would, then ask the server not to touch keys for this client."""
        await connection.on_connect()
        try:
            await connection.send_command("CLIENT", "NO-TOUCH", "ON")
            await connection.read_response()
        except ResponseError:
            self.supported = False
        else:
            if self.supported is None:
                self.supported = True


async def refuse_cluster_node(client: RedisClient) -> None:
    """Refuse a plain client on a cluster node: it would see that node's sessions only.

    Raises:
        ConfigurationError: The server is a node of a Redis Cluster.
    """
    if isinstance(client, RedisCluster):
        return
    try:
        info = await driver_call(client, client.info("cluster"), key="")
    except NoPermissionError:  # INFO is not allowed for this user: nothing to check with
        return
    if int(info.get("cluster_enabled", 0)):
        raise ConfigurationError(
            "the server is a node of a Redis Cluster; use a redis+cluster:// URL"
        )


def client_from_url(
    url: str, *, cluster: bool = False, no_touch: NoTouch | None = None, **options: Any
) -> RedisClient:
    """Build a client from a ``redis://``, ``rediss://``, ``unix://`` or ``redis+cluster://`` URL.

    ``redis+cluster://`` and ``rediss+cluster://`` name any node of a Redis Cluster, as
    ``cluster=True`` does. The library owns the client: used in a new event loop (a new
    ``asyncio.run()``), it reconnects there instead of using connections of the old loop.
    With ``no_touch``, every connection turns ``CLIENT NO-TOUCH`` on (see `NoTouch`).

    Raises:
        ConfigurationError: The URL's scheme is not one of those.
    """
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in URL_SCHEMES:
        raise ConfigurationError(
            f"unknown URL scheme {scheme!r}; expected redis, rediss, unix, redis+cluster or "
            "rediss+cluster"
        )
    if scheme.endswith(_CLUSTER_SUFFIX):
        url = scheme.removesuffix(_CLUSTER_SUFFIX) + url[len(scheme) :]
        cluster = True
    # A bound coroutine method: redis-py awaits the hook only if it is a coroutine function.
    hook = {} if no_touch is None else {"redis_connect_func": no_touch.on_connect}
    client: RedisClient
    if cluster:
        client = RedisCluster.from_url(url, **options)
        # RedisCluster takes no connect hook; its nodes' connections do, from these kwargs.
        client.nodes_manager.connection_kwargs.update(hook)
    else:
        client = redis_asyncio.from_url(url, **options, **hook)
    own_client(client)
    return client


async def driver_call(client: RedisClient, command: Awaitable[Any], *, key: str) -> Any:
    """Await one driver call on ``client``, mapping its errors onto the library's hierarchy.

    This is the one boundary where driver errors are mapped. A WRONGTYPE reply becomes a
    WrongKeyTypeError naming ``key`` and the type it holds. A cancellation of the calling
    task that arrives meanwhile always ends the call in CancelledError, even where redis-py
    swallowed it (see ``_cancellation``).

    Raises:
        EventLoopError: ``client`` is the caller's and holds connections of another event
            loop; ``command`` was not sent.
    """
    try:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop() if task is None else task.get_loop()
        if not in_running_loop(client, loop):
            await enter_running_loop(client)
        requested = cancellation_requests(task)
        if requested:
            await asyncio.sleep(0)  # deliver a pending cancellation here, not inside redis-py
    except BaseException:
        _discard(command)
        raise
    return await await_cancellable(_mapped_call(client, command, key=key), task, requested)


def _discard(command: Awaitable[Any]) -> None:
    """Close a driver coroutine that will never be awaited: it was not sent."""
    if inspect.iscoroutine(command):
        command.close()


@functools.cache
def _is_cluster(client_type: type) -> bool:
    """Whether a client of this type is a cluster client, found once per type.

    redis-py's command classes are typing protocols, which make ``isinstance`` slow enough to
    show on every call.
    """
    return issubclass(client_type, RedisCluster)


async def _mapped_call(client: RedisClient, command: Awaitable[Any], *, key: str) -> Any:
    try:
        if _is_cluster(type(client)) and getattr(client, "_initialize", False):
            try:
                await initialize_cluster(cast("RedisCluster", client))
            except BaseException:
                _discard(command)
                raise
        return await command
    except ResponseError as exc:
        if str(exc).startswith("WRONGTYPE"):
            raise await _wrong_type_error(client, key) from exc
        raise map_driver_error(exc) from exc
    except DRIVER_ERRORS as exc:
        raise map_driver_error(exc) from exc
    except AttributeError as exc:
        if not _connection_torn_away(exc):
            raise
        lost = redis.exceptions.ConnectionError(
            "the connection was closed under this call by the client itself (a cluster "
            "client re-reading the cluster's layout closes every connection)"
        )
        raise map_driver_error(lost) from exc


def _connection_torn_away(exc: AttributeError) -> bool:
    """Whether redis-py used a connection another task had just closed.

    redis-py's cluster client closes every connection of every node when it re-reads the
    cluster's layout (every few MOVED replies); a call that was connecting or sending on one
    of them then fails inside redis-py with "'NoneType' object has no attribute ...". That is
    a lost connection, as retryable as any other, not a bug of the caller's.
    """
    if getattr(exc, "obj", False) is not None:
        return False
    innermost = exc.__traceback__
    while innermost is not None and innermost.tb_next is not None:
        innermost = innermost.tb_next
    if innermost is None:
        return False
    path = innermost.tb_frame.f_code.co_filename.replace("\\", "/")
    return path.endswith("redis/asyncio/connection.py")


async def _wrong_type_error(client: RedisClient, key: str) -> WrongKeyTypeError:
    try:
        key_type = await client.type(key)
    except DRIVER_ERRORS:
        key_type = "value of another type"
    if isinstance(key_type, bytes):
        key_type = key_type.decode()
    return WrongKeyTypeError(key, str(key_type), expected="list")


async def raise_error(error: Exception) -> None:
    """Raise ``error``: lets a reply that a pipeline returned go through ``driver_call``."""
    raise error
