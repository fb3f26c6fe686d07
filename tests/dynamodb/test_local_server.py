"""DynamoDB Local behaves as the DynamoDB backend needs, through the real aiobotocore client.

These smoke tests pin what the backend's design relies on (conditional transactions with
cancellation reasons, idempotency tokens, the 400 KB item limit) so that a change of server or
client version that breaks it shows here first.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError
from dynamodb_servers import DynamoDBLocal, start_dynamodb_local
from servers import ServerStartError

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

ITEM_LIMIT_BYTES = 400 * 1024


async def _create_table(client: DynamoDBClient) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    await client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture
async def table(dynamodb: DynamoDBClient) -> AsyncIterator[str]:
    """A table of the test's own, keyed like the backend's (pk HASH, sk RANGE), then deleted."""
    name = await _create_table(dynamodb)
    try:
        yield name
    finally:
        await dynamodb.delete_table(TableName=name)


def test_server_reports_its_version_and_a_loopback_endpoint(dynamodb_local: DynamoDBLocal) -> None:
    """The fixture records the version the server printed and hands out a 127.0.0.1 URL."""
    assert dynamodb_local.version[:1].isdigit()
    assert dynamodb_local.endpoint_url == f"http://127.0.0.1:{dynamodb_local.port}"
    assert "-disableTelemetry" in dynamodb_local.argv
    assert dynamodb_local.is_running()


async def test_table_with_hash_and_range_key_on_demand_is_created_and_deleted(
    dynamodb: DynamoDBClient,
) -> None:
    """A HASH+RANGE on-demand table is ACTIVE at once and gone after DeleteTable."""
    name = await _create_table(dynamodb)
    try:
        described = (await dynamodb.describe_table(TableName=name))["Table"]
        assert described["TableStatus"] == "ACTIVE"
        assert described["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    finally:
        await dynamodb.delete_table(TableName=name)
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        await dynamodb.describe_table(TableName=name)
    assert name not in (await dynamodb.list_tables())["TableNames"]


async def test_transaction_with_failed_condition_is_cancelled_with_reasons(
    dynamodb: DynamoDBClient, table: str
) -> None:
    """A failed condition cancels the whole transaction, with one reason per action."""
    await dynamodb.put_item(
        TableName=table, Item={"pk": {"S": "s1"}, "sk": {"S": "m#1"}, "v": {"S": "old"}}
    )
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as caught:
        await dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "s1"}, "sk": {"S": "m#2"}, "v": {"S": "new"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "s1"}, "sk": {"S": "m#1"}, "v": {"S": "new"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = caught.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    # botocore-stubs types this Item as {key, value}; it is the item's attribute map.
    old_item: Mapping[str, object] = reasons[1]["Item"]
    assert old_item["v"] == {"S": "old"}
    # Nothing of the cancelled transaction was written.
    stored = await dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "s1"}},
        ConsistentRead=True,
    )
    assert [(item["sk"]["S"], item["v"]["S"]) for item in stored["Items"]] == [("m#1", "old")]


async def test_client_request_token_replay_does_not_write_twice(
    dynamodb: DynamoDBClient, table: str
) -> None:
    """Replaying a transaction with its token is a no-op; the token with other items is refused."""
    token = uuid.uuid4().hex  # <= 36 characters

    async def bump(sk: str) -> None:
        await dynamodb.transact_write_items(
            ClientRequestToken=token,
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "s1"}, "sk": {"S": "~meta"}},
                        "UpdateExpression": "ADD next_seq :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "s1"}, "sk": {"S": sk}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ],
        )

    await bump("m#1")
    await bump("m#1")  # a retry after a lost answer: accepted, not applied again
    meta = await dynamodb.get_item(
        TableName=table, Key={"pk": {"S": "s1"}, "sk": {"S": "~meta"}}, ConsistentRead=True
    )
    assert meta["Item"]["next_seq"] == {"N": "1"}
    with pytest.raises(ClientError) as caught:
        await bump("m#2")
    assert caught.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


async def test_item_of_exactly_400_kb_is_stored_and_one_byte_more_is_refused(
    dynamodb: DynamoDBClient, table: str
) -> None:
    """The limit counts attribute names and values in UTF-8 bytes, up to 400 KB inclusive."""
    overhead = len("pk") + len("s1") + len("sk") + len("m#1") + len("v")
    fits = "x" * (ITEM_LIMIT_BYTES - overhead)
    await dynamodb.put_item(
        TableName=table, Item={"pk": {"S": "s1"}, "sk": {"S": "m#1"}, "v": {"S": fits}}
    )
    with pytest.raises(ClientError) as caught:
        await dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": "s1"}, "sk": {"S": "m#1"}, "v": {"S": fits + "x"}},
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "Item size has exceeded the maximum allowed size" in error["Message"]
    stored = await dynamodb.get_item(
        TableName=table, Key={"pk": {"S": "s1"}, "sk": {"S": "m#1"}}, ConsistentRead=True
    )
    assert len(stored["Item"]["v"]["S"]) == len(fits)


def test_server_that_cannot_start_fails_with_its_output(tmp_path: Path) -> None:
    """A port already taken makes the start fail at once, quoting what the server printed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = int(holder.getsockname()[1])
        with pytest.raises(ServerStartError, match="exited early") as caught:
            start_dynamodb_local(tmp_path, port=port)
    assert "Address already in use" in str(caught.value)
