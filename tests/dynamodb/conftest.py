"""A table per test module, with the backend's layout, deleted after the module."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from dynamodb_servers import DynamoDBLocal, sessions_table

from openai_agents_session.dynamodb import DynamoDBSession

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


@pytest.fixture(scope="module")
def table(dynamodb_local: DynamoDBLocal) -> Iterator[str]:
    """A sessions table of this module's own; tests use session ids of their own in it."""
    with sessions_table(dynamodb_local, "test") as name:
        yield name


@pytest.fixture
def session_id() -> str:
    return f"s-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def new_session(
    dynamodb: DynamoDBClient, table: str, session_id: str
) -> Callable[..., DynamoDBSession]:
    """Build sessions over the test's client and the module's table."""

    def build(sid: str | None = None, **options: Any) -> DynamoDBSession:
        return DynamoDBSession(sid or session_id, dynamodb, table, **options)

    return build
