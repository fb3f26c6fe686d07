"""RedisSession: one Redis list per session, one round trip per operation."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Awaitable, Mapping, Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any, cast

import orjson
from redis.asyncio.cluster import RedisCluster
from redis.client import NEVER_DECODE
from redis.exceptions import NoScriptError

from .._items import decode_item, decode_valid, encode_items
from .._validation import (
    coerce_session_settings,
    validate_batch,
    validate_batch_id,
    validate_count,
    validate_limit,
    validate_session_id,
    validate_ttl,
)
from ..errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    EventLoopError,
    ItemDecodeError,
    ReplicationError,
    SessionClosedError,
)
from ._coalesce import coalescer_for
from ._driver import (
    RedisClient,
    client_from_url,
    driver_call,
    is_outage,
    merged_client_options,
    raise_error,
    validate_client,
)
from ._keys import DEFAULT_KEY_PREFIX, meta_key, owner_index_key, session_key, validate_prefix
from ._loops import enter_running_loop
from ._metadata import SessionMetadata, parse_metadata
from ._scripts import SCRIPTS, LuaScript, run_script

if TYPE_CHECKING:
    from types import TracebackType

    from agents import TResponseInputItem
    from agents.memory import SessionSettings
    from agents.memory.session import _CompactionSnapshot
    from typing_extensions import Self

__all__ = ["RedisSession"]

logger = logging.getLogger("openai_agents_session.redis")
# How much of an undecodable payload a warning quotes.
_LOGGED_PAYLOAD_BYTES = 200


def _new_batch_id() -> str:
    # 72 random bits in 12 characters: the server keeps them in every session's companion
    # and compares an id with that session's last few hundred only.
    return base64.urlsafe_b64encode(os.urandom(9)).decode()


def _pairs(fields: Any) -> dict[bytes | str, bytes | str]:
    """HGETALL with NEVER_DECODE answers a flat list under RESP2 and a dict under RESP3."""
    if isinstance(fields, dict):
        return fields
    return dict(zip(fields[::2], fields[1::2], strict=True))


class RedisSession:
    """Conversation history of one session, stored as a Redis list.

    Writes one list at ``"{key_prefix}:{session_id}"``: one compact JSON object per item,
    oldest first, the format 0.1.0 wrote and reads; beside it one companion hash (metadata and
    recent batch ids, see ``_keys``). What each operation costs:

    - ``get_items(limit)``: one LRANGE of the last ``limit`` items, O(limit).
    - ``add_items(items)``: one EVALSHA that skips a batch id it applied, appends the batch,
      updates the metadata and refreshes the TTL, atomically (7 server commands); a key of
      another type is refused before anything is written.
    - ``replace_items(items)``: the same script, replacing the list whole.
    - ``pop_item()``: one EVALSHA: RPOP, and the companion goes with the last item.
    - ``clear_session()``: one EVALSHA that deletes list and companion, refusing a key of
      another type.

    Every key of a session is in one cluster slot, so the same code serves a plain client,
    a Sentinel-managed master and a ``RedisCluster``.

    Sessions on one client share its work: a command that finds the client busy goes out in
    one pipeline with the other sessions' commands (``coalesce``, see ``_coalesce``), still
    one command per operation and each with its own outcome.

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
        session_settings: SessionSettings | Mapping[str, object] | None = None,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 1000,
        max_items: int | None = None,
        owner: str | None = None,
        coalesce: bool = True,
    ) -> None:
        """Create a session over a client the caller owns.

        Args:
            session_id: Unique identifier of the conversation; any non-empty string.
            redis_client: A ``redis.asyncio`` client: plain, from Sentinel's ``master_for``,
                or a ``RedisCluster``. It stays the caller's: ``close()`` leaves it open.
            key_prefix: Prefix of the session's key.
            ttl: Seconds the session lives after its last ``add_items``; None never expires.
            session_settings: Defaults for the SDK, such as the ``limit`` of ``get_items``:
                a ``SessionSettings`` or, as the SDK's sessions accept, a dict of its fields.
            wait_replicas: ``add_items`` returns only once this many replicas acknowledged
                the append (Redis ``WAIT``); 0 does not wait.
            wait_timeout_ms: How long ``add_items`` waits for those replicas before it raises
                `ReplicationError`.
            max_items: Keep at most this many of the newest items, trimmed by the append
                itself; a tool output is never left as the oldest item without its call.
            owner: The user this session belongs to: every append moves the session to the
                top of the owner's index (``RedisSessionStore.owner_sessions``).
            coalesce: Send this session's calls that arrive while another call on the same
                client is in flight together with the others, as one pipeline; a call with
                nothing else in flight goes straight out. False sends every call on its own.

        Raises:
            ConfigurationError: An argument is out of range or of the wrong type, or
                ``redis_client`` is a synchronous client.
        """
        self.session_id = validate_session_id(session_id)
        self.session_settings = coerce_session_settings(session_settings)
        validate_client(redis_client)
        self._client = redis_client
        self._key_prefix = validate_prefix(key_prefix)
        self._ttl = validate_ttl(ttl)
        self._key = session_key(self._key_prefix, self.session_id)
        self._meta_key = meta_key(self._key_prefix, self.session_id)
        self._max_items = (
            0 if max_items is None else validate_count("max_items", max_items, minimum=1)
        )
        self._owner: str | None = None
        self._index_key: str | None = None
        self._set_owner(owner)
        self._wait_replicas = validate_count("wait_replicas", wait_replicas, minimum=0)
        self._wait_timeout_ms = validate_count("wait_timeout_ms", wait_timeout_ms, minimum=1)
        # The batch of the last add_items whose outcome is unknown (it failed after it may
        # have been sent): an identical next call is its retry and reuses its batch id.
        self._unconfirmed: tuple[list[bytes], str] | None = None
        if not isinstance(coalesce, bool):
            raise ConfigurationError(f"coalesce must be True or False, got {coalesce!r}")
        self._coalescer = coalescer_for(redis_client) if coalesce else None
        self._is_cluster = isinstance(redis_client, RedisCluster)
        self._owns_client = False
        self._closed = False

    @classmethod
    def from_url(
        cls,
        session_id: str,
        url: str,
        *,
        redis_kwargs: Mapping[str, object] | None = None,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ttl: int | None = None,
        session_settings: SessionSettings | Mapping[str, object] | None = None,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 1000,
        max_items: int | None = None,
        owner: str | None = None,
        coalesce: bool = True,
        cluster: bool = False,
        **client_options: Any,
    ) -> RedisSession:
        """Create a session with a client of its own, released by ``close()``.

        The SDK's ``RedisSession.from_url(session_id, url=..., redis_kwargs={...})`` call works
        unchanged.

        Args:
            session_id: Unique identifier of the conversation.
            url: ``redis://``, ``rediss://`` (TLS) or ``unix://`` URL, with credentials and
                database as redis-py reads them.
            redis_kwargs: Options for redis-py's ``from_url``, as the SDK takes them; merged
                with ``**client_options``.
            key_prefix: Prefix of the session's key.
            ttl: Seconds the session lives after its last ``add_items``; None never expires.
            session_settings: Defaults for the SDK, such as the ``limit`` of ``get_items``
                (a ``SessionSettings`` or a dict of its fields).
            wait_replicas: Replicas that must acknowledge each append (see ``__init__``).
            wait_timeout_ms: How long to wait for them.
            max_items: Keep at most this many of the newest items (see ``__init__``).
            owner: The user this session belongs to (see ``__init__``).
            coalesce: Send concurrent calls as one pipeline (see ``__init__``).
            cluster: Connect to a Redis Cluster through any of its nodes.
            **client_options: Passed to redis-py's ``from_url``, such as ``socket_timeout``.

        Returns:
            A session that owns its client.

        Raises:
            ConfigurationError: The URL's scheme is not one of redis, rediss or unix, or an
                option is in ``redis_kwargs`` and ``client_options`` with different values.
        """
        options = merged_client_options(redis_kwargs, client_options)
        session = cls(
            session_id,
            client_from_url(url, cluster=cluster, **options),
            key_prefix=key_prefix,
            ttl=ttl,
            session_settings=session_settings,
            wait_replicas=wait_replicas,
            wait_timeout_ms=wait_timeout_ms,
            max_items=max_items,
            owner=owner,
            coalesce=coalesce,
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
        limit = validate_limit(limit)
        if limit == 0:
            return []
        start = 0 if limit is None else -limit
        raw: list[bytes] = await self._execute("LRANGE", self._key, start, -1)
        items = self._decode_valid(raw)
        if limit is not None and len(items) < limit and len(raw) == limit:
            # Corrupt payloads took places in the window: read the whole list once, so
            # ``limit`` counts valid items from one consistent snapshot.
            everything: list[bytes] = await self._execute("LRANGE", self._key, 0, -1)
            items = self._decode_valid(everything)[-limit:]
        return items

    async def add_items(
        self, items: list[TResponseInputItem], *, batch_id: str | None = None
    ) -> None:
        """Append ``items`` in order and refresh the TTL, atomically, in one round trip.

        Each call is a batch with an id, and the server skips a batch id it has applied in
        the last ten minutes: when a reply is lost and the call is retried (by redis-py's
        ``Retry``, or by the caller repeating the same items after a failure), the batch is
        stored once. Identical items in separate successful calls are all stored.

        Args:
            items: The batch, oldest first. An empty batch writes nothing.
            batch_id: Makes retries from elsewhere (another process, a job queue) safe: calls
                with the same id store the batch once. Generated when None.

        Raises:
            ConfigurationError: ``items`` is not a list (or a tuple); nothing is sent.
            ItemEncodeError: An item cannot be stored as JSON; nothing is sent.
            WrongKeyTypeError: The key holds a value that is not a list; it is left as it was.
            ReplicationError: ``wait_replicas`` replicas did not acknowledge in time.
        """
        self._check_open()
        validate_batch(items)
        if not items:
            return
        await self._write(items, batch_id, replace=False)

    async def replace_items(
        self, items: list[TResponseInputItem], *, batch_id: str | None = None
    ) -> None:
        """Replace the whole history with ``items``, atomically, in one round trip.

        Readers see the old history or the new one, never a mix or an empty session, and a
        process that dies meanwhile leaves one of the two. Metadata (title, owner, tags,
        ``created_at``) and the owner's index are kept; ``updated_at`` and the TTL are
        refreshed. Retries are exactly-once as for ``add_items``. Replacing with no items
        clears the session. The SDK's ``OpenAIResponsesCompactionSession`` calls this.

        Raises:
            ConfigurationError: ``items`` is not a list (or a tuple); nothing is sent.
            ItemEncodeError: An item cannot be stored as JSON; nothing is sent.
            WrongKeyTypeError: The key holds a value that is not a list; it is left as it was.
            ReplicationError: ``wait_replicas`` replicas did not acknowledge in time.
        """
        self._check_open()
        validate_batch(items)
        await self._write(items, batch_id, replace=True)

    async def _atomic_replace_items(self, items: list[TResponseInputItem]) -> bool:
        """Replace history for the SDK's compaction, which looks this hook up on the type."""
        await self.replace_items(items)
        return True

    async def _get_compaction_snapshot(self, limit: int) -> _CompactionSnapshot | None:
        """Read the newest ``limit`` items for the SDK's compaction, with an atomic replacer.

        The SDK looks this hook up to compact a long session without reading all of it:
        ``replace_suffix(start, output)`` swaps the snapshot's items from ``start`` on for
        ``output`` in one script, and only while they are still the session's newest items
        (an append meanwhile makes it change nothing and return False). None when the SDK has
        no such hook, for a subclass (which may transform items), or when a snapshot item
        cannot be decoded: the SDK then reads the whole history.
        """
        try:
            from agents.memory.session import _CompactionSnapshot
        except ImportError:  # an SDK without bounded compaction
            return None
        if type(self) is not RedisSession or limit < 1:
            return None
        self._check_open()
        length, raw = await self._run_script(SCRIPTS.read_tail, [self._key], [limit])
        payloads: list[bytes] = list(raw)
        try:
            items = [decode_item(payload) for payload in payloads]
        except ItemDecodeError:
            return None

        async def replace_suffix(start: int, output: list[TResponseInputItem]) -> bool:
            expected = payloads[start:]
            if not expected:
                return False
            validate_batch(output)
            args: list[bytes | str | int] = [
                self._ttl or 0,
                len(expected),
                *expected,
                *encode_items(output),
            ]
            keys = [self._key, self._meta_key]
            return bool(await self._run_script(SCRIPTS.replace_suffix, keys, args))

        return _CompactionSnapshot(items, int(length) <= len(payloads), replace_suffix)

    async def _write(
        self, items: Sequence[TResponseInputItem], batch_id: str | None, *, replace: bool
    ) -> None:
        encoded = encode_items(items)
        if batch_id is not None:
            validate_batch_id(batch_id)
        else:
            unconfirmed = self._unconfirmed
            if unconfirmed is not None and unconfirmed[0] == encoded:
                batch_id = unconfirmed[1]
            else:
                batch_id = _new_batch_id()
        keys = [self._key, self._meta_key]
        args: list[bytes | str | int] = [
            self._ttl or 0,
            self._max_items,
            "r" if replace else "a",
            self._owner or "",
            batch_id,
        ]
        # A cluster keeps the owner's index in another slot: it is updated after the write.
        index_in_script = self._index_key is not None and not self._is_cluster
        if index_in_script:
            keys.append(cast("str", self._index_key))
            args.append(self.session_id)
        args += encoded
        try:
            if self._wait_replicas:
                await self._write_and_wait(keys, args)
            else:
                await self._run_script(SCRIPTS.write_items, keys, args)
        except EventLoopError:
            raise  # refused before anything was sent: there is nothing to retry
        except BaseException:
            # Any other failure, of any kind (a lost connection, a replica that did not
            # acknowledge, a cancellation, an error of the driver's own), may have come after
            # the server applied the batch: a retry of these same items reuses this batch id,
            # so it is stored once. Only a confirmed success forgets it.
            self._unconfirmed = (encoded, batch_id)
            raise
        self._unconfirmed = None
        if self._index_key is not None and not index_in_script:
            await self._index_session()

    async def _write_and_wait(self, keys: list[str], args: list[bytes | str | int]) -> None:
        """Write, then WAIT for replicas, in one round trip (two on a cluster)."""
        script = SCRIPTS.write_items
        if self._is_cluster:
            await self._call(run_script(self._client, script, keys, args))
            cluster = cast("RedisCluster", self._client)
            node = cluster.get_node_from_key(self._key)
            acknowledged = await self._call(
                cluster.execute_command(
                    "WAIT", self._wait_replicas, self._wait_timeout_ms, target_nodes=node
                )
            )
        else:
            # A pipeline, not a registered script inside it: redis-py would first send
            # SCRIPT EXISTS, a second round trip on every call.
            for attempt in range(2):
                pipe = self._client.pipeline(transaction=False)
                pipe.evalsha(script.sha, len(keys), *keys, *args)
                pipe.execute_command("WAIT", self._wait_replicas, self._wait_timeout_ms)
                written, acknowledged = await self._call(pipe.execute(raise_on_error=False))
                if isinstance(written, NoScriptError) and attempt == 0:
                    # Nothing was applied: load the script and send both again.
                    await self._call(self._client.script_load(script.source))
                    continue
                if isinstance(written, Exception):
                    await self._call(raise_error(written))
                break
        if int(acknowledged) < self._wait_replicas:
            raise ReplicationError(
                self._key, int(acknowledged), self._wait_replicas, self._wait_timeout_ms
            )

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item, or None when the session is empty.

        Popping the last item removes the session's metadata too, in the same round trip.

        Raises:
            WrongKeyTypeError: The key holds a value that is not a list.
        """
        self._check_open()
        keys = [self._key, self._meta_key]
        args: list[str] = []
        if self._index_key is not None and not self._is_cluster:
            keys.append(self._index_key)
            args.append(self.session_id)
        while True:
            raw: bytes | None = await self._run_script(SCRIPTS.pop_item, keys, args)
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
        """Delete the session's list and metadata, and drop it from its owner's index.

        Raises:
            WrongKeyTypeError: The key holds a value that is not a list; it is left as it was.
        """
        self._check_open()
        keys = [self._key, self._meta_key]
        if self._index_key is not None:
            if self._is_cluster:
                await self._call(self._client.zrem(self._index_key, self.session_id))
            else:
                keys.append(self._index_key)
        await self._run_script(SCRIPTS.clear_session, keys, [self.session_id])

    @property
    def owner(self) -> str | None:
        """The user this session belongs to, as this object knows it."""
        return self._owner

    async def get_metadata(self) -> SessionMetadata:
        """Return the session's metadata: created_at, updated_at, title, owner and tags."""
        self._check_open()
        fields = await self._execute("HGETALL", self._meta_key)
        return parse_metadata(_pairs(fields))

    async def set_metadata(
        self,
        *,
        title: str | EllipsisType | None = ...,
        owner: str | EllipsisType | None = ...,
        tags: list[str] | tuple[str, ...] | EllipsisType | None = ...,
    ) -> None:
        """Set user fields of the session's metadata; omitted fields stay, None removes one.

        Setting ``owner`` moves the session from the previous owner's index to the new one's.

        Raises:
            ConfigurationError: A value is of the wrong type.
        """
        self._check_open()
        if owner == "":
            raise ConfigurationError("owner must be a non-empty str or None, got ''")
        args: list[str | int] = [self._ttl or 0]
        for name, value in (("title", title), ("owner", owner)):
            if value is ...:
                continue
            if value is not None and not isinstance(value, str):
                raise ConfigurationError(f"{name} must be a str or None, got {value!r}")
            args += [name, value or ""]
        if tags is not ...:
            if tags is not None and not all(isinstance(tag, str) for tag in tags):
                raise ConfigurationError(f"tags must be a list of str or None, got {tags!r}")
            args += ["tags", orjson.dumps(list(tags)).decode() if tags else ""]
        previous = await self._run_script(SCRIPTS.set_metadata, [self._meta_key, self._key], args)
        if owner is ...:
            return
        if isinstance(previous, bytes):
            previous = previous.decode()
        if previous and previous != owner:
            await self._call(
                self._client.zrem(owner_index_key(self._key_prefix, previous), self.session_id)
            )
        self._set_owner(owner)
        if self._index_key is not None:
            await self._index_session()

    def _set_owner(self, owner: str | None) -> None:
        if owner is not None and (not isinstance(owner, str) or not owner):
            raise ConfigurationError(f"owner must be a non-empty str or None, got {owner!r}")
        self._owner = owner
        self._index_key = None if owner is None else owner_index_key(self._key_prefix, owner)

    async def _index_session(self, updated_at: float | None = None) -> None:
        """Put this session in its owner's index at ``updated_at``, else at the top.

        Best effort on a cluster, where the index lives in another slot.
        """
        index_key = cast("str", self._index_key)
        score = "" if updated_at is None else repr(updated_at)
        try:
            await self._run_script(
                SCRIPTS.index_session, [index_key], [self.session_id, self._ttl or 0, score]
            )
        except BackendUnavailableError as exc:
            logger.warning("owner index %r not updated for %r: %s", index_key, self._key, exc)

    async def ping(self) -> bool:
        """Return True when the server answers, False when it cannot be reached.

        Unreachable is what retrying later may fix: a refused connection, an unknown host, a
        timeout, a server still loading its data, or no cluster node answering. As with the
        SDK's session, these answer False. A server that answers but refuses this client
        raises instead, because waiting does not fix a wrong setup.

        Raises:
            SessionClosedError: The session was closed.
            BackendError: The server refused the client: a wrong password
                (``AuthenticationError``), an ACL without ``+ping`` (``NOPERM``), or a TLS
                certificate that is not trusted.
        """
        self._check_open()
        try:
            return bool(await self._call(self._client.ping()))
        except BackendError as exc:
            if is_outage(exc):
                return False
            raise

    async def close(self) -> None:
        """Release the client if this session created it (``from_url``); otherwise do nothing."""
        if self._owns_client and not self._closed:
            self._closed = True
            await enter_running_loop(self._client)  # connections of a closed loop are dropped
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

    async def _execute(self, *args: bytes | str | int) -> Any:
        """Send one command, alone or in a batch (see ``coalesce``); its reply in bytes.

        Replies are always bytes, whatever decode_responses says: orjson reads bytes directly,
        and an element that is not UTF-8 must not break the whole reply.
        """
        client, coalescer = self._client, self._coalescer
        if coalescer is not None and not coalescer.start_alone():
            return await driver_call(client, coalescer.queued(client, args), key=self._key)
        try:
            command = client.execute_command(*args, **{NEVER_DECODE: True})
            return await driver_call(client, command, key=self._key)
        finally:
            if coalescer is not None:
                coalescer.end_alone()

    async def _run_script(
        self, script: LuaScript, keys: list[str], args: Sequence[bytes | str | int]
    ) -> Any:
        """EVALSHA ``script``, loading it on NOSCRIPT; replies in bytes (see ``_execute``).

        Cheaper than calling the registered script, which checks for a pipeline and imports on
        every call: this is the path of every append.
        """
        for attempt in range(2):
            try:
                return await self._execute("EVALSHA", script.sha, len(keys), *keys, *args)
            except NoScriptError:
                if attempt:
                    raise
                # A restarted or failed-over server: nothing ran. Load the script, run it again.
                await self._call(self._client.script_load(script.source))
        raise AssertionError("unreachable")  # pragma: no cover

    def _decode_valid(self, raw: list[bytes]) -> list[TResponseInputItem]:
        return decode_valid(raw, self._key, logger)

    async def _call(self, command: Awaitable[Any]) -> Any:
        """Await one driver call, mapping its errors onto the library's hierarchy."""
        return await driver_call(self._client, command, key=self._key)
