"""The floor of the DynamoDB layout: the least a store of one item per message must send.

An append is one ``TransactWriteItems`` of a META update and one Put per item, with no
condition, no TTL and no idempotency token; a read is one Query; orjson both ways. It is not
safe (concurrent writers of one session overwrite each other; the seq is only this object's
count): it only tells how much of a latency is DynamoDB's transaction and how much the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

META_SK = "~meta"
FIRST_SK = "m#"


def _sk(seq: int) -> str:
    return f"m#{seq:016x}"


class TransactionFloorSession:
    """One session of the floor, in a table with the library's key schema (``pk``, ``sk``)."""

    def __init__(self, client: DynamoDBClient, table: str, session_id: str) -> None:
        self._client = client
        self._table = table
        self._session_id = session_id
        self._next: int | None = None

    def _key(self, sk: str) -> dict[str, Any]:
        return {"pk": {"S": self._session_id}, "sk": {"S": sk}}

    def _meta_update(self, next_seq: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(META_SK),
                "UpdateExpression": "SET #next = :next",
                "ExpressionAttributeNames": {"#next": "next_seq"},
                "ExpressionAttributeValues": {":next": {"N": str(next_seq)}},
            }
        }

    async def _next_seq(self) -> int:
        if self._next is None:
            reply = await self._client.get_item(
                TableName=self._table, Key=self._key(META_SK), ConsistentRead=True
            )
            self._next = int(reply.get("Item", {}).get("next_seq", {}).get("N", "0"))
        return self._next

    async def add_items(self, items: list[Any]) -> None:
        base = await self._next_seq()
        actions: list[Any] = [self._meta_update(base + len(items))]
        actions += [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **self._key(_sk(base + index)),
                        "v": {"S": orjson.dumps(item).decode()},
                    },
                }
            }
            for index, item in enumerate(items)
        ]
        await self._client.transact_write_items(TransactItems=actions)
        self._next = base + len(items)

    async def get_items(self, limit: int | None = None) -> list[Any]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :meta",
            "ExpressionAttributeValues": {
                ":pk": {"S": self._session_id},
                ":first": {"S": FIRST_SK},
                ":meta": {"S": META_SK},
            },
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if limit is not None:
            query["Limit"] = limit + 1  # META comes first
        newest_first: list[Any] = []
        while True:
            page = await self._client.query(**query)
            items = page.get("Items", [])
            if "ExclusiveStartKey" not in query and not (items and items[0]["sk"]["S"] == META_SK):
                self._next = 0  # META sorts first, descending: no META, a new session
            for item in items:
                if item["sk"]["S"] == META_SK:
                    self._next = int(item["next_seq"]["N"])
                else:
                    newest_first.append(orjson.loads(item["v"]["S"]))
            if limit is not None or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        newest_first.reverse()
        return newest_first

    async def pop_item(self) -> Any | None:
        seq = await self._next_seq() - 1
        if seq < 0:
            return None
        reply = await self._client.get_item(TableName=self._table, Key=self._key(_sk(seq)))
        actions: list[Any] = [
            self._meta_update(seq),
            {"Delete": {"TableName": self._table, "Key": self._key(_sk(seq))}},
        ]
        await self._client.transact_write_items(TransactItems=actions)
        self._next = seq
        found = reply.get("Item")
        return None if found is None else orjson.loads(found["v"]["S"])
