"""The published 0.1.0's DynamoDBSession, loaded from its file, and tables it made.

``make test`` installs the real 0.1.0 wheel into ``.venv/compat/0.1.0``; it has our import
name, so its module is loaded from its file under another name.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from dynamodb_servers import DynamoDBLocal, dynamodb_client

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

COMPAT_DIR = Path(
    os.environ.get("OAS_COMPAT_0_1_0", Path(__file__).parents[1] / ".venv" / "compat" / "0.1.0")
)
_loaded: dict[str, ModuleType] = {}


def load_v010_dynamodb() -> ModuleType:
    """Return 0.1.0's ``openai_agents_session.dynamodb`` module, or fail saying how to get it."""
    if "dynamodb" in _loaded:
        return _loaded["dynamodb"]
    source = COMPAT_DIR / "openai_agents_session" / "dynamodb.py"
    if not source.is_file():
        pytest.fail(
            f"0.1.0 is not installed at {COMPAT_DIR}; run `make test` (or set OAS_COMPAT_0_1_0)"
        )
    spec = importlib.util.spec_from_file_location("openai_agents_session_0_1_0_dynamodb", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _loaded["dynamodb"] = module
    return module


def new_table_name() -> str:
    return f"v010-{uuid.uuid4().hex[:12]}"


async def create_v010_table(client: DynamoDBClient, table: str) -> None:
    """Create the table with 0.1.0's own helper (hash key ``session_id``).

    Without TTL enabled: DynamoDB deletes expired items lazily ("typically within two days"),
    and DynamoDB Local's sweeper is unpredictable, so expired items are kept here, as they
    are for a while in AWS.
    """
    await load_v010_dynamodb().create_table_if_not_exists(client, table, enable_ttl=False)


async def write_v010(
    client: DynamoDBClient,
    table: str,
    sessions: Mapping[str, Sequence[Sequence[dict[str, Any]]]],
    *,
    ttl_seconds: int | None = None,
) -> None:
    """Write each session with 0.1.0's DynamoDBSession, one ``add_items`` per turn."""
    module = load_v010_dynamodb()
    for session_id, turns in sessions.items():
        session = module.DynamoDBSession(
            session_id, dynamodb_client=client, table_name=table, ttl_seconds=ttl_seconds
        )
        for turn in turns:
            await session.add_items(list(turn))


async def clone_v010_item(
    client: DynamoDBClient, table: str, session_id: str, new_ids: Sequence[str]
) -> None:
    """Copy the item 0.1.0 wrote for ``session_id`` under other ids with BatchWriteItem.

    The copies are 0.1.0's own bytes: this only makes many sessions quickly.
    """
    reply = await client.get_item(
        TableName=table, Key={"session_id": {"S": session_id}}, ConsistentRead=True
    )
    original = reply["Item"]
    # At most 25 puts, and a body well under 1 MB (aiohttp warns about bigger ones).
    per_batch = max(1, min(25, 300_000 // len(original["conversation_data"]["S"])))
    for start in range(0, len(new_ids), per_batch):
        requests: Any = [
            {"PutRequest": {"Item": {**original, "session_id": {"S": new_id}}}}
            for new_id in new_ids[start : start + per_batch]
        ]
        pending: Any = {table: requests}
        while pending:
            answer = await client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}


async def delete_table(client: DynamoDBClient, table: str) -> None:
    await client.delete_table(TableName=table)


@asynccontextmanager
async def v010_table(server: DynamoDBLocal) -> AsyncIterator[tuple[DynamoDBClient, str]]:
    """A fresh 0.1.0 table and a client, the table deleted on exit."""
    table = new_table_name()
    async with dynamodb_client(server) as client:
        await create_v010_table(client, table)
        try:
            yield client, table
        finally:
            await delete_table(client, table)


def run(coroutine: Any) -> Any:
    """Run one coroutine in an event loop of its own (the command line tests are synchronous)."""
    return asyncio.run(coroutine)
