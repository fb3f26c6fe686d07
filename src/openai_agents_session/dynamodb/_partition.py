"""The stored items of one session beyond the tail: chunks of big messages, key ranges, deletes.

A `Partition` reads and deletes by sort-key range within the session's partition: the chunks
of a big message (one consistent Query, paged: a 1 MB page holds two or three), the keys
below a seq (for clear, replace and the ttl renewal pass) and their deletion in 25-key
BatchWriteItems. Every call goes through the session's error-mapping ``call``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BackendError
from ._chunks import chunk_count, chunk_range, chunk_sk, join, tag_of
from ._schema import (
    CHUNKS_ATTRIBUTE,
    OUTPUT_ATTRIBUTE,
    PARTITION_KEY,
    PAYLOAD_ATTRIBUTE,
    SORT_KEY,
    message_sk,
    payload_of,
    seq_of,
)

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = ["Partition", "TornReadError", "part"]

# BatchWriteItem takes at most 25 requests; unprocessed ones are retried this often.
_BATCH_WRITE_SIZE = 25
_BATCH_WRITE_ATTEMPTS = 8


def part(item: Mapping[str, Any]) -> bytes:
    """Return the binary part a big message's head or chunk holds."""
    value = item.get(PAYLOAD_ATTRIBUTE, {}).get("B")
    return value if isinstance(value, bytes) else b""


class TornReadError(Exception):
    """A big message's chunks changed between reading its head and reading them."""


class Partition:
    """Range reads and deletes within one session's partition."""

    def __init__(
        self, table: str, session_id: str, call: Callable[[Awaitable[Any]], Awaitable[Any]]
    ) -> None:
        """Address ``session_id`` in ``table``; ``call`` awaits a driver call, mapping errors."""
        self.table = table
        self.session_id = session_id
        self.call = call

    async def whole_payloads(
        self, client: DynamoDBClient, heads: Sequence[Mapping[str, Any]], *, strict: bool
    ) -> list[bytes | str]:
        """Return the payload of each message, reading the chunks of the big ones.

        Raises:
            TornReadError: With ``strict``, a big message's chunks were replaced or deleted
                since its head was read; without, such a message reads as undecodable.
        """
        raws: list[bytes | str] = []
        for head in heads:
            count = chunk_count(head)
            if not count:
                raws.append(payload_of(head))
                continue
            seq = seq_of(head[SORT_KEY]["S"])
            chunks = await self.read_chunks(client, seq, count)
            tag = tag_of(head)
            if len(chunks) != count or any(tag_of(chunk) != tag for chunk in chunks):
                if strict:
                    raise TornReadError(seq)
                raws.append(f"<message {seq} lost {count - len(chunks)} of its {count} chunks>")
                continue
            raws.append(join(part(head), [part(chunk) for chunk in chunks]))
        return raws

    async def read_chunks(
        self, client: DynamoDBClient, seq: int, count: int
    ) -> list[Mapping[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": self.session_id},
                ":first": {"S": chunk_sk(seq, 0)},
                ":last": {"S": chunk_sk(seq, count - 1)},
            },
            "ConsistentRead": True,
        }
        chunks: list[Mapping[str, Any]] = []
        while True:  # a 1 MB page holds about two chunks: a big message takes several
            page = await self.call(client.query(**query))
            chunks += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return chunks
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def heads_between(
        self, client: DynamoDBClient, start: int, end: int
    ) -> list[tuple[int, bool, int]]:
        """Return ``(seq, is tool output, chunk count)`` of the messages at ``[start, end)``.

        One consistent Query (paged), oldest first, projecting only the keys and marks
        (billed by the items' whole size all the same).
        """
        if end <= start:
            return []
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
            "ExpressionAttributeNames": {
                "#pk": PARTITION_KEY,
                "#sk": SORT_KEY,
                "#o": OUTPUT_ATTRIBUTE,
                "#n": CHUNKS_ATTRIBUTE,
            },
            "ExpressionAttributeValues": {
                ":pk": {"S": self.session_id},
                ":first": {"S": message_sk(start)},
                ":last": {"S": message_sk(end - 1)},
            },
            "ProjectionExpression": "#sk, #o, #n",
            "ConsistentRead": True,
        }
        heads: list[tuple[int, bool, int]] = []
        while True:
            page = await self.call(client.query(**query))
            for item in page.get("Items", []):
                output = bool(item.get(OUTPUT_ATTRIBUTE, {}).get("BOOL"))
                heads.append((seq_of(item[SORT_KEY]["S"]), output, chunk_count(item)))
            if "LastEvaluatedKey" not in page:
                return heads
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def delete_below(self, client: DynamoDBClient, end: int) -> None:
        """Delete the messages below seq ``end``, then their chunks."""
        await self.delete_range(client, message_sk(0), message_sk(end - 1))
        await self.delete_chunks(client, 0, end)

    async def delete_chunks(self, client: DynamoDBClient, start: int, end: int) -> None:
        """Delete the chunks of the messages at seqs ``[start, end)``."""
        await self.delete_range(client, *chunk_range(start, end - 1))

    async def _key_pages(
        self, client: DynamoDBClient, first: str, last: str
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield the keys of the items with sort keys in ``[first, last]``, a page at a time."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": self.session_id},
                ":first": {"S": first},
                ":last": {"S": last},
            },
            "ProjectionExpression": "#pk, #sk",
            "ConsistentRead": True,
        }
        while True:
            page = await self.call(client.query(**query))
            yield [
                {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]}
                for item in page.get("Items", [])
            ]
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def sort_keys_between(self, client: DynamoDBClient, first: str, last: str) -> list[str]:
        """Return the sort keys in ``[first, last]``, in order."""
        return [
            item_key[SORT_KEY]["S"]
            async for page in self._key_pages(client, first, last)
            for item_key in page
        ]

    async def delete_range(self, client: DynamoDBClient, first: str, last: str) -> None:
        """Delete the items with sort keys in ``[first, last]``, 25 per BatchWriteItem."""
        async for keys in self._key_pages(client, first, last):
            for start in range(0, len(keys), _BATCH_WRITE_SIZE):
                await self.batch_delete(client, keys[start : start + _BATCH_WRITE_SIZE])

    async def batch_delete(self, client: DynamoDBClient, keys: list[dict[str, Any]]) -> None:
        requests: dict[str, Any] = {
            self.table: [{"DeleteRequest": {"Key": item_key}} for item_key in keys]
        }
        for attempt in range(_BATCH_WRITE_ATTEMPTS):
            reply = await self.call(client.batch_write_item(RequestItems=requests))
            requests = dict(reply.get("UnprocessedItems") or {})
            if not requests:
                return
            await asyncio.sleep(random.uniform(0, 0.08 * 2**attempt))  # jitter
        raise BackendError(
            f"clearing session {self.session_id!r}: DynamoDB left "
            f"{len(requests.get(self.table, []))} deletions unprocessed after "
            f"{_BATCH_WRITE_ATTEMPTS} attempts; the session reads as empty, call "
            "clear_session() again to delete them"
        )
