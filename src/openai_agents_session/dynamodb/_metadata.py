"""A DynamoDB session's metadata: the attributes of its META item that hold it.

Metadata lives on the session's META item, beside the state the write path keeps there
(``next_seq``, ``floor``, ``ttl``, ``items_ttl``, ``created_at``, ``updated_at``, ``lease*``):

====================  ==================================================================
attribute             holds
====================  ==================================================================
``created_us``        the first append or metadata write, integer microseconds
``updated_us``        the last append, integer microseconds (the owner index's sort key)
``owner``             the owner (the owner index's partition key)
``md_title``          the title (S)
``md_tags``           the tags (L of S); absent when there are none
====================  ==================================================================

User fields are top-level attributes under an ``md_`` prefix rather than one map: an
UpdateItem can then set or remove each one alone, without a read first, and none can take
the name of state the write path keeps. Timestamps are microseconds, so two appends within
one second still order an owner's sessions. Clearing a session, popping its last item or
appending to an expired one removes all of ``CLEARED_ATTRIBUTES``: a session that has
ended keeps no metadata, as on Redis.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import Any

from .._store import SessionMetadata
from ..errors import ConfigurationError
from ._schema import (
    ACTIVITY_ATTRIBUTE,
    ITEMS_TTL_ATTRIBUTE,
    META_SK,
    OWNER_ATTRIBUTE,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

__all__ = [
    "CLEARED_ATTRIBUTES",
    "CREATED_ATTRIBUTE",
    "TAGS_ATTRIBUTE",
    "TITLE_ATTRIBUTE",
    "MetadataChange",
    "metadata_change",
    "metadata_from_item",
    "metadata_update",
    "now_us",
    "remove_clause",
    "validate_owner",
]

CREATED_ATTRIBUTE = "created_us"
TITLE_ATTRIBUTE = "md_title"
TAGS_ATTRIBUTE = "md_tags"
# Everything a session that has ended (cleared, popped empty, expired) must not keep.
CLEARED_ATTRIBUTES = (
    CREATED_ATTRIBUTE,
    ACTIVITY_ATTRIBUTE,
    OWNER_ATTRIBUTE,
    TITLE_ATTRIBUTE,
    TAGS_ATTRIBUTE,
)

# A change of user fields: attribute name -> its new value, or None to remove it.
MetadataChange = dict[str, Any]


def now_us() -> int:
    """Return the current Unix time in integer microseconds."""
    return time.time_ns() // 1000


def remove_clause(names: dict[str, str], attributes: Sequence[str] = CLEARED_ATTRIBUTES) -> str:
    """Return ``#md0, #md1, ...`` naming ``attributes``, adding the placeholders to ``names``.

    The caller puts it after ``REMOVE`` (or after a comma, when its update removes more).
    """
    placeholders = []
    for index, attribute in enumerate(attributes):
        placeholder = f"#md{index}"
        names[placeholder] = attribute
        placeholders.append(placeholder)
    return ", ".join(placeholders)


def validate_owner(owner: object) -> str | None:
    """Return ``owner`` if it is a non-empty str or None.

    Raises:
        ConfigurationError: Anything else.
    """
    if owner is not None and (not isinstance(owner, str) or not owner):
        raise ConfigurationError(f"owner must be a non-empty str or None, got {owner!r}")
    return owner


def metadata_change(
    title: str | EllipsisType | None,
    owner: str | EllipsisType | None,
    tags: list[str] | tuple[str, ...] | EllipsisType | None,
) -> MetadataChange:
    """Return the attributes ``set_metadata`` writes; every value is checked before any write.

    Raises:
        ConfigurationError: A value is of the wrong type, or ``owner`` is empty.
    """
    change: MetadataChange = {}
    if title is not ...:
        if title is not None and not isinstance(title, str):
            raise ConfigurationError(f"title must be a str or None, got {title!r}")
        change[TITLE_ATTRIBUTE] = {"S": title} if title else None
    if owner is not ...:
        validated = validate_owner(owner)
        change[OWNER_ATTRIBUTE] = None if validated is None else {"S": validated}
    if tags is not ...:
        if tags is not None and (
            not isinstance(tags, (list, tuple)) or not all(isinstance(tag, str) for tag in tags)
        ):
            raise ConfigurationError(f"tags must be a list of str or None, got {tags!r}")
        change[TAGS_ATTRIBUTE] = {"L": [{"S": tag} for tag in tags]} if tags else None
    return change


def _number(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    if isinstance(value, Mapping) and isinstance(value.get("N"), str):
        return int(value["N"])
    return None


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if isinstance(value, Mapping) and isinstance(value.get("S"), str):
        return str(value["S"])
    return None


def metadata_from_item(item: Mapping[str, Any] | None, now: float) -> SessionMetadata:
    """Return the metadata a META item holds; none for a missing or expired session."""
    if not item:
        return SessionMetadata()
    expires_at = _number(item, TTL_ATTRIBUTE)
    if expires_at is not None and expires_at <= now:
        return SessionMetadata()
    created, updated = _number(item, CREATED_ATTRIBUTE), _number(item, ACTIVITY_ATTRIBUTE)
    raw_tags = item.get(TAGS_ATTRIBUTE)
    tags: tuple[str, ...] = ()
    if isinstance(raw_tags, Mapping) and isinstance(raw_tags.get("L"), list):
        tags = tuple(str(tag.get("S", "")) for tag in raw_tags["L"] if isinstance(tag, Mapping))
    return SessionMetadata(
        created_at=None if created is None else created / 1_000_000,
        updated_at=None if updated is None else updated / 1_000_000,
        title=_text(item, TITLE_ATTRIBUTE),
        owner=_text(item, OWNER_ATTRIBUTE),
        tags=tags,
    )


def metadata_update(
    table_name: str,
    session_id: str,
    item: Mapping[str, Any] | None,
    change: MetadataChange,
    now: int,
    expires_at: int | None,
) -> dict[str, Any]:
    """Return the UpdateItem of META that applies ``change``, conditioned on ``item`` as read.

    A live session keeps its state and expiry: only the user fields change (and
    ``created_us``, if unset). A session that does not exist starts with the metadata, the
    expiry ``expires_at`` (None: none) and its counters at 0. An expired one starts anew the
    same way: its floor moves up to ``next_seq``, so none of its old items comes back, and
    its old metadata goes.
    """
    names: dict[str, str] = {"#pk": PARTITION_KEY, "#created_us": CREATED_ATTRIBUTE}
    values: dict[str, Any] = {":now_us": {"N": str(now_us())}}
    sets: list[str] = []
    removes: list[str] = []
    for index, (attribute, value) in enumerate(change.items()):
        names[f"#f{index}"] = attribute
        if value is None:
            removes.append(f"#f{index}")
        else:
            values[f":f{index}"] = value
            sets.append(f"#f{index} = :f{index}")
    observed_ttl = None if not item else _number(item, TTL_ATTRIBUTE)
    if item and (observed_ttl is None or observed_ttl > now):
        sets.append("#created_us = if_not_exists(#created_us, :now_us)")
        names["#ttl"] = TTL_ATTRIBUTE
        values[":now"] = {"N": str(now)}
        condition = "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"
    else:
        sets.append("#created_us = :now_us")
        names["#ttl"] = TTL_ATTRIBUTE
        if expires_at is not None:
            values[":expires"] = {"N": str(expires_at)}
            sets.append("#ttl = :expires")
        else:
            removes.append("#ttl")
        observed_next = None if not item else _number(item, "next_seq")
        names["#next"], names["#floor"] = "next_seq", "floor"
        if observed_next is None:
            # A META with no items yet still gets its counters: an append then has to match
            # them, sees this META (its expiry included) and starts anew if it expired.
            values[":zero"] = {"N": "0"}
            sets += ["#next = :zero", "#floor = :zero"]
        if not item:
            condition = "attribute_not_exists(#pk)"
        else:
            values[":observed_ttl"] = {"N": str(observed_ttl)}
            condition = "attribute_exists(#pk) AND #ttl = :observed_ttl"
            ended = [name for name in CLEARED_ATTRIBUTES if name not in change]
            ended.remove(CREATED_ATTRIBUTE)
            removes += [f"#e{index}" for index in range(len(ended))]
            names.update({f"#e{index}": name for index, name in enumerate(ended)})
            names["#items_ttl"] = ITEMS_TTL_ATTRIBUTE
            removes.append("#items_ttl")
            if observed_next is None:
                condition += " AND attribute_not_exists(#next)"
            else:
                values[":next"] = {"N": str(observed_next)}
                sets.append("#floor = :next")
                condition += " AND #next = :next"
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    return {
        "TableName": table_name,
        "Key": {PARTITION_KEY: {"S": session_id}, SORT_KEY: {"S": META_SK}},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
