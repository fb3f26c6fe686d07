"""The DynamoDB table layout, declared in one place: keys, attributes and the table itself.

One table holds every session; a session is one partition (``pk`` = the session id) of
items sorted by ``sk``:

=======================  =================================================================
``sk``                   holds
=======================  =================================================================
``c#<16 hex>#<4 hex>``   a chunk of a big message: ``v`` (binary part), ``t``, ``ttl``
``m#<16 hex>``           one message: ``v`` (its JSON), ``b`` (the batch id, on a batch's
                         first and last), ``o`` (on a tool output); a big one keeps its
                         first part here (``v`` binary, ``n`` chunks, tag ``t``) and the
                         rest in chunk items
``~meta``                the session's state: ``next_seq``, ``floor``, ``ttl``, timestamps,
                         owner, its metadata (``_metadata``); ``lease``, ``lease_until``
                         while a big batch is staged
=======================  =================================================================

Sequence numbers are zero-padded hex, so string order is numeric order, and ``~meta`` sorts
after every message: one descending Query from ``~meta`` reads the state first, then the newest
messages. The live messages are exactly the sequence numbers in ``[floor, next_seq)``: an
append writes at ``next_seq``, a pop removes ``next_seq - 1``, a clear moves ``floor`` up to
``next_seq``. ``ttl`` (epoch seconds) is the session's authoritative expiry, checked on every
read and write, and the attribute DynamoDB's TTL sweeper reads. A message whose JSON is over
``PART_BYTES`` is split (``_chunks``): chunk keys sort before ``m#``, so the tail Query never
meets them, and a chunk carries its message's ``ttl``. While a batch too big for one
transaction is staged (``_staging``), META holds its write ``lease`` and ``lease_until``, and
its items sit at seqs ``>= next_seq`` until the commit moves ``next_seq`` past them; items
left above ``next_seq`` by a lease that lapsed are invisible and the next writes overwrite
them. 0.1.0's table (partition key ``session_id`` only) cannot be reused: a key schema
never changes.

One global secondary index, ``OWNER_INDEX``, lists an owner's sessions: its partition key is
META's ``owner`` and its sort key ``updated_us`` (the last write, integer microseconds). It is
sparse: DynamoDB indexes only items that carry both attributes, so messages and the META of a
session without an owner cost the index nothing. It projects ``next_seq``, ``floor`` and
``ttl``, so empty and expired sessions are filtered out without reading the table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BackendUnavailableError, ConfigurationError
from ._driver import error_code, mapped_errors

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = [
    "ACTIVITY_ATTRIBUTE",
    "BATCH_ATTRIBUTE",
    "CHUNKS_ATTRIBUTE",
    "CHUNK_PREFIX",
    "ITEMS_TTL_ATTRIBUTE",
    "LEASE_ATTRIBUTE",
    "LEASE_UNTIL_ATTRIBUTE",
    "MAX_ITEM_BYTES",
    "MAX_TRANSACTION_ACTIONS",
    "MAX_TRANSACTION_BYTES",
    "MESSAGE_PREFIX",
    "META_SK",
    "MIGRATE_COMMAND",
    "OUTPUT_ATTRIBUTE",
    "OWNER_ATTRIBUTE",
    "OWNER_INDEX",
    "PARTITION_KEY",
    "PART_BYTES",
    "PAYLOAD_ATTRIBUTE",
    "SORT_KEY",
    "TAG_ATTRIBUTE",
    "TTL_ATTRIBUTE",
    "Meta",
    "check_session_id",
    "check_table",
    "create_table_if_not_exists",
    "has_owner_index",
    "key",
    "message_item",
    "message_sk",
    "meta_from_item",
    "missing_table",
    "payload_of",
    "seq_of",
]

PARTITION_KEY = "pk"
# The most a partition key value holds, in bytes of UTF-8.
PARTITION_KEY_BYTES = 2048
SORT_KEY = "sk"
MESSAGE_PREFIX = "m#"
META_SK = "~meta"
CHUNK_PREFIX = "c#"
PAYLOAD_ATTRIBUTE = "v"
BATCH_ATTRIBUTE = "b"
# On a big message's head: how many chunk items hold the rest of its payload.
CHUNKS_ATTRIBUTE = "n"
# On a big message's head and its chunks: a random tag they share.
TAG_ATTRIBUTE = "t"
# On a message that is a tool output (its type ends in "_output"): max_items never trims a
# history to start at one, as the Responses API refuses an output without its call.
OUTPUT_ATTRIBUTE = "o"
# DynamoDB's limits. An item's size counts attribute names, keys and values.
MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_ACTIONS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
# The payload bytes one item holds: the rest of 400 KB is margin for the session id (a
# partition key is at most 2 KB), the sort key, a batch id and the other attributes.
PART_BYTES = 350 * 1024
TTL_ATTRIBUTE = "ttl"
# On META: the earliest ``ttl`` any live message may carry (absent: none carries one).
ITEMS_TTL_ATTRIBUTE = "items_ttl"
# On META: the owner, the owner index's partition key (absent: the session is not indexed).
OWNER_ATTRIBUTE = "owner"
# On META: the last write in integer microseconds, the owner index's sort key.
ACTIVITY_ATTRIBUTE = "updated_us"
OWNER_INDEX = "owner-updated"
# What the owner index copies beside its keys: enough to tell an empty or expired session.
_OWNER_INDEX_PROJECTED = ("next_seq", "floor", TTL_ATTRIBUTE)
# On META while a batch too big for one transaction is staged: who holds the session's
# write lease, and until when (epoch seconds) unless it extends it.
LEASE_ATTRIBUTE = "lease"
LEASE_UNTIL_ATTRIBUTE = "lease_until"
# 16 hex digits: every seq a 64-bit counter can reach sorts by its string.
_SEQ_DIGITS = 16
# The partition key 0.1.0 used, alone: its tables must be migrated, not written to.
_LEGACY_PARTITION_KEY = "session_id"
MIGRATE_COMMAND = "openai-agents-session migrate"
_ACTIVE_POLL_SECONDS = 0.5
_ACTIVE_TIMEOUT_SECONDS = 300.0


def message_sk(seq: int) -> str:
    """Return the sort key of the message at ``seq``: ``m#`` and 16 zero-padded hex digits."""
    return f"{MESSAGE_PREFIX}{seq:0{_SEQ_DIGITS}x}"


