"""The META updates of the write path, built as plain request dicts: pure functions.

Every write of a session is conditioned on the META it expects (``expectation``) and on no
other writer's live lease (``no_live_lease``), and removes a lapsed lease as it goes; a staged
batch's commit is conditioned on its own lease instead. ``NAMES`` maps the placeholders the
expressions use onto META's attribute names.
"""

from __future__ import annotations

import re
from typing import Any

from ._metadata import (
    CREATED_ATTRIBUTE,
    TAGS_ATTRIBUTE,
    TITLE_ATTRIBUTE,
    now_us,
    remove_clause,
)
from ._schema import (
    ACTIVITY_ATTRIBUTE,
    ITEMS_TTL_ATTRIBUTE,
    LEASE_ATTRIBUTE,
    LEASE_UNTIL_ATTRIBUTE,
    META_SK,
    OWNER_ATTRIBUTE,
    TTL_ATTRIBUTE,
    Meta,
    key,
)
from ._staging import lease_deadline

__all__ = ["NAMES", "expectation", "lease_update", "meta_update", "no_live_lease", "pop_update"]

NAMES = {
    "#next": "next_seq",
    "#floor": "floor",
    "#ttl": TTL_ATTRIBUTE,
    "#updated": "updated_at",
    "#created": "created_at",
    "#items_ttl": ITEMS_TTL_ATTRIBUTE,
    "#lease": LEASE_ATTRIBUTE,
    "#lease_until": LEASE_UNTIL_ATTRIBUTE,
}


