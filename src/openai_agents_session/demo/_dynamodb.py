"""The demo over DynamoDB: the conversation, then the session's items as the table holds them.

The table is created when missing (on-demand billing, TTL on), so the demo also works against
a fresh DynamoDB Local; credentials come from the standard AWS chain, as for any client.
"""

from __future__ import annotations

import time
from typing import Any

from ..dynamodb import DynamoDBSession, create_table_if_not_exists
from ._conversation import DEMO_TTL_S, Echo, converse


async def run_on_dynamodb(
    session_id: str, url: str, echo: Echo, profile: str | None = None
) -> bool:
    """Hold the conversation in the table ``url`` names; return whether it was remembered."""
    options: dict[str, Any] = {} if profile is None else {"profile": profile}
    async with DynamoDBSession.from_url(
        session_id, url, ttl_seconds=DEMO_TTL_S, **options
    ) as session:
        client = await session._ready()
        created = await create_table_if_not_exists(client, session.table_name)
        state = "created for this demo" if created else "existing"
        echo(f"DynamoDB: table {session.table_name} ({state})")
        remembered = await converse(session, echo)
        reply = await client.query(
            TableName=session.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": session_id}},
            ConsistentRead=True,
        )
        items: list[dict[str, Any]] = reply["Items"]
        echo(f"partition: pk = {session_id}  items: {len(items)}")
        for item in items:
            echo(f"  sk = {item['sk']['S']:<20} {_size(item):>6} bytes")
        expires = next((item for item in items if item["sk"]["S"] == "~meta"), {}).get("ttl")
        if expires is not None:
            remaining = int(expires["N"]) - int(time.time())
            echo(f"ttl: {remaining} s, refreshed by every add_items")
        echo(f"The session stays in table {session.table_name} until its TTL runs out.")
    return remembered


def _size(item: dict[str, Any]) -> int:
    """Return an item's size as DynamoDB counts it for strings and numbers: names plus values."""
    total = 0
    for name, value in item.items():
        ((kind, data),) = value.items()
        total += len(name.encode()) + (len(data) if kind == "B" else len(str(data).encode()))
    return total
