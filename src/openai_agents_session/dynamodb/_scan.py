"""Enumerate a table's live sessions: a parallel Scan of META items, and glob matching of ids.

A Scan reads every item of the table, messages included, and bills for all of them
(eventually consistent: 0.5 RCU per 4 KB read); its filter only trims what comes back. The
filter keeps META items of live sessions: holding an item (``next_seq > floor``) and not
expired by their ``ttl``, whether or not DynamoDB's sweeper has deleted them yet. The
segments of a parallel Scan split the table between them, so each item is read by exactly
one; they are read in lockstep, one page of each at a time, so memory stays at one page
(1 MB at most) per segment.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._schema import META_SK, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = ["glob_matcher", "live_sessions"]

Call = Callable[[Awaitable[Any]], Awaitable[Any]]


def glob_matcher(pattern: str) -> Callable[[str], bool]:
    """Return a test of session ids against a Redis-style glob, as ``list_sessions`` takes.

    ``*`` matches any text, ``?`` one character, ``[abc]``, ``[a-z]`` and ``[^abc]`` a set,
    and a backslash makes the next character literal, as in Redis's ``SCAN MATCH``.
    """
    if pattern == "*":
        return lambda _: True
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char == "\\" and index < len(pattern):
            parts.append(re.escape(pattern[index]))
            index += 1
        elif char == "[":
            end = pattern.find("]", index + 1 if pattern[index : index + 1] == "^" else index)
            if end < 0:
                parts.append(re.escape(char))
                continue
            body = pattern[index:end]
            index = end + 1
            negate = body.startswith("^")
            body = body[1:] if negate else body
            members = "".join(
                "-" if member == "-" and 0 < position < len(body) - 1 else re.escape(member)
                for position, member in enumerate(body)
            )
            parts.append(f"[{'^' if negate else ''}{members}]")
        else:
            parts.append(re.escape(char))
    compiled = re.compile("".join(parts), re.DOTALL)
    return lambda session_id: compiled.fullmatch(session_id) is not None


async def live_sessions(
    client: DynamoDBClient,
    table_name: str,
    call: Call,
    *,
    segments: int,
    now: int,
    count_only: bool = False,
) -> AsyncIterator[list[Any]]:
    """Yield pages of the META items of live sessions, projected to their ``pk``.

    With ``count_only``, each page is a list of ``None`` as long as the page's count
    (``Select=COUNT``: nothing but the number comes back).
    """
    request: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": (
            "#sk = :meta AND #next > #floor AND (attribute_not_exists(#ttl) OR #ttl > :now)"
        ),
        "ExpressionAttributeNames": {
            "#sk": SORT_KEY,
            "#next": "next_seq",
            "#floor": "floor",
            "#ttl": TTL_ATTRIBUTE,
        },
        "ExpressionAttributeValues": {":meta": {"S": META_SK}, ":now": {"N": str(now)}},
        "TotalSegments": segments,
    }
    if count_only:
        request["Select"] = "COUNT"
    else:
        request["ProjectionExpression"] = "#pk"
        request["ExpressionAttributeNames"]["#pk"] = PARTITION_KEY
    # segment -> where it goes on; a segment leaves once its last page is read.
    positions: dict[int, dict[str, Any] | None] = dict.fromkeys(range(segments))
    while positions:
        pending = list(positions.items())
        pages = await asyncio.gather(
            *(call(client.scan(**_segment(request, segment, start))) for segment, start in pending)
        )
        for (segment, _), page in zip(pending, pages, strict=True):
            following = page.get("LastEvaluatedKey")
            if following is None:
                del positions[segment]
            else:
                positions[segment] = following
            if count_only:
                yield [None] * int(page.get("Count", 0))
            else:
                yield list(page.get("Items", []))


def _segment(request: dict[str, Any], segment: int, start: Any) -> dict[str, Any]:
    """Return the Scan request of one segment, going on from ``start`` (None: its first)."""
    segment_request = {**request, "Segment": segment}
    if start is not None:
        segment_request["ExclusiveStartKey"] = start
    return segment_request
