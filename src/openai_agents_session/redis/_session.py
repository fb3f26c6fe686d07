"""RedisSession: one Redis list per session, one round trip per operation."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeAlias, cast

try:
    import redis.asyncio as redis_asyncio
    from redis.asyncio.cluster import RedisCluster
    from redis.client import NEVER_DECODE
    from redis.exceptions import ResponseError
except ImportError as exc:  # pragma: no cover - exercised by the no-extras job
    from .._optional import missing

    raise missing("redis", "redis") from exc

from .._items import decode_item, encode_items
from ..errors import ConfigurationError, ItemDecodeError, SessionClosedError, WrongKeyTypeError
from ._errors import DRIVER_ERRORS, map_driver_error
from ._keys import DEFAULT_KEY_PREFIX, session_key, validate_prefix, validate_session_id
from ._scripts import scripts_for

if TYPE_CHECKING:
    from types import TracebackType

    from agents import TResponseInputItem
    from agents.memory import SessionSettings
    from typing_extensions import Self

__all__ = ["RedisClient", "RedisSession"]

RedisClient: TypeAlias = redis_asyncio.Redis | RedisCluster
"""A client RedisSession accepts: a plain, Sentinel-managed or cluster client."""

URL_SCHEMES = ("redis", "rediss", "unix")

logger = logging.getLogger("openai_agents_session.redis")
# How much of an undecodable payload a warning quotes.
_LOGGED_PAYLOAD_BYTES = 200


def _validate_ttl(ttl: object) -> int | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ConfigurationError(f"ttl must be a positive int of seconds or None, got {ttl!r}")
    return ttl


def _validate_limit(limit: object) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigurationError(f"limit must be a non-negative int or None, got {limit!r}")
    return limit


_cluster_init_locks: weakref.WeakKeyDictionary[RedisCluster, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _initialize_cluster(client: RedisCluster) -> None:
    """Let one caller discover the cluster's nodes while the others wait.

    redis-py 8's asyncio RedisCluster fails ("'NoneType' object has no attribute
    'writelines'") when several commands start while it is still (re)discovering its nodes;
    7.x does not. Commands issued once ``initialize()`` has returned are safe.
    """
    lock = _cluster_init_locks.setdefault(client, asyncio.Lock())
    async with lock:
        await client.initialize()


class RedisSession:
    """Conversation history of one session, stored as a Redis list.

    Writes one list at ``"{key_prefix}:{session_id}"``: one compact JSON object per item,
    oldest first, the format 0.1.0 wrote and reads. What each operation costs:

    - ``get_items(limit)``: one LRANGE of the last ``limit`` items, O(limit).
    - ``add_items(items)``: one EVALSHA that appends the batch and refreshes the TTL,
      atomically; a key of another type is refused before anything is written.
    - ``pop_item()``: one RPOP.
    - ``clear_session()``: one EVALSHA that deletes the list, refusing a key of another type.

    Every key of a session is in one cluster slot, so the same code serves a plain client,
    a Sentinel-managed master and a ``RedisCluster``.

    A payload that is not a JSON object (written by something else) is skipped with a logged
    warning, never returned as a raw string: ``get_items(limit)`` still returns the last
    ``limit`` valid items, and ``pop_item()`` discards it and pops the next valid item.
    """

    def __init__(
        self,
        session_id: str,
        redis_client: RedisClient,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ttl: int | None = None,
        session_settings: SessionSettings | None = None,
    ) -> None:
        """Create a session over a client the caller owns.

        Args:
            session_id: Unique identifier of the conversation; any non-empty string.
            redis_client: A ``redis.asyncio`` client: plain, from Sentinel's ``master_for``,
                or a ``RedisCluster``. It stays the caller's: ``close()`` leaves it open.
            key_prefix: Prefix of the session's key.
            ttl: Seconds the session lives after its last ``add_items``; None never expires.
            session_settings: Defaults for the SDK, such as the ``limit`` of ``get_items``.

        Raises:
            ConfigurationError: An argument is out of range or of the wrong type.
        """
        self.session_id = validate_session_id(session_id)
        self.session_settings = session_settings
        self._client = redis_client
        self._key_prefix = validate_prefix(key_prefix)
        self._ttl = _validate_ttl(ttl)
        self._key = session_key(self._key_prefix, self.session_id)
        self._scripts = scripts_for(redis_client)
        self._is_cluster = isinstance(redis_client, RedisCluster)
        self._owns_client = False
        self._closed = False

    @classmethod
    def from_url(
        cls,
        session_id: str,
        url: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ttl: int | None = None,
        session_settings: SessionSettings | None = None,
        cluster: bool = False,
        **client_options: Any,
    ) -> RedisSession:
        """Create a session with a client of its own, released by ``close()``.

        Args:
            session_id: Unique identifier of the conversation.
            url: ``redis://``, ``rediss://`` (TLS) or ``unix://`` URL, with credentials and
                database as redis-py reads them.
            key_prefix: Prefix of the session's key.
            ttl: Seconds the session lives after its last ``add_items``; None never expires.
            session_settings: Defaults for the SDK, such as the ``limit`` of ``get_items``.
            cluster: Connect to a Redis Cluster through any of its nodes.
            **client_options: Passed to redis-py's ``from_url``, such as ``socket_timeout``.

        Returns:
            A session that owns its client.

        Raises:
            ConfigurationError: The URL's scheme is not one of redis, rediss or unix.
        """
        scheme = url.partition("://")[0] if "://" in url else ""
        if scheme not in URL_SCHEMES:
            raise ConfigurationError(
                f"unknown URL scheme {scheme!r}; expected redis, rediss or unix"
            )
        client: RedisClient
        if cluster:
            client = RedisCluster.from_url(url, **client_options)
        else:
            client = redis_asyncio.from_url(url, **client_options)
        session = cls(
            session_id,
            client,
            key_prefix=key_prefix,
            ttl=ttl,
            session_settings=session_settings,
        )
        session._owns_client = True
        return session

    @property
    def key(self) -> str:
        """The Redis key holding this session's list."""
        return self._key

    @property
    def ttl(self) -> int | None:
        """Seconds the session lives after its last ``add_items``, or None."""
        return self._ttl

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, key={self._key!r})"

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """Return the latest ``limit`` items, oldest first.

        Args:
            limit: How many of the newest items to return; None falls back to
                ``session_settings.limit``, then to every item. 0 returns ``[]``.

        Returns:
            The items in chronological order.

        Raises:
            ConfigurationError: ``limit`` is negative or not an int.
            WrongKeyTypeError: The key holds a value that is not a list.
        """
        self._check_open()
        if limit is None and self.session_settings is not None:
            limit = self.session_settings.limit
        limit = _validate_limit(limit)
        if limit == 0:
            return []
        start = 0 if limit is None else -limit
        raw: list[bytes] = await self._call(self._command("LRANGE", self._key, start, -1))
        items = self._decode_valid(raw)
        if limit is not None and len(items) < limit and len(raw) == limit:
            # Corrupt payloads took places in the window: read the whole list once, so
            # ``limit`` counts valid items from one consistent snapshot.
            everything: list[bytes] = await self._call(self._command("LRANGE", self._key, 0, -1))
            items = self._decode_valid(everything)[-limit:]
        return items

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` in order and refresh the TTL, atomically, in one round trip.

        Args:
            items: The batch, oldest first. An empty batch writes nothing.

        Raises:
            ItemEncodeError: An item cannot be stored as JSON; nothing is sent.
            WrongKeyTypeError: The key holds a value that is not a list; it is left as it was.
        """
        self._check_open()
        if not items:
            return
        encoded = encode_items(items)
        await self._call(self._scripts.add_items(keys=[self._key], args=[self._ttl or 0, *encoded]))

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item, or None when the session is empty.

        Raises:
            WrongKeyTypeError: The key holds a value that is not a list.
        """
        self._check_open()
        while True:
            raw: bytes | None = await self._call(self._command("RPOP", self._key))
            if raw is None:
                return None
            try:
                return decode_item(raw)
            except ItemDecodeError as exc:
                logger.warning(
                    "discarded undecodable item popped from %r: %s; payload: %r",
                    self._key,
                    exc,
                    raw[:_LOGGED_PAYLOAD_BYTES],
                )

    async def clear_session(self) -> None:
        """Delete the session's list.

        Raises:
            WrongKeyTypeError: The key holds a value that is not a list; it is left as it was.
        """
        self._check_open()
        await self._call(self._scripts.clear_session(keys=[self._key]))

    async def ping(self) -> bool:
        """Return True when the server answers; raise the driver's error when it does not."""
        self._check_open()
        return bool(await self._call(self._client.ping()))

    async def close(self) -> None:
        """Release the client if this session created it (``from_url``); otherwise do nothing."""
        if self._owns_client and not self._closed:
            self._closed = True
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise SessionClosedError(f"session {self.session_id!r} was closed")

    def _command(self, *args: str | int) -> Awaitable[Any]:
        # Replies are always bytes, whatever decode_responses says: orjson reads bytes
        # directly, and an element that is not UTF-8 must not break the whole reply.
        return self._client.execute_command(*args, **{NEVER_DECODE: True})

    def _decode_valid(self, raw: list[bytes]) -> list[TResponseInputItem]:
        items: list[TResponseInputItem] = []
        for payload in raw:
            try:
                items.append(decode_item(payload))
            except ItemDecodeError as exc:
                logger.warning("skipped undecodable item in %r: %s", self._key, exc)
        return items

    async def _call(self, command: Awaitable[Any]) -> Any:
        """Await one driver call, mapping its errors onto the library's hierarchy."""
        try:
            if self._is_cluster and getattr(self._client, "_initialize", False):
                await _initialize_cluster(cast("RedisCluster", self._client))
            return await command
        except ResponseError as exc:
            if str(exc).startswith("WRONGTYPE"):
                raise await self._wrong_type_error() from exc
            raise map_driver_error(exc) from exc
        except DRIVER_ERRORS as exc:
            raise map_driver_error(exc) from exc

    async def _wrong_type_error(self) -> WrongKeyTypeError:
        try:
            key_type = await self._client.type(self._key)
        except DRIVER_ERRORS:
            key_type = "value of another type"
        if isinstance(key_type, bytes):
            key_type = key_type.decode()
        return WrongKeyTypeError(self._key, str(key_type), expected="list")