def meta_update(
    table: str,
    session_id: str,
    expected: Meta,
    now: int,
    next_seq: int,
    floor: int,
    expires_at: int | None,
    items_expire_at: int | None,
    *,
    owner: str | None,
    lease: str | None,
    abandoned_lease: str | None,
) -> dict[str, Any]:
    """Return the META update of an append; ``lease`` is the one a staged batch holds.

    ``abandoned_lease`` is one the writing object left behind, which it may take over.
    """
    values: dict[str, Any] = {
        ":next": {"N": str(next_seq)},
        ":floor": {"N": str(floor)},
        ":now": {"N": str(now)},
    }
    sets = ["#next = :next", "#floor = :floor", "#updated = :now"]
    sets.append("#created = if_not_exists(#created, :now)")
    # Every write removes a lease: its own once committed, or one that lapsed.
    removes = ["#lease", "#lease_until"]
    names = dict(NAMES)
    if owner is not None:
        names["#owner"] = OWNER_ATTRIBUTE
        values[":owner"] = {"S": owner}
        sets.append("#owner = :owner")
    # Metadata timestamps, in microseconds; updated_us is the owner index's sort key.
    names["#updated_us"], names["#created_us"] = ACTIVITY_ATTRIBUTE, CREATED_ATTRIBUTE
    values[":now_us"] = {"N": str(now_us())}
    sets.append("#updated_us = :now_us")
    restarted = expected.exists and expected.expired(now)
    if restarted:
        sets.append("#created_us = :now_us")
    else:
        sets.append("#created_us = if_not_exists(#created_us, :now_us)")
    if expires_at is not None:
        values[":expires"] = {"N": str(expires_at)}
        sets.insert(0, "#ttl = :expires")
    else:
        removes.append("#ttl")
    if items_expire_at is not None:
        values[":items_ttl"] = {"N": str(items_expire_at)}
        sets.insert(0, "#items_ttl = :items_ttl")
    else:
        removes.append("#items_ttl")
    expression = "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes)
    if restarted:
        # An expired session starts anew: its old metadata ended with it.
        ended = [TITLE_ATTRIBUTE, TAGS_ATTRIBUTE]
        if owner is None:
            ended.append(OWNER_ATTRIBUTE)
        expression += ", " + remove_clause(names, ended)
    condition = expectation(expected, now, values)
    if lease is not None:
        values[":lease"] = {"S": lease}
        condition += " AND #lease = :lease"
    else:
        condition += no_live_lease(values, abandoned_lease)
    return {
        "TableName": table,
        "Key": key(session_id, META_SK),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def no_live_lease(values: dict[str, Any], abandoned_lease: str | None) -> str:
    """Return the condition that no other writer holds a live lease (``:now`` is set)."""
    condition = " AND (attribute_not_exists(#lease) OR #lease_until <= :now"
    if abandoned_lease is not None:
        values[":abandoned"] = {"S": abandoned_lease}
        condition += " OR #lease = :abandoned"
    return condition + ")"


def expectation(expected: Meta, now: int, values: dict[str, Any]) -> str:
    """Return the condition that META is as ``expected`` (``:now`` is set)."""
    if not expected.exists:
        return "attribute_not_exists(#next)"
    values[":expected"] = {"N": str(expected.next_seq)}
    values[":expected_floor"] = {"N": str(expected.floor)}
    condition = "#next = :expected AND #floor = :expected_floor AND "
    # The earliest message ttl is min()-ed here: a renewal pass must not be undone.
    if expected.items_expire_at is None:
        condition += "attribute_not_exists(#items_ttl) AND "
    else:
        values[":expected_items_ttl"] = {"N": str(expected.items_expire_at)}
        condition += "#items_ttl = :expected_items_ttl AND "
    if expected.expired(now):
        return condition + "#ttl <= :now"
    return condition + "(attribute_not_exists(#ttl) OR #ttl > :now)"


def pop_update(
    table: str, session_id: str, meta: Meta, now: int, abandoned_lease: str | None
) -> dict[str, Any]:
    """Return the META update of a pop of the item at ``next_seq - 1``."""
    values: dict[str, Any] = {
        ":next": {"N": str(meta.next_seq - 1)},
        ":expected": {"N": str(meta.next_seq)},
        ":floor": {"N": str(meta.floor)},
        ":now": {"N": str(now)},
    }
    condition = (
        "#next = :expected AND #floor = :floor AND (attribute_not_exists(#ttl) OR #ttl > :now)"
    ) + no_live_lease(values, abandoned_lease)
    names = {
        name: NAMES[name]
        for name in ("#next", "#floor", "#ttl", "#updated", "#lease", "#lease_until")
    }
    expression = "SET #next = :next, #updated = :now REMOVE #lease, #lease_until"
    if meta.next_seq - 1 <= meta.floor:
        # The last item: the session ends, and its metadata with it.
        expression += ", " + remove_clause(names)
    return {
        "TableName": table,
        "Key": key(session_id, META_SK),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def lease_update(
    table: str,
    session_id: str,
    expected: Meta,
    now: int,
    expires_at: int | None,
    *,
    lease: str,
    my_lease_token: str,
    abandoned_lease: str | None,
) -> dict[str, Any]:
    """Return the META update that takes ``lease`` for a staged batch.

    It holds on the META ``expected`` with no live lease but one of the same batch
    (``my_lease_token``) or ``abandoned_lease``; a new session's META starts empty.
    """
    names = dict(NAMES)
    values: dict[str, Any] = {
        ":lease": {"S": lease},
        ":until": {"N": str(lease_deadline(now))},
        ":now": {"N": str(now)},
        ":mine": {"S": f"{my_lease_token}:"},
    }
    sets = ["#lease = :lease", "#lease_until = :until", "#updated = :now"]
    if not expected.exists:
        # A new session: META starts empty, with the expiry the batch will give it.
        sets += ["#next = :zero", "#floor = :zero", "#created = :now"]
        values[":zero"] = {"N": "0"}
        if expires_at is not None:
            sets.append("#ttl = :expires")
            values[":expires"] = {"N": str(expires_at)}
    condition = expectation(expected, now, values)
    condition += " AND (attribute_not_exists(#lease) OR #lease_until <= :now"
    condition += " OR begins_with(#lease, :mine)"
    if abandoned_lease is not None:
        values[":abandoned"] = {"S": abandoned_lease}
        condition += " OR #lease = :abandoned"
    condition += ")"
    used = " ".join([*sets, condition])
    update: dict[str, Any] = {
        "TableName": table,
        "Key": key(session_id, META_SK),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {
            name: value for name, value in names.items() if re.search(rf"{name}\b", used)
        },
        "ExpressionAttributeValues": values,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    return update
