"""What the DynamoDB tests share: an item to store and a direct look at the table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def user(text: str) -> Any:
    return {"role": "user", "content": text}


async def stored(client: DynamoDBClient, table: str, session_id: str) -> dict[str, Any]:
    """Every stored item of the session by sort key, META included."""
    reply = await client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": session_id}},
        ConsistentRead=True,
    )
    return {item["sk"]["S"]: item for item in reply["Items"]}
