"""DynamoDB backend: sessions in one table, one item per message and a META item per session.

`DynamoDBSession` is one conversation; `DynamoDBSessionStore` lists, inspects, copies, exports
and imports the sessions of a table.
"""

from __future__ import annotations

try:
    import aiobotocore
except ImportError as exc:
    from .._optional import missing

    raise missing("aiobotocore", "dynamodb") from exc

from ._schema import check_table, create_table_if_not_exists
from ._session import DynamoDBSession
from ._store import DynamoDBSessionStore

__all__ = ["DynamoDBSession", "DynamoDBSessionStore", "check_table", "create_table_if_not_exists"]

del aiobotocore  # only imported to check that it is installed
