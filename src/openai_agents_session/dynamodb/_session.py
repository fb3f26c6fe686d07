"""DynamoDBSession: one item per message and a META item per session, in one shared table.

The layout is in ``_schema``: messages at ``m#<16 hex seq>``, the state at ``~meta`` (next
sequence number, floor, expiry). Every write is conditioned on the META it expects, so
concurrent writers of one session never overwrite each other, and an expired session is
neither returned nor revived before DynamoDB's sweeper deletes it. What each operation costs
(a strongly consistent read is 1 RCU per 4 KB; a transactional write 2 WCU per KB):

- ``get_items(limit)``: one consistent Query of META and the newest ``limit`` items; only
  ``limit=None`` (or corrupt items in the window) reads further 1 MB pages.
- ``add_items(items)``: one ``TransactWriteItems`` of the META update and one Put per item;
  its seqs come from the META this object last saw, so an append needs no read first. A
  writer that lost a race re-bases on the META the cancellation returns and tries again
  after a jittered back-off (doubling from 10 ms to 0.5 s), for up to
  ``CONFLICT_BUDGET_SECONDS`` (60 s), then raises ``ConflictError`` having stored nothing.
  Every lost race costs one cancelled transaction. Measured on DynamoDB Local, 50 writers
  with their own clients x 20 appends on one session: all stored, about 3.5 transactions per
  append on average, the unluckiest append about 35 s.
- A batch over one transaction (99 items and chunks, or about 4 MB) is staged under a lease
  on META (``_staging``): one transaction taking the lease, one per 99 items or 4 MB (each
  also extending the lease: 2 WCU more), one committing; 2 WCU per KB of items as usual, so
  a 10 MB batch of 1,000 items costs about 20,500 WCU plus 2 per transaction, in about 13
  transactions. Meanwhile other appends, pops and replaces of the session wait (polling
  META with a GetItem, 1 RCU) and readers see none of the batch until it commits.
- Exactly-once: a batch's ``ClientRequestToken`` comes from its id, so DynamoDB applies a
  retry within ten minutes once. After that window, the object remembers for a batch whose
  outcome it does not know the seq its last transaction wrote the first item at; when the
  identical batch (or the same ``batch_id``) is retried, one ``TransactGetItems`` of META and
  that seq (4 RCU, as transactional reads cost double) tells whether it landed (the first
  item carries the batch id and sits below ``next_seq``); if so nothing is written. A retry
  from another object or process after ten minutes has no such memory and stores the batch
  again. When DynamoDB reports the token used with other parameters
  (``IdempotentParameterMismatch``: another object stored the batch, or the store kept the
  token of an attempt that failed), a GetItem of META and one filtered Query of the newest
  1,000 live items look for the batch id (on a batch's first and last item); only if it is
  not there is the batch written, under a fresh token.
- ``pop_item()``: one Query of META and the newest item, then one transaction of the META
  update and a Delete.
- ``replace_items(items)``: the append's transaction with META's floor moved past the old
  items, then the Query and BatchWriteItems of ``clear_session`` deleting them.
- Messages carry their own ``ttl``, the session's expiry plus a slack of a day (or
  ``ttl_seconds``, if longer), so DynamoDB's sweeper reclaims an expired session's messages
  but never a live one's. META records the earliest; once it nears the session's expiry, an
  append renews every live message's ttl with one UpdateItem each (about every half day of
  activity).
- ``clear_session()``: one UpdateItem that moves the floor (readers see an empty session at
  once), then a Query of the old keys and 25-key BatchWriteItems deleting them.
- A message whose JSON is over 350 KiB is stored as a head and chunk items (``_chunks``): one
  more Put (and 350 WCU in a transaction) per 350 KiB on append; a read of it one more
  consistent Query (1 RCU per 4 KB, two or three chunks per 1 MB page); a pop deletes its chunks
  in the pop's transaction (beyond 98 chunks, right after it); a clear, replace or ttl
  renewal Queries the chunk range too. A read that finds a big message's chunks replaced
  under it (a pop and an append at that seq in between) starts again.
- ``get_metadata()``: one consistent GetItem of META; ``set_metadata()``: that read and one
  conditional UpdateItem of META. ``ping()``: one eventually consistent GetItem.

Metadata (``_metadata``) lives on META. A session with an owner is also an entry of the owner
index (``_schema``): each write of its META rewrites the entry, whose sort key is the time of
the write, which costs 2 more WCU (the old entry's delete and the new one's put, each under
1 KB); writes of sessions without an owner cost the index nothing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import TYPE_CHECKING, Any, cast

from .._items import decode_item, decode_valid, encode_items, is_tool_output
from .._store import SessionMetadata
from .._validation import (
    coerce_session_settings,
    validate_batch,
    validate_batch_id,
    validate_count,
    validate_limit,
    validate_session_id,
)
from ..errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    SessionClosedError,
)
from ._chunks import chunk_count, chunk_range, chunk_sk, join, message_rows, tag_of
from ._client import OwnedClient, client_from_url, validate_client, validate_table_name
from ._driver import DynamoDBClient, error_code, mapped_errors
from ._metadata import (
    metadata_change,
    metadata_from_item,
    metadata_update,
    remove_clause,
    validate_owner,
)
from ._partition import Partition, TornReadError, part
from ._schema import (
    BATCH_ATTRIBUTE,
    MAX_TRANSACTION_ACTIONS,
    META_SK,
    PARTITION_KEY,
    PAYLOAD_ATTRIBUTE,
    SORT_KEY,
    TTL_ATTRIBUTE,
    Meta,
    check_session_id,
    check_table,
    key,
    message_sk,
    meta_from_item,
    missing_table,
    payload_of,
    seq_of,
)
from ._staging import (
    LEASE_TOKEN_LENGTH,
    fits_one_transaction,
    lease_deadline,
    lease_token,
    new_lease,
    release_lease,
    stage,
)
from ._updates import NAMES, lease_update, meta_update, pop_update

if TYPE_CHECKING:
    from types import TracebackType

    from agents import TResponseInputItem
    from agents.memory import SessionSettings
    from typing_extensions import Self

__all__ = ["DynamoDBSession"]

logger = logging.getLogger("openai_agents_session.dynamodb")

# How often a read restarts when a big message's chunks changed under it (a pop and an
# append at the same seq between its two queries).
_TORN_READ_ATTEMPTS = 5
# How long add_items and pop_item keep re-basing after lost races, or wait for another's
# lease, before raising ConflictError.
CONFLICT_BUDGET_SECONDS = 60.0
# Polling META while another writer's lease is live: jittered, doubling up to the cap.
_LEASE_POLL_SECONDS = 0.05
_LEASE_POLL_CAP_SECONDS = 1.0
# Back-off after a lost race: full jitter, doubling from the base up to the cap. A larger
# cap wastes less of the store on doomed transactions when 50 writers share a session
# (measured: a 0.1 s cap needed over 60 s for 50 x 20 appends, 0.5 s about 35 s).
_BACKOFF_BASE_SECONDS = 0.01
_BACKOFF_CAP_SECONDS = 0.5
# BatchWriteItem takes at most 25 requests; unprocessed ones are retried this often.
# ClientRequestToken is at most 36 characters.
_TOKEN_LENGTH = 36
# A message's own ttl is the session's expiry plus this slack (or ttl_seconds, if longer), so
# DynamoDB's sweeper reclaims an expired session's messages but never a live session's. An
# append renews every live message's ttl once the earliest is within half the slack of the
# session's expiry: for an active session, one pass every half day or so.
ITEM_TTL_SLACK_SECONDS = 24 * 3600
# How many items past the new floor a max_items trim reads to find one that is not a tool
# output (it reads further in the rare history with more outputs in a row).
_TRIM_LOOKAHEAD = 8
# BatchWriteItem takes at most 25 requests.
_BATCH_DELETE_SIZE = 25
# How many of the newest items the search for a batch reads when DynamoDB reports its token
# used with other parameters (a batch that landed ten minutes ago is among them).
_BATCH_SEARCH_ITEMS = 1000
# The largest Limit a Query takes per page (a 32-bit int; pages end at 1 MB anyway).
_MAX_QUERY_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class _Unconfirmed:
    """A batch whose last attempt failed after it may have been applied."""

    encoded: list[bytes]
    batch_id: str
    # The seq its last transaction wrote the first item at; None when none was sent.
    first_seq: int | None


def _new_batch_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(12)).decode()


def request_token(table_name: str, session_id: str, batch_id: str) -> str:
    """Return the ``ClientRequestToken`` of a batch: the same batch always sends the same one."""
    digest = hashlib.sha256(f"{table_name}\0{session_id}\0{batch_id}".encode()).hexdigest()
    return digest[:_TOKEN_LENGTH]


def _validate_ttl_seconds(ttl_seconds: object) -> int | None:
    if ttl_seconds is None:
        return None
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ConfigurationError(f"ttl_seconds must be a positive int or None, got {ttl_seconds!r}")
    return ttl_seconds


async def _backoff(attempt: int) -> None:
    cap = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)
    await asyncio.sleep(random.uniform(0, cap))  # jitter, not a secret


class DynamoDBSession:
    """Conversation history of one session, stored as one DynamoDB item per message.

    Writes, in the table it is given, the partition ``pk = session_id``: a META item
    (``sk = "~meta"``) and one item per message (``sk = "m#<seq>"``, the item's JSON in ``v``).
    What each operation costs is in the module's docstring: one consistent Query per read and
    one transaction per append, whatever the history's length. Items over 400 KB are split
    into chunk items, and a batch over one transaction (99 items, 4 MB) is staged under a
    lease on META and committed at once: readers see all of it or none.

    Concurrent writers of one session (other objects, processes or hosts) are safe: every
    write is conditioned on the META it expects, a writer that lost re-bases and retries, and
    each writer's items keep their order. A payload that is not a JSON object is skipped
    with a logged warning, never returned.
    """

    def __init__(
        self,
        session_id: str,
        dynamodb_client: DynamoDBClient,
        table_name: str,
        *,
        ttl_seconds: int | None = None,
        session_settings: SessionSettings | Mapping[str, object] | None = None,
        max_items: int | None = None,
        owner: str | None = None,
    ) -> None:
        """Create a session over a client the caller owns.

        Args:
            session_id: Unique identifier of the conversation; any non-empty string not
                starting with ``~``.
            dynamodb_client: An aiobotocore DynamoDB client. It stays the caller's:
                ``close()`` leaves it open.
            table_name: The table, with this library's layout (`create_table_if_not_exists`).
            ttl_seconds: Seconds the session lives after its last ``add_items``; None never
                expires. An expired session reads as empty and an append starts it anew.
            session_settings: Defaults for the SDK, such as the ``limit`` of ``get_items``:
                a ``SessionSettings`` or a dict of its fields.
            max_items: Keep at most this many of the newest items visible.
            owner: The user this session belongs to, recorded on its META item by every
                append, which lists the session under the owner
                (``DynamoDBSessionStore.owner_page``). An append by an object without an
                owner keeps the stored one, and moves the session to the top of its listing.

        Raises:
            ConfigurationError: An argument is out of range or of the wrong type, or
                ``dynamodb_client`` is a synchronous client.
        """
        self.session_id = check_session_id(validate_session_id(session_id))
        self.session_settings = coerce_session_settings(session_settings)
        validate_client(dynamodb_client)
        self._client: DynamoDBClient | None = dynamodb_client
        self._table = validate_table_name(table_name)
        self._partition = Partition(self._table, self.session_id, self._call)
        self._ttl_seconds = _validate_ttl_seconds(ttl_seconds)
        self._max_items = (
            None if max_items is None else validate_count("max_items", max_items, minimum=1)
        )
        self._owner = validate_owner(owner)
        # The META item the last read returned, whole: the store's export takes the TTL and
        # metadata from it rather than reading META again.
        self._meta_item: Mapping[str, Any] | None = None
        # The META this object last saw: the seqs of the next append come from it.
        self._meta = Meta()
        # The batch of the last add_items whose outcome is unknown (it failed after it may
        # have been sent): an identical next call is its retry and reuses its batch id.
        self._unconfirmed: _Unconfirmed | None = None
        # The first seq the last transaction sent for a batch, once it may have landed.
        self._sent_first_seq: int | None = None
        # The lease a call of this object holds while it stages a big batch, and one a
        # failed or cancelled call left behind (this object's later writes take it over).
        self._lease: str | None = None
        self._abandoned_lease: str | None = None
        # Set by from_url: the session's own client, one per event loop.
        self._owned: OwnedClient | None = None
        self._closed = False

    @classmethod
    def from_url(
        cls,
        session_id: str,
        url: str,
        *,
        ttl_seconds: int | None = None,
        session_settings: SessionSettings | Mapping[str, object] | None = None,
        max_items: int | None = None,
        owner: str | None = None,
        **client_options: Any,
    ) -> DynamoDBSession:
        """Create a session with a client of its own, released by ``close()``.

        Args:
            session_id: Unique identifier of the conversation.
            url: ``dynamodb://TABLE?region=REGION&endpoint_url=URL``; both query options
                are optional (the region then comes from the environment, as botocore reads
                it). ``endpoint_url`` is percent-encoded.
            ttl_seconds: Seconds the session lives after its last ``add_items``.
            session_settings: Defaults for the SDK (see ``__init__``).
            max_items: Keep at most this many of the newest items visible.
            owner: The user this session belongs to.
            **client_options: Passed to aiobotocore's ``create_client``, such as
                ``aws_access_key_id`` or ``config``.

        Returns:
            A session that owns its client; the client connects on first use.

        Raises:
            ConfigurationError: The URL is not a ``dynamodb://`` URL naming a table, or has an
                unknown option.
        """
        table_name, owned = client_from_url(url, client_options, f"session {session_id!r}")
        session = cls(
            session_id,
            cast("DynamoDBClient", None),  # the session opens its own on first use
            table_name,
            ttl_seconds=ttl_seconds,
            session_settings=session_settings,
            max_items=max_items,
            owner=owner,
        )
        session._owned = owned
        return session

    @property
    def table_name(self) -> str:
        """The table holding this session."""
        return self._table

    @property
    def ttl_seconds(self) -> int | None:
        """Seconds the session lives after its last ``add_items``, or None."""
        return self._ttl_seconds

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, table={self._table!r})"

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """Return the latest ``limit`` items, oldest first.

        Args:
            limit: How many of the newest items to return; None falls back to
                ``session_settings.limit``, then to every item. 0 returns ``[]``.

        Returns:
            The items in chronological order; ``[]`` for an expired or unknown session.

        Raises:
            ConfigurationError: ``limit`` is negative or not an int, or the table does not
                have this library's layout.
        """
        client = await self._ready()
        if limit is None and self.session_settings is not None:
            limit = self.session_settings.limit
        limit = validate_limit(limit)
        if limit == 0:
            return []
        for _ in range(_TORN_READ_ATTEMPTS - 1):
            with contextlib.suppress(TornReadError):
                return await self._read_tail(client, limit, strict=True)
        return await self._read_tail(client, limit, strict=False)

    async def _read_tail(
        self, client: DynamoDBClient, limit: int | None, *, strict: bool
    ) -> list[TResponseInputItem]:
        """Read META and the newest ``limit`` live items; ``strict`` raises on a torn read."""
        now = int(time.time())
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :meta",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": self.session_id},
                ":first": {"S": message_sk(0)},
                ":meta": {"S": META_SK},
            },
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if limit is not None:
            # Capped: DynamoDB refuses a Limit past 2**31 - 1; the loop pages on.
            query["Limit"] = min(limit + 1, _MAX_QUERY_LIMIT)
        items: list[TResponseInputItem] = []  # newest first
        meta: Meta | None = None
        while True:
            page = await self._call(client.query(**query))
            heads: list[Mapping[str, Any]] = []
            done = "LastEvaluatedKey" not in page
            above = False
            for item in page.get("Items", []):
                sk = item[SORT_KEY]["S"]
                if meta is None:
                    self._meta_item = item if sk == META_SK else None
                    meta = meta_from_item(self._meta_item)
                    self._meta = meta
                    if meta.live_count(now) <= 0:
                        return []
                    if sk == META_SK:
                        continue
                seq = seq_of(sk)
                if seq < meta.floor:
                    done = True
                    break
                if seq < meta.next_seq:
                    heads.append(item)
                else:
                    above = True
            raws = await self._partition.whole_payloads(client, heads, strict=strict)
            items += decode_valid(raws, f"{self._table}/{self.session_id}", logger)
            if done or (limit is not None and len(items) >= limit):
                break
            if above and meta is not None and not items:
                # Items of an unfinished big batch sit above next_seq: start again below them
                # rather than page through them.
                query["ExpressionAttributeValues"][":meta"] = {"S": message_sk(meta.next_seq - 1)}
                query.pop("ExclusiveStartKey", None)
                if limit is not None:
                    query["Limit"] = limit
                continue
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if meta is None:
            self._meta, self._meta_item = Meta(), None
        if limit is not None:
            items = items[:limit]
        items.reverse()
        return items

    async def add_items(
        self, items: list[TResponseInputItem], *, batch_id: str | None = None
    ) -> None:
        """Append ``items`` in order and refresh the TTL, atomically.

        A batch that fits one transaction (99 items and chunks, about 4 MB) is one; a bigger
        one is staged under a lease on META and committed by one update, so readers see all
        of it or nothing. Each call is a batch with an id, sent as the ``ClientRequestToken``
        of the transaction that makes it visible:
        when a reply is lost and the call is retried (by botocore, or by the caller repeating
        the same items after a failure), DynamoDB applies the batch once. Identical items in
        separate successful calls are all stored.

        Args:
            items: The batch, oldest first. An empty batch writes nothing.
            batch_id: Makes retries from elsewhere (another process, a job queue) safe: calls
                with the same id within ten minutes store the batch once (in this object,
                later too). Generated when None.

        Raises:
            ConfigurationError: ``items`` is not a list (or a tuple); nothing is sent.
            ItemEncodeError: An item cannot be stored as JSON; nothing is sent.
            ConflictError: Concurrent writers kept winning, or another's big batch held the
                session, for ``CONFLICT_BUDGET_SECONDS``; nothing of the batch was stored.
        """
        client = await self._ready()
        validate_batch(items)
        if not items:
            return
        encoded = encode_items(items)
        unconfirmed = self._unconfirmed
        if batch_id is not None:
            validate_batch_id(batch_id)
        elif unconfirmed is not None and unconfirmed.encoded == encoded:
            batch_id = unconfirmed.batch_id
        else:
            batch_id = _new_batch_id()
        if (
            unconfirmed is not None
            and unconfirmed.batch_id == batch_id
            and unconfirmed.first_seq is not None
            and await self._landed(client, batch_id, unconfirmed.first_seq)
        ):
            self._unconfirmed = None
            return
        self._sent_first_seq = None
        try:
            await self._append(
                client, encoded, batch_id, outputs=[is_tool_output(item) for item in items]
            )
        except BaseException:
            # Any failure (a lost connection, a cancellation) may have come after the
            # transaction was applied: an identical next call is a retry of this batch.
            self._unconfirmed = _Unconfirmed(encoded, batch_id, self._sent_first_seq)
            raise
        self._unconfirmed = None

    async def _landed(self, client: DynamoDBClient, batch_id: str, first_seq: int) -> bool:
        """Whether the batch whose last attempt wrote from ``first_seq`` is stored.

        Past the token's ten minutes DynamoDB no longer knows the batch: one transactional
        read of META and that seq tells, as the first item of a batch carries its id and
        counts as stored once it is below ``next_seq``.
        """
        reply = await self._call(
            client.transact_get_items(
                TransactItems=[
                    {"Get": {"TableName": self._table, "Key": key(self.session_id, META_SK)}},
                    {
                        "Get": {
                            "TableName": self._table,
                            "Key": key(self.session_id, message_sk(first_seq)),
                        }
                    },
                ]
            )
        )
        meta_reply, first_reply = reply.get("Responses", [{}, {}])
        meta = meta_from_item(meta_reply.get("Item"))
        first = first_reply.get("Item") or {}
        stored = first.get(BATCH_ATTRIBUTE, {}).get("S") == batch_id
        return stored and first_seq < meta.next_seq

    async def _batch_found(self, client: DynamoDBClient, batch_id: str) -> bool:
        """Whether an item carrying ``batch_id`` is among the session's newest live items.

        Reads META, then up to ``_BATCH_SEARCH_ITEMS`` of the messages below its next seq in
        one consistent Query filtered on the batch id (billed for every item read): only
        after DynamoDB reports the batch's token used with other parameters, which is rare.
        """
        meta = await self._read_meta(client)
        if meta.next_seq <= 0:
            return False
        reply = await self._call(
            client.query(
                TableName=self._table,
                KeyConditionExpression="#pk = :pk AND #sk BETWEEN :first AND :last",
                FilterExpression="#b = :batch",
                ExpressionAttributeNames={
                    "#pk": PARTITION_KEY,
                    "#sk": SORT_KEY,
                    "#b": BATCH_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":pk": {"S": self.session_id},
                    ":first": {"S": message_sk(0)},
                    ":last": {"S": message_sk(meta.next_seq - 1)},
                    ":batch": {"S": batch_id},
                },
                ProjectionExpression="#sk",
                ScanIndexForward=False,
                Limit=_BATCH_SEARCH_ITEMS,
                ConsistentRead=True,
            )
        )
        return bool(reply.get("Items"))

    async def replace_items(
        self, items: list[TResponseInputItem], *, batch_id: str | None = None
    ) -> None:
        """Replace the whole history with ``items``, atomically.

        The transaction (or, for a batch too big for one, the staged commit) moves META's
        floor past the old items and puts the new ones, so
        readers see the old history or the new one, never a mix or an empty session. The
        owner, ``created_at`` and the rest of META are kept; ``updated_at`` and the TTL are
        refreshed. The old items are then deleted in batches of 25. Replacing with no items
        clears the session. The SDK's ``OpenAIResponsesCompactionSession`` calls this.

        Args:
            items: The new history, oldest first.
            batch_id: Makes a retry safe: a replacement whose id was applied within ten
                minutes is skipped, so it never undoes what was appended since.

        Raises:
            ConfigurationError: ``items`` is not a list (or a tuple); nothing is sent.
            ItemEncodeError: An item cannot be stored as JSON; nothing is sent.
            ConflictError: Concurrent writers kept winning for ``CONFLICT_BUDGET_SECONDS``;
                the history was left as it was.
        """
        client = await self._ready()
        validate_batch(items)
        if batch_id is not None:
            validate_batch_id(batch_id)
        if not items:
            await self.clear_session()
            return
        encoded = encode_items(items)
        await self._append(
            client,
            encoded,
            batch_id or _new_batch_id(),
            replace=True,
            outputs=[is_tool_output(item) for item in items],
        )

    async def _atomic_replace_items(self, items: list[TResponseInputItem]) -> bool:
        """Replace history for the SDK's compaction, which looks this hook up on the type."""
        await self.replace_items(items)
        return True

    async def _append(
        self,
        client: DynamoDBClient,
        encoded: list[bytes],
        batch_id: str,
        *,
        replace: bool = False,
        outputs: Sequence[bool] = (),
    ) -> None:
        """Put ``encoded`` above the session's items; ``replace`` moves the floor past them.

        ``outputs`` marks the items that are tool outputs: with ``max_items``, the history
        never starts at one, and the items trimmed off are deleted in the same transaction
        (or right after it, when they do not fit).

        A batch that fits one transaction is one; a bigger one is staged under a lease
        (``_staging``). Lost races re-base on the META the store reports and try again,
        with jittered back-off, until ``CONFLICT_BUDGET_SECONDS`` have passed.
        """
        # A replacement has its own tokens: the same id on an add_items is another batch.
        token_id = f"replace\0{batch_id}" if replace else batch_id
        token = request_token(self._table, self.session_id, token_id)
        my_lease_token = request_token(self._table, self.session_id, f"lease\0{token_id}")
        my_lease_token = my_lease_token[:LEASE_TOKEN_LENGTH]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONFLICT_BUDGET_SECONDS
        expected = self._meta
        last: ConflictError | None = None
        lease: str | None = None  # the lease this call holds, while it stages
        staged: tuple[int, int | None] | None = None  # (base, item ttl) staged under it
        attempt = 0
        spent = 0  # tokens found spent without the batch stored
        try:
            while True:
                if attempt and loop.time() >= deadline:
                    raise ConflictError(
                        f"append to session {self.session_id!r} lost to concurrent writers "
                        f"for {CONFLICT_BUDGET_SECONDS:.0f} s ({attempt} attempts); nothing of "
                        "the batch was stored"
                    ) from last
                now = int(time.time())
                if self._blocked(expected, now, my_lease_token, lease):
                    expected = await self._wait_for_lease(
                        client,
                        expected,
                        deadline,
                        functools.partial(
                            self._blocked, my_lease_token=my_lease_token, lease=lease
                        ),
                    )
                    continue
                # Rounded up: a session may outlive its TTL by under a second, never expire
                # early.
                expires_at = (
                    None
                    if self._ttl_seconds is None
                    else math.ceil(time.time()) + self._ttl_seconds
                )
                # An expired session is not revived: the append starts it anew above the
                # old seqs.
                base = expected.next_seq
                floor = base if replace or expected.expired(now) else expected.floor
                next_seq = base + len(encoded)
                trimmed: list[dict[str, Any]] = []  # keys of old items the trim deletes
                if self._max_items is not None and next_seq - self._max_items > floor:
                    floor, trimmed = await self._trim(client, floor, base, next_seq, outputs)
                item_expires_at = self._item_expires_at(expires_at)
                if staged is not None and staged[0] == base:
                    item_expires_at = staged[1]  # what the staged items carry
                if expected.exists and not expected.expired(now) and base > floor:
                    # The live items keep theirs: the earliest of all is what META records.
                    if expected.items_expire_at is None or item_expires_at is None:
                        items_expire_at = expected.items_expire_at or item_expires_at
                    else:
                        items_expire_at = min(expected.items_expire_at, item_expires_at)
                else:
                    items_expire_at = item_expires_at
                update = meta_update(
                    self._table,
                    self.session_id,
                    expected,
                    now,
                    next_seq,
                    floor,
                    expires_at,
                    items_expire_at,
                    owner=self._owner,
                    lease=lease,
                    abandoned_lease=self._abandoned_lease,
                )
                actions: list[Any] = [{"Update": update}]
                # Items a max_items trim hides at once are not written. The first written
                # carries the batch id (a retry reads it there), and so does the last, where
                # the search after a spent token finds it among the newest items.
                first_kept = min(max(0, floor - base), len(encoded))
                if lease is None:
                    rows = [
                        row
                        for index, payload in enumerate(encoded)
                        if index >= first_kept
                        for row in message_rows(
                            self.session_id,
                            base + index,
                            payload,
                            batch_id if index in (first_kept, len(encoded) - 1) else None,
                            item_expires_at,
                            output=bool(outputs) and outputs[index],
                        )
                    ]
                    if fits_one_transaction(rows):
                        # Unconditional Puts: the META condition reserves these seqs, and
                        # whatever sits there is a leftover of a lapsed lease or a swept META.
                        actions += [
                            {"Put": {"TableName": self._table, "Item": row}} for row in rows
                        ]
                        if len(actions) + len(trimmed) <= MAX_TRANSACTION_ACTIONS:
                            actions += [
                                {"Delete": {"TableName": self._table, "Key": trimmed_key}}
                                for trimmed_key in trimmed
                            ]
                            trimmed = []  # deleted with the append
                    else:
                        lease, expected = await self._take_lease(
                            client, expected, now, expires_at, my_lease_token
                        )
                        if lease is None:
                            last = None
                            attempt += 1
                            await _backoff(attempt)
                            continue
                        try:
                            await stage(
                                client,
                                self._call,
                                self._table,
                                self.session_id,
                                rows,
                                lease,
                                lambda: int(time.time()),
                            )
                        except ConflictError as exc:
                            last = exc  # the lease lapsed and was taken: start again
                            lease = self._lease = None
                            expected = await self._read_meta(client)
                            attempt += 1
                            continue
                        staged = (base, item_expires_at)
                        continue  # commit, with META as the lease left it
                self._sent_first_seq = base + first_kept
                try:
                    await self._call(
                        client.transact_write_items(TransactItems=actions, ClientRequestToken=token)
                    )
                except ConflictError as exc:
                    if error_code(exc) == "IdempotentParameterMismatchException":
                        # The token was used in the last ten minutes with other parameters:
                        # this batch landed (sent by another object or an earlier call), or
                        # the store kept the token of an attempt that failed. Look for it.
                        if not await self._batch_found(client, batch_id):
                            spent += 1  # not stored: the token is spent, take a fresh one
                            token = request_token(
                                self._table, self.session_id, f"{token_id}\0{spent}"
                            )
                            last = exc
                            attempt += 1
                            continue
                        self._meta = Meta(exists=True, next_seq=expected.next_seq)
                        if lease is not None:
                            with contextlib.suppress(ConflictError):
                                await release_lease(
                                    client, self._call, self._table, self.session_id, lease
                                )
                            lease = None
                        self._lease = self._abandoned_lease = None
                        return
                    last = exc
                    expected = await self._rebase(client, exc, expected)
                    if lease is not None and expected.lease != lease:
                        lease, staged = None, None  # taken over: stage again
                        self._lease = None
                    attempt += 1
                    await _backoff(attempt)
                    continue
                lease = None
                self._lease = None
                self._meta = Meta(
                    exists=True,
                    next_seq=next_seq,
                    floor=floor,
                    expires_at=expires_at,
                    items_expire_at=items_expire_at,
                )
                for start in range(0, len(trimmed), _BATCH_DELETE_SIZE):
                    await self._partition.batch_delete(
                        client, trimmed[start : start + _BATCH_DELETE_SIZE]
                    )
                break
        finally:
            if self._lease is not None:
                # Failed or cancelled while holding it (or while taking it): later writes of
                # this object may take it over at once; others wait until it lapses.
                self._abandoned_lease, self._lease = self._lease, None
        self._abandoned_lease = None
        if replace and base > expected.floor:
            await self._partition.delete_below(client, base)
        elif self._needs_renewal(self._meta):
            await self._renew_item_ttls(client, self._meta)

    async def _trim(
        self,
        client: DynamoDBClient,
        floor: int,
        base: int,
        next_seq: int,
        outputs: Sequence[bool],
    ) -> tuple[int, list[dict[str, Any]]]:
        """Return the floor of a trimmed history and the keys of the items it trims off.

        The floor keeps ``max_items`` and starts at no tool output. One consistent Query
        reads the old items from ``floor`` to a little past the new one: the items to delete
        (with their chunks) and the marks of those the history may start at. The batch's
        own items (from ``base``) are known from ``outputs``.
        """
        assert self._max_items is not None
        new_floor = next_seq - self._max_items
        heads: list[tuple[int, bool, int]] = []
        read_to = floor
        while True:
            while new_floor < next_seq:
                if new_floor >= base:
                    if not (outputs and outputs[new_floor - base]):
                        break
                elif new_floor < read_to:
                    if not any(seq == new_floor and output for seq, output, _ in heads):
                        break
                else:
                    break  # not read yet
                new_floor += 1
            if new_floor >= base or new_floor < read_to:
                break
            end = min(base, new_floor + _TRIM_LOOKAHEAD)
            heads += await self._partition.heads_between(client, read_to, end)
            read_to = end
        if read_to < min(new_floor, base):  # the batch alone is over max_items
            heads += await self._partition.heads_between(client, read_to, min(new_floor, base))
        keys: list[dict[str, Any]] = []
        for seq, _, chunks in heads:
            if seq < new_floor:
                keys.append(key(self.session_id, message_sk(seq)))
                keys += [key(self.session_id, chunk_sk(seq, index)) for index in range(chunks)]
        return new_floor, keys

    def _blocked(
        self, meta: Meta, now: int, my_lease_token: str | None = None, lease: str | None = None
    ) -> bool:
        """Whether a live lease of another write makes this one wait.

        A write need not wait for the lease it holds, one of the same batch (a retry takes
        it over), or one a failed call of this object left behind.
        """
        if not meta.leased(now) or meta.lease is None:
            return False
        return meta.lease not in (lease, self._abandoned_lease) and (
            lease_token(meta.lease) != my_lease_token
        )

    async def _take_lease(
        self,
        client: DynamoDBClient,
        expected: Meta,
        now: int,
        expires_at: int | None,
        my_lease_token: str,
    ) -> tuple[str | None, Meta]:
        """Take the write lease on META as it is expected; return it, or None and the META seen."""
        lease = new_lease(my_lease_token)
        self._lease = lease  # from now on it may be ours, even if the reply never comes
        update = lease_update(
            self._table,
            self.session_id,
            expected,
            now,
            expires_at,
            lease=lease,
            my_lease_token=my_lease_token,
            abandoned_lease=self._abandoned_lease,
        )
        try:
            actions: list[Any] = [{"Update": update}]
            await self._call(client.transact_write_items(TransactItems=actions))
        except ConflictError as exc:
            self._lease = None
            return None, await self._rebase(client, exc, expected)
        taken = Meta(
            exists=True,
            next_seq=expected.next_seq,
            floor=expected.floor,
            expires_at=expected.expires_at if expected.exists else expires_at,
            items_expire_at=expected.items_expire_at,
            lease=lease,
            lease_until=lease_deadline(now),
        )
        return lease, taken

    async def _wait_for_lease(
        self,
        client: DynamoDBClient,
        meta: Meta,
        deadline: float,
        blocked: Callable[[Meta, int], bool],
    ) -> Meta:
        """Poll META with jittered back-off until ``blocked`` no longer holds: a lease lapsed."""
        loop = asyncio.get_running_loop()
        delay = _LEASE_POLL_SECONDS
        while True:
            now = time.time()
            if not blocked(meta, int(now)):
                return meta
            if loop.time() >= deadline:
                raise ConflictError(
                    f"session {self.session_id!r} is held by a big batch being written (lease "
                    f"until {meta.lease_until}) for longer than {CONFLICT_BUDGET_SECONDS:.0f} "
                    "s; nothing was written"
                )
            until_lapse = (meta.lease_until or 0) - now + 0.05
            await asyncio.sleep(max(0.0, min(random.uniform(delay / 2, delay), until_lapse)))
            delay = min(delay * 2, _LEASE_POLL_CAP_SECONDS)
            meta = await self._read_meta(client)

    def _item_expires_at(self, expires_at: int | None) -> int | None:
        """Return the ttl of a message written while the session expires at ``expires_at``."""
        if expires_at is None or self._ttl_seconds is None:
            return None
        return expires_at + max(self._ttl_seconds, ITEM_TTL_SLACK_SECONDS)

    def _needs_renewal(self, meta: Meta) -> bool:
        """Whether some live message's ttl is too close to the session's expiry."""
        if meta.items_expire_at is None:
            return False
        if meta.expires_at is None:
            return True  # the session no longer expires: its messages must not either
        slack = max(self._ttl_seconds or 0, ITEM_TTL_SLACK_SECONDS)
        return meta.items_expire_at < meta.expires_at + slack // 2

    async def _renew_item_ttls(self, client: DynamoDBClient, meta: Meta) -> None:
        """Give every live message the ttl of a message written now, then record it on META.

        Items popped or cleared meanwhile are not recreated. If an append lands during the
        pass, META is left as it was and a later append renews again.
        """
        item_expires_at = self._item_expires_at(meta.expires_at)
        names = {"#pk": PARTITION_KEY, "#ttl": TTL_ATTRIBUTE}
        values: dict[str, Any] = {}
        if item_expires_at is None:
            expression = "REMOVE #ttl"
        else:
            expression = "SET #ttl = :ttl"
            values[":ttl"] = {"N": str(item_expires_at)}
        sort_keys = [message_sk(seq) for seq in range(meta.floor, meta.next_seq)]
        if meta.next_seq > meta.floor:
            sort_keys += await self._partition.sort_keys_between(
                client, *chunk_range(meta.floor, meta.next_seq - 1)
            )
        for sk in sort_keys:
            request: dict[str, Any] = {
                "TableName": self._table,
                "Key": key(self.session_id, sk),
                "UpdateExpression": expression,
                "ConditionExpression": "attribute_exists(#pk)",
                "ExpressionAttributeNames": names,
            }
            if values:
                request["ExpressionAttributeValues"] = values
            with contextlib.suppress(ConflictError):  # popped or cleared meanwhile
                await self._call(client.update_item(**request))
        meta_values: dict[str, Any] = {
            ":next": {"N": str(meta.next_seq)},
            ":old": {"N": str(meta.items_expire_at)},
        }
        if item_expires_at is None:
            meta_expression = "REMOVE #items_ttl"
        else:
            meta_expression = "SET #items_ttl = :items_ttl"
            meta_values[":items_ttl"] = {"N": str(item_expires_at)}
        try:
            await self._call(
                client.update_item(
                    TableName=self._table,
                    Key=key(self.session_id, META_SK),
                    UpdateExpression=meta_expression,
                    ConditionExpression="#next = :next AND #items_ttl = :old",
                    ExpressionAttributeNames={
                        "#next": NAMES["#next"],
                        "#items_ttl": NAMES["#items_ttl"],
                    },
                    ExpressionAttributeValues=meta_values,
                )
            )
        except ConflictError:
            return  # an append won the race: its writer's next pass renews again
        self._meta = Meta(
            exists=True,
            next_seq=meta.next_seq,
            floor=meta.floor,
            expires_at=meta.expires_at,
            items_expire_at=item_expires_at,
        )

    async def _rebase(self, client: DynamoDBClient, exc: ConflictError, expected: Meta) -> Meta:
        """Return the META to expect next, from what the cancelled transaction reported."""
        reasons = list(getattr(exc, "response", {}).get("CancellationReasons") or [])
        if not reasons:
            return await self._read_meta(client)
        meta_reason = reasons[0]
        if meta_reason.get("Code") == "ConditionalCheckFailed":
            return meta_from_item(meta_reason.get("Item"))
        return expected  # TransactionConflict: another transaction held an item; try again

    async def _read_meta(self, client: DynamoDBClient) -> Meta:
        reply = await self._call(
            client.get_item(
                TableName=self._table, Key=key(self.session_id, META_SK), ConsistentRead=True
            )
        )
        return meta_from_item(reply.get("Item"))

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item, or None when the session is empty or expired.

        Concurrent pops each claim a distinct item. An undecodable item is discarded with
        a logged warning and the next one is popped.

        Raises:
            ConflictError: Concurrent writers won the race more often than allowed.
        """
        client = await self._ready()
        last: ConflictError | None = None
        attempt = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONFLICT_BUDGET_SECONDS
        while True:
            if attempt and loop.time() >= deadline:
                raise ConflictError(
                    f"pop from session {self.session_id!r} lost to concurrent writers for "
                    f"{CONFLICT_BUDGET_SECONDS:.0f} s ({attempt} attempts); nothing was removed"
                ) from last
            now = int(time.time())
            reply = await self._call(
                client.query(
                    TableName=self._table,
                    KeyConditionExpression="#pk = :pk AND #sk BETWEEN :first AND :meta",
                    ExpressionAttributeNames={"#pk": PARTITION_KEY, "#sk": SORT_KEY},
                    ExpressionAttributeValues={
                        ":pk": {"S": self.session_id},
                        ":first": {"S": message_sk(0)},
                        ":meta": {"S": META_SK},
                    },
                    ScanIndexForward=False,
                    Limit=2,
                    ConsistentRead=True,
                )
            )
            found = reply.get("Items", [])
            meta = meta_from_item(
                found[0] if found and found[0][SORT_KEY]["S"] == META_SK else None
            )
            self._meta = meta
            if meta.live_count(now) <= 0:
                return None
            newest_sk = message_sk(meta.next_seq - 1)
            if self._blocked(meta, now):
                await self._wait_for_lease(client, meta, deadline, self._blocked)
                continue
            newest = next((item for item in found if item[SORT_KEY]["S"] == newest_sk), None)
            if newest is None and found and found[-1][SORT_KEY]["S"] > newest_sk:
                # Leftovers of a lapsed lease sit above next_seq: read the newest directly.
                got = await self._call(
                    client.get_item(
                        TableName=self._table,
                        Key=key(self.session_id, newest_sk),
                        ConsistentRead=True,
                    )
                )
                newest = got.get("Item")
            actions: list[Any] = [
                {
                    "Update": pop_update(
                        self._table, self.session_id, meta, now, self._abandoned_lease
                    )
                },
                {"Delete": self._pop_delete(newest_sk, newest)},
            ]
            count = chunk_count(newest) if newest is not None else 0
            chunks: list[Mapping[str, Any]] = []
            if count:
                chunks = await self._partition.read_chunks(client, meta.next_seq - 1, count)
                if len(actions) + count <= MAX_TRANSACTION_ACTIONS:
                    # With the message, in its transaction; more are deleted right after.
                    actions += [
                        {"Delete": {"TableName": self._table, "Key": key(self.session_id, sk)}}
                        for sk in (chunk_sk(meta.next_seq - 1, index) for index in range(count))
                    ]
            try:
                await self._call(client.transact_write_items(TransactItems=actions))
            except ConflictError as exc:
                last = exc
                attempt += 1
                await _backoff(attempt)
                continue
            self._meta = Meta(
                exists=True,
                next_seq=meta.next_seq - 1,
                floor=meta.floor,
                expires_at=meta.expires_at,
                items_expire_at=meta.items_expire_at,
            )
            raw: bytes | str = payload_of(newest) if newest is not None else "<missing item>"
            if newest is not None and count:
                if len(actions) == 2:
                    await self._partition.delete_chunks(client, meta.next_seq - 1, meta.next_seq)
                tag = tag_of(newest)
                if len(chunks) == count and all(tag_of(chunk) == tag for chunk in chunks):
                    raw = join(part(newest), [part(chunk) for chunk in chunks])
                else:
                    raw = f"<message lost {count - len(chunks)} of its {count} chunks>"
            try:
                return decode_item(raw)
            except Exception as exc:
                logger.warning(
                    "discarded undecodable item popped from %r: %s",
                    f"{self._table}/{self.session_id}",
                    exc,
                )

    def _pop_delete(self, newest_sk: str, newest: Mapping[str, Any] | None) -> dict[str, Any]:
        """Return the Delete of the newest item, conditioned on the item the pop read.

        META's next seq may be back where it was read (another pop, then an append): delete
        only the item read, so the one returned is the one removed.
        """
        delete: dict[str, Any] = {"TableName": self._table, "Key": key(self.session_id, newest_sk)}
        if newest is not None:
            delete["ExpressionAttributeNames"] = {"#v": PAYLOAD_ATTRIBUTE}
            if PAYLOAD_ATTRIBUTE in newest:
                delete["ConditionExpression"] = "#v = :v"
                delete["ExpressionAttributeValues"] = {":v": newest[PAYLOAD_ATTRIBUTE]}
            else:
                delete["ConditionExpression"] = "attribute_not_exists(#v)"
        return delete

    async def clear_session(self) -> None:
        """Empty the session at once, then delete its stored items.

        One UpdateItem moves the floor up to the next sequence number, so every reader sees
        an empty session from then on; the items below it are then deleted in batches of 25.
        Items appended meanwhile are kept.
        """
        client = await self._ready()
        now = int(time.time())
        names = {name: NAMES[name] for name in ("#next", "#floor", "#updated")}
        try:
            reply = await self._call(
                client.update_item(
                    TableName=self._table,
                    Key=key(self.session_id, META_SK),
                    UpdateExpression="SET #floor = #next, #updated = :now REMOVE "
                    + remove_clause(names),
                    ConditionExpression="attribute_exists(#next)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={":now": {"N": str(now)}},
                    ReturnValues="ALL_NEW",
                )
            )
        except ConflictError:
            self._meta = Meta()
            # No items were ever stored, but set_metadata may have left metadata.
            await self._call(
                client.delete_item(
                    TableName=self._table,
                    Key=key(self.session_id, META_SK),
                    ConditionExpression="attribute_not_exists(#next)",
                    ExpressionAttributeNames={"#next": NAMES["#next"]},
                )
            )
            return
        meta = meta_from_item(reply.get("Attributes"))
        self._meta = meta
        if meta.next_seq > 0:
            await self._partition.delete_below(client, meta.next_seq)

    @property
    def owner(self) -> str | None:
        """The user this session belongs to, as this object knows it."""
        return self._owner

    async def get_metadata(self) -> SessionMetadata:
        """Return the session's metadata: created_at, updated_at, title, owner and tags.

        One consistent GetItem of META (1 RCU). An expired session has none.
        """
        client = await self._ready()
        reply = await self._call(
            client.get_item(
                TableName=self._table, Key=key(self.session_id, META_SK), ConsistentRead=True
            )
        )
        return metadata_from_item(reply.get("Item"), int(time.time()))

    async def set_metadata(
        self,
        *,
        title: str | EllipsisType | None = ...,
        owner: str | EllipsisType | None = ...,
        tags: list[str] | tuple[str, ...] | EllipsisType | None = ...,
    ) -> None:
        """Set user fields of the session's metadata; omitted fields stay, None removes one.

        One consistent GetItem of META, then one UpdateItem conditioned on what it read (a
        write that raced it reads again). A live session keeps its expiry; on a session that
        does not exist (or expired) the metadata starts a new one, with this object's TTL.
        Setting ``owner`` moves the session to that owner's listing (see `_owners`).

        Raises:
            ConfigurationError: A value is of the wrong type, or ``owner`` is empty; nothing
                is written.
            ConflictError: Concurrent writers won the race more often than allowed.
        """
        client = await self._ready()
        change = metadata_change(title, owner, tags)
        last: ConflictError | None = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONFLICT_BUDGET_SECONDS
        attempt = 0
        while not attempt or loop.time() < deadline:
            attempt += 1
            reply = await self._call(
                client.get_item(
                    TableName=self._table, Key=key(self.session_id, META_SK), ConsistentRead=True
                )
            )
            expires_at = (
                None if self._ttl_seconds is None else math.ceil(time.time()) + self._ttl_seconds
            )
            request = metadata_update(
                self._table,
                self.session_id,
                reply.get("Item"),
                change,
                int(time.time()),
                expires_at,
            )
            try:
                await self._call(client.update_item(**request))
            except ConflictError as exc:
                last = exc
                await _backoff(attempt)
                continue
            if owner is not ...:
                self._owner = owner
            return
        raise ConflictError(
            f"metadata of session {self.session_id!r} lost to concurrent writers for "
            f"{CONFLICT_BUDGET_SECONDS:.0f} s ({attempt} attempts); nothing was changed"
        ) from last

    async def ping(self) -> bool:
        """Return True when DynamoDB answers, False when it cannot be reached.

        Sends one eventually consistent GetItem of this session's META, projecting its key
        (0.5 RCU), so it needs no permission beyond what the session uses. Unreachable is
        what retrying later may fix (a refused connection, a timeout, throttling, a 5xx):
        these answer False. A store that answers but refuses raises, because waiting does
        not fix a wrong setup.

        Raises:
            SessionClosedError: The session was closed.
            BackendError: The store refused the request: unknown table, bad credentials,
                missing permission.
        """
        client = await self._ready()
        try:
            await self._call(
                client.get_item(
                    TableName=self._table,
                    Key=key(self.session_id, META_SK),
                    ProjectionExpression="#pk",
                    ExpressionAttributeNames={"#pk": PARTITION_KEY},
                )
            )
        except BackendUnavailableError:
            return False
        return True

    async def close(self) -> None:
        """Release the client if this session created it (``from_url``); otherwise do nothing."""
        if self._owned is None or self._closed:
            return
        self._closed = True
        await self._owned.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _ready(self) -> DynamoDBClient:
        """Return the client: the caller's, or the session's own for the running loop."""
        if self._closed:
            raise SessionClosedError(f"session {self.session_id!r} was closed")
        if self._owned is not None:
            self._client = await self._owned.get()
        assert self._client is not None  # the caller's, or from_url's
        return self._client

    async def _call(self, request: Any) -> Any:
        """Await one driver call, mapping its errors; a wrong table layout is named."""
        try:
            with mapped_errors():
                return await request
        except BackendError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise missing_table(self._table) from exc
            if error_code(exc) == "ValidationException" and self._client is not None:
                # A Query or write with our key names fails this way on another layout,
                # such as 0.1.0's: say so rather than quote the store.
                try:
                    await check_table(self._client, self._table)
                except ConfigurationError as layout:
                    raise layout from exc
            raise