def seq_of(sk: str) -> int:
    """Return the sequence number a message's sort key holds."""
    return int(sk[len(MESSAGE_PREFIX) :], 16)


def key(session_id: str, sk: str) -> dict[str, Any]:
    """Return the primary key of one item of a session.

    Raises:
        ConfigurationError: The session id is longer than a partition key holds.
    """
    if len(session_id) * 4 > PARTITION_KEY_BYTES:  # the cheap test: 4 bytes per character
        check_session_id(session_id)
    return {PARTITION_KEY: {"S": session_id}, SORT_KEY: {"S": sk}}


def check_session_id(session_id: str) -> str:
    """Return ``session_id`` if it fits a partition key: 2,048 bytes of UTF-8.

    Raises:
        ConfigurationError: It is longer, which DynamoDB would refuse on every call.
    """
    size = len(session_id.encode())
    if size > PARTITION_KEY_BYTES:
        raise ConfigurationError(
            f"session_id is {size} bytes of UTF-8; a DynamoDB partition key holds at most "
            f"{PARTITION_KEY_BYTES}"
        )
    return session_id


def message_item(
    session_id: str,
    seq: int,
    payload: bytes,
    batch_id: str | None = None,
    expires_at: int | None = None,
    *,
    output: bool = False,
) -> dict[str, Any]:
    """Return the attributes of a message; the first of a batch carries the batch id.

    ``expires_at`` becomes the item's own ``ttl``, for DynamoDB's sweeper; None writes none.
    ``output`` marks a tool output, which a trimmed history must not start with.
    """
    item = key(session_id, message_sk(seq))
    item[PAYLOAD_ATTRIBUTE] = {"S": payload.decode()}
    if batch_id is not None:
        item[BATCH_ATTRIBUTE] = {"S": batch_id}
    if output:
        item[OUTPUT_ATTRIBUTE] = {"BOOL": True}
    if expires_at is not None:
        item[TTL_ATTRIBUTE] = {"N": str(expires_at)}
    return item


def payload_of(item: Mapping[str, Any]) -> bytes | str:
    """Return the stored JSON of a message, or a placeholder that does not decode."""
    value = item.get(PAYLOAD_ATTRIBUTE)
    if isinstance(value, Mapping):
        text = value.get("S")
        if isinstance(text, str):
            return text.encode()
        binary = value.get("B")
        if isinstance(binary, bytes):
            return binary
    return f"<attribute {PAYLOAD_ATTRIBUTE!r} is {value!r}, not a string>"


