"""An owner's sessions, most recently updated first: a Query of the sparse owner index.

The index (``OWNER_INDEX`` in ``_schema``) holds one entry per META item that has an owner
and has been appended to: its partition key is the owner, its sort key ``updated_us``. A
page is one descending Query, or a few when a page's entries were filtered out: empty and
expired sessions (``next_seq <= floor``, ``ttl`` passed) stay in the index until they are
written or swept, and are dropped by the Query's filter, which reads them without returning
them; the loop goes on until the page is full or the index ends, so a page is never short
while more entries follow. Each entry read costs 0.5 RCU per 4 KB (eventually consistent;
an entry holds only keys, ``next_seq``, ``floor`` and ``ttl``, so a read unit covers dozens).

A global secondary index is eventually consistent: a session appended to, cleared, or given
another owner a moment ago may still be listed as it was, usually for well under a second.
The cursor is the position after a page's last entry (its owner, ``updated_us`` and id), so
a session written between two pages moves to the top: it may be listed again or skipped, as
with any live index. A cursor that does not decode to a position of the same owner is
refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._store import OwnedSession, OwnerPage
from ..errors import BackendError, ConfigurationError
from ._driver import error_code
from ._schema import (
    ACTIVITY_ATTRIBUTE,
    META_SK,
    OWNER_ATTRIBUTE,
    OWNER_INDEX,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = ["decode_cursor", "encode_cursor", "owner_page"]

Call = Callable[[Awaitable[Any]], Awaitable[Any]]
_CURSOR_VERSION = "o1."


def encode_cursor(owner: str, updated_us: int, session_id: str) -> str:
    """Return the opaque cursor of the position after one index entry."""
    raw = json.dumps([owner, updated_us, session_id], ensure_ascii=False).encode()
    return _CURSOR_VERSION + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, owner: str) -> dict[str, Any]:
    """Return the Query's ``ExclusiveStartKey`` a cursor of ``owner`` stands for.

    Raises:
        ConfigurationError: The cursor is not one this store returned for ``owner``.
    """
    refused = ConfigurationError(
        f"cursor {cursor!r} is not one this store returned for owner {owner!r}"
    )
    if not isinstance(cursor, str) or not cursor.startswith(_CURSOR_VERSION):
        raise refused
    encoded = cursor[len(_CURSOR_VERSION) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise refused from None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or value[0] != owner
        or isinstance(value[1], bool)
        or not isinstance(value[1], int)
        or not isinstance(value[2], str)
        or not value[2]
    ):
        raise refused
    return {
        OWNER_ATTRIBUTE: {"S": owner},
        ACTIVITY_ATTRIBUTE: {"N": str(value[1])},
        PARTITION_KEY: {"S": value[2]},
        SORT_KEY: {"S": META_SK},
    }


async def owner_page(
    client: DynamoDBClient,
    table_name: str,
    call: Call,
    owner: str,
    *,
    cursor: str | None,
    count: int,
) -> OwnerPage:
    """Return one page of ``owner``'s live sessions, most recently updated first.

    Raises:
        ConfigurationError: ``cursor`` is not one this store returned, ``count`` < 1, or the
            table has no owner index (``create_table_if_not_exists`` adds it).
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigurationError(f"count must be an int >= 1, got {count!r}")
    if not isinstance(owner, str) or not owner:
        raise ConfigurationError(f"owner must be a non-empty str, got {owner!r}")
    start = None if cursor is None else decode_cursor(cursor, owner)
    request: dict[str, Any] = {
        "TableName": table_name,
        "IndexName": OWNER_INDEX,
        "KeyConditionExpression": "#owner = :owner",
        "FilterExpression": "#next > #floor AND (attribute_not_exists(#ttl) OR #ttl > :now)",
        "ExpressionAttributeNames": {
            "#owner": OWNER_ATTRIBUTE,
            "#next": "next_seq",
            "#floor": "floor",
            "#ttl": TTL_ATTRIBUTE,
        },
        "ExpressionAttributeValues": {
            ":owner": {"S": owner},
            ":now": {"N": str(int(time.time()))},
        },
        "ScanIndexForward": False,
        # One more than the page: it tells whether another page follows.
        "Limit": count + 1,
    }
    entries: list[Any] = []
    while len(entries) <= count:
        if start is not None:
            request["ExclusiveStartKey"] = start
        try:
            reply = await call(client.query(**request))
        except BackendError as exc:
            if error_code(exc) == "ValidationException" and OWNER_INDEX in str(exc):
                raise ConfigurationError(
                    f"table {table_name!r} has no index {OWNER_INDEX!r}, which owner listing "
                    "needs; create_table_if_not_exists() adds it to an existing table"
                ) from exc
            raise
        entries += reply.get("Items", [])
        start = reply.get("LastEvaluatedKey")
        if start is None:
            break
    sessions = [
        OwnedSession(entry[PARTITION_KEY]["S"], int(entry[ACTIVITY_ATTRIBUTE]["N"]) / 1_000_000)
        for entry in entries[:count]
    ]
    following = None
    if len(entries) > count:
        last = entries[count - 1]
        following = encode_cursor(
            owner, int(last[ACTIVITY_ATTRIBUTE]["N"]), last[PARTITION_KEY]["S"]
        )
    return OwnerPage(sessions, following)
