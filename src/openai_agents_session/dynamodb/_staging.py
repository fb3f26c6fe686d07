"""Batches too big for one transaction: a fenced, staged commit under a write lease on META.

A batch whose items (chunks included) need more than 99 Puts or about 4 MB cannot be one
``TransactWriteItems``. Its writer takes a lease on META (one conditional update: no live
lease of another, and the META it expects), which reserves the seqs ``[next_seq, next_seq +
n)``; writes the items in transactions of at most 100 actions and 4 MB, each beginning with
an update of META that extends the lease and holds only while the lease is still its own; then
commits with one conditional update of META that moves ``next_seq`` past the batch and removes
the lease. Readers see the live seqs ``[floor, next_seq)``: all of the batch or none of it.

A lease value is ``<token>:<nonce>``: the token comes from the batch id, so a retry of the same
batch takes over its own lease at once, and the nonce is new at every take, so a transaction
of an earlier take that is still in flight can never land. Other appends, pops and replaces
wait (polling META) while a lease is live, then take over a lapsed one; their update removes
it. A lapsed lease's staged items sit at seqs ``>= next_seq``, invisible, and the next writes
overwrite them. ``clear_session`` does not wait: it only moves ``floor`` up to ``next_seq``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError
from ._chunks import item_bytes
from ._schema import (
    LEASE_ATTRIBUTE,
    LEASE_UNTIL_ATTRIBUTE,
    MAX_TRANSACTION_ACTIONS,
    MAX_TRANSACTION_BYTES,
    META_SK,
    key,
)

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = [
    "LEASE_SECONDS",
    "LEASE_TOKEN_LENGTH",
    "TRANSACTION_ITEM_BYTES",
    "extend_lease_update",
    "fits_one_transaction",
    "lease_deadline",
    "lease_token",
    "new_lease",
    "release_lease",
    "stage",
    "transactions",
]

# How long a lease lives unless its holder extends it (each staged transaction does). A
# writer that dies holds up the session's other writers this long at most.
LEASE_SECONDS = 20
# The token part of a lease value; the nonce follows after a colon.
LEASE_TOKEN_LENGTH = 24
# What one transaction may carry in items: 4 MB less a margin for the META update.
TRANSACTION_ITEM_BYTES = MAX_TRANSACTION_BYTES - 64 * 1024
# How often one staged transaction is retried after losing to a concurrent one.
_STAGE_ATTEMPTS = 8
_LEASE_NAMES = {"#lease": LEASE_ATTRIBUTE, "#lease_until": LEASE_UNTIL_ATTRIBUTE}

Call = Callable[[Awaitable[Any]], Awaitable[Any]]


def fits_one_transaction(rows: Sequence[dict[str, Any]]) -> bool:
    """Whether ``rows`` and the META update fit in one TransactWriteItems."""
    if len(rows) + 1 > MAX_TRANSACTION_ACTIONS:
        return False
    return sum(item_bytes(row) for row in rows) <= TRANSACTION_ITEM_BYTES


def transactions(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Return ``rows`` in order, grouped into transactions that each leave room for META."""
    groups: list[list[dict[str, Any]]] = [[]]
    size = 0
    for row in rows:
        row_size = item_bytes(row)
        group = groups[-1]
        if group and (
            len(group) + 2 > MAX_TRANSACTION_ACTIONS or size + row_size > TRANSACTION_ITEM_BYTES
        ):
            groups.append([])
            size = 0
        groups[-1].append(row)
        size += row_size
    return groups


def new_lease(token: str) -> str:
    """Return a lease value of ``token`` with a fresh nonce: every take fences out the last."""
    return f"{token[:LEASE_TOKEN_LENGTH]}:{base64.urlsafe_b64encode(os.urandom(6)).decode()}"


def lease_deadline(now: int) -> int:
    """Return the epoch second at which a lease taken or extended at ``now`` lapses."""
    return now + LEASE_SECONDS


def lease_token(lease: str) -> str:
    """Return the token part of a lease value: what a retry of the same batch shares."""
    return lease.split(":", 1)[0]


def extend_lease_update(table: str, session_id: str, lease: str, now: int) -> dict[str, Any]:
    """Return the META update that extends ``lease``; it fails once the lease is another's."""
    return {
        "TableName": table,
        "Key": key(session_id, META_SK),
        "UpdateExpression": "SET #lease_until = :until",
        "ConditionExpression": "#lease = :lease",
        "ExpressionAttributeNames": dict(_LEASE_NAMES),
        "ExpressionAttributeValues": {
            ":lease": {"S": lease},
            ":until": {"N": str(lease_deadline(now))},
        },
    }


async def stage(
    client: DynamoDBClient,
    call: Call,
    table: str,
    session_id: str,
    rows: Sequence[dict[str, Any]],
    lease: str,
    clock: Callable[[], int],
) -> None:
    """Put ``rows`` in transactions that each extend ``lease`` and hold only under it.

    Puts are unconditional: the seqs are reserved by the lease, and whatever sits there is
    a leftover of a lapsed lease. No ClientRequestToken: a staged transaction is idempotent,
    and botocore's own retries carry one of theirs.

    Raises:
        ConflictError: The lease is no longer ours (it lapsed and another writer took it),
            or a transaction lost to a concurrent one; nothing of the batch is visible.
    """
    for group in transactions(rows):
        for attempt in range(_STAGE_ATTEMPTS):
            actions: list[Any] = [
                {"Update": extend_lease_update(table, session_id, lease, clock())}
            ]
            actions += [{"Put": {"TableName": table, "Item": row}} for row in group]
            try:
                await call(client.transact_write_items(TransactItems=actions))
            except ConflictError as exc:
                if attempt + 1 == _STAGE_ATTEMPTS or "ConditionalCheckFailed" in exc.reasons:
                    raise
                # TransactionConflict: a reader's transaction or a waiter's write touched META.
                await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))  # jitter, not a secret
                continue
            break


async def release_lease(
    client: DynamoDBClient, call: Call, table: str, session_id: str, lease: str
) -> None:
    """Remove ``lease`` from META if it is still there; the caller ignores a ConflictError."""
    await call(
        client.update_item(
            TableName=table,
            Key=key(session_id, META_SK),
            UpdateExpression="REMOVE #lease, #lease_until",
            ConditionExpression="#lease = :lease",
            ExpressionAttributeNames=dict(_LEASE_NAMES),
            ExpressionAttributeValues={":lease": {"S": lease}},
        )
    )