@dataclass(frozen=True)
class Meta:
    """A session's state as its META item holds it.

    Attributes:
        exists: Whether the META item exists; a session without one is empty.
        next_seq: The sequence number the next append writes.
        floor: The lowest live sequence number; those below were cleared.
        expires_at: Epoch seconds after which the session is gone, or None.
        items_expire_at: The earliest ``ttl`` a live message may carry, or None when none
            carries one.
        lease: The write lease of a big batch being staged, or None.
        lease_until: Epoch seconds at which that lease lapses unless extended.
    """

    exists: bool = False
    next_seq: int = 0
    floor: int = 0
    expires_at: int | None = None
    items_expire_at: int | None = None
    lease: str | None = None
    lease_until: int | None = None

    def leased(self, now: int) -> bool:
        """Whether a big batch holds a live write lease at ``now``: other writes wait."""
        return self.lease is not None and (self.lease_until or 0) > now

    def expired(self, now: int) -> bool:
        """Whether the session has expired at ``now`` (epoch seconds)."""
        return self.expires_at is not None and self.expires_at <= now

    def live_count(self, now: int) -> int:
        """How many messages are live at ``now``."""
        if not self.exists or self.expired(now):
            return 0
        return self.next_seq - self.floor


def _number(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    if isinstance(value, Mapping) and isinstance(value.get("N"), str):
        return int(value["N"])
    return None


def meta_from_item(item: Mapping[str, Any] | None) -> Meta:
    """Return the state a META item holds; None (no item) is an empty, new session."""
    if not item:
        return Meta()
    return Meta(
        exists=True,
        next_seq=_number(item, "next_seq") or 0,
        floor=_number(item, "floor") or 0,
        expires_at=_number(item, TTL_ATTRIBUTE),
        items_expire_at=_number(item, ITEMS_TTL_ATTRIBUTE),
        lease=_string(item, LEASE_ATTRIBUTE),
        lease_until=_number(item, LEASE_UNTIL_ATTRIBUTE),
    )


def _string(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if isinstance(value, Mapping) and isinstance(value.get("S"), str):
        return str(value["S"])
    return None


async def check_table(client: DynamoDBClient, table_name: str) -> None:
    """Check that ``table_name`` has this library's key schema.

    Raises:
        ConfigurationError: The table does not exist, or has another key schema; for a table
            of 0.1.0 (partition key ``session_id`` only) the message names the migrate
            command.
        BackendError: The table cannot be described.
    """
    try:
        with mapped_errors():
            described = await client.describe_table(TableName=table_name)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise missing_table(table_name) from exc
        raise
    _check_key_schema(table_name, described["Table"])


def missing_table(table_name: str) -> ConfigurationError:
    """Return the error for a table that does not exist, saying how to create it."""
    return ConfigurationError(
        f"table {table_name!r} does not exist (in this region and account); create it with "
        "create_table_if_not_exists(), or check the region and endpoint"
    )


def _check_key_schema(table_name: str, table: Mapping[str, Any]) -> None:
    schema = {entry["KeyType"]: entry["AttributeName"] for entry in table.get("KeySchema", [])}
    types = {
        entry["AttributeName"]: entry["AttributeType"]
        for entry in table.get("AttributeDefinitions", [])
    }
    expected = {"HASH": PARTITION_KEY, "RANGE": SORT_KEY}
    if schema == expected and types.get(PARTITION_KEY) == types.get(SORT_KEY) == "S":
        return
    if schema == {"HASH": _LEGACY_PARTITION_KEY}:
        raise ConfigurationError(
            f"table {table_name!r} has the layout of openai-agents-session 0.1.0 (partition key "
            f"{_LEGACY_PARTITION_KEY!r} only), which this version cannot write; copy its "
            f"sessions into a new table with `{MIGRATE_COMMAND}`"
        )
    shown = ", ".join(f"{name} ({kind})" for kind, name in sorted(schema.items()))
    raise ConfigurationError(
        f"table {table_name!r} has the key schema {shown or 'none'}; expected partition key "
        f"{PARTITION_KEY!r} (S, HASH) and sort key {SORT_KEY!r} (S, RANGE)"
    )


async def create_table_if_not_exists(
    client: DynamoDBClient, table_name: str, *, enable_ttl: bool = True
) -> bool:
    """Create the sessions table (on-demand billing) unless it exists, and wait until ACTIVE.

    An existing table is checked instead: it must have this library's key schema. A table
    made before owner listing existed gets the owner index (``OWNER_INDEX``) added with one
    UpdateTable, and this call waits until DynamoDB has backfilled it (on a big table, that
    takes minutes): owner listing needs the index, and nothing else is changed.

    Args:
        client: An aiobotocore DynamoDB client; it stays the caller's.
        table_name: The table to create or check.
        enable_ttl: Turn on DynamoDB's TTL sweeper on the ``ttl`` attribute, so expired
            sessions are eventually deleted (they are never returned once expired either way).

    Returns:
        True when the table was created, False when it existed.

    Raises:
        ConfigurationError: The existing table has another key schema (see `check_table`).
        BackendError: The store refused or failed the request.
    """
    created = True
    try:
        with mapped_errors():
            await client.create_table(
                TableName=table_name,
                AttributeDefinitions=[
                    {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
                    {"AttributeName": SORT_KEY, "AttributeType": "S"},
                    *_OWNER_INDEX_ATTRIBUTES,
                ],
                KeySchema=[
                    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
                ],
                GlobalSecondaryIndexes=[_OWNER_INDEX_SPEC],
                BillingMode="PAY_PER_REQUEST",
            )
    except Exception as exc:
        if error_code(exc) != "ResourceInUseException":
            raise
        created = False
    table = await _wait_active(client, table_name)
    _check_key_schema(table_name, table)
    if not has_owner_index(table):
        await _add_owner_index(client, table_name)
    if enable_ttl:
        await _enable_ttl(client, table_name)
    return created


_OWNER_INDEX_ATTRIBUTES: list[Any] = [
    {"AttributeName": OWNER_ATTRIBUTE, "AttributeType": "S"},
    {"AttributeName": ACTIVITY_ATTRIBUTE, "AttributeType": "N"},
]
_OWNER_INDEX_SPEC: Any = {
    "IndexName": OWNER_INDEX,
    "KeySchema": [
        {"AttributeName": OWNER_ATTRIBUTE, "KeyType": "HASH"},
        {"AttributeName": ACTIVITY_ATTRIBUTE, "KeyType": "RANGE"},
    ],
    "Projection": {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(_OWNER_INDEX_PROJECTED),
    },
}


def has_owner_index(table: Mapping[str, Any]) -> bool:
    """Whether a table, as DescribeTable returns it, has the owner index."""
    indexes = table.get("GlobalSecondaryIndexes") or []
    return any(index.get("IndexName") == OWNER_INDEX for index in indexes)


async def _add_owner_index(client: DynamoDBClient, table_name: str) -> None:
    with mapped_errors():
        await client.update_table(
            TableName=table_name,
            AttributeDefinitions=_OWNER_INDEX_ATTRIBUTES,
            GlobalSecondaryIndexUpdates=[{"Create": _OWNER_INDEX_SPEC}],
        )
    await _wait_active(client, table_name)


async def _wait_active(client: DynamoDBClient, table_name: str) -> Mapping[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _ACTIVE_TIMEOUT_SECONDS
    while True:
        with mapped_errors():
            table: Mapping[str, Any] = (await client.describe_table(TableName=table_name))["Table"]
        indexes = table.get("GlobalSecondaryIndexes") or []
        if table.get("TableStatus") == "ACTIVE" and all(
            index.get("IndexStatus", "ACTIVE") == "ACTIVE" for index in indexes
        ):
            return table
        if loop.time() >= deadline:
            raise BackendUnavailableError(
                f"table {table_name!r} is still {table.get('TableStatus')!r} after "
                f"{_ACTIVE_TIMEOUT_SECONDS:.0f} s; expected ACTIVE"
            )
        await asyncio.sleep(_ACTIVE_POLL_SECONDS)


async def _enable_ttl(client: DynamoDBClient, table_name: str) -> None:
    with mapped_errors():
        described = await client.describe_time_to_live(TableName=table_name)
    current = described.get("TimeToLiveDescription", {})
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        if current.get("AttributeName") != TTL_ATTRIBUTE:
            raise ConfigurationError(
                f"table {table_name!r} has TTL on {current.get('AttributeName')!r}; expected "
                f"{TTL_ATTRIBUTE!r}, or create it with enable_ttl=False"
            )
        return
    with mapped_errors():
        await client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
