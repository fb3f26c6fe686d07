"""Readers of the Agents SDK's own stores, so ``migrate`` can copy their sessions into ours.

One module per layout, each read-only and streamed one session at a time: the SDK's
``SQLiteSession`` file (``_sqlite``), its ``RedisSession`` keys (``_sdk_redis``, which needs
the ``redis`` extra) and the table of this library's 0.1.0 ``DynamoDBSession``
(``_dynamodb_0_1_0``, which needs the ``dynamodb`` extra and deletes only when asked). The
modules needing an extra are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._optional import lazy_exports
from ._common import SourceSession
from ._dynamodb_0_1_0_url import (
    V010_DYNAMODB_SCHEME,
    V010_URL_OPTIONS,
    build_v010_dynamodb_url,
    parse_v010_dynamodb_url,
)
from ._sqlite import (
    SDK_MESSAGES_TABLE,
    SDK_SESSIONS_TABLE,
    count_sqlite_sessions,
    iter_sqlite_sessions,
)

if TYPE_CHECKING:
    from ._dynamodb_0_1_0 import (
        V010DynamoDBReader,
        V010ScanCounts,
        V010Session,
        count_v010_dynamodb_sessions,
        iter_v010_dynamodb_sessions,
        open_v010_dynamodb,
    )
    from ._sdk_redis import (
        SDK_REDIS_KEY_PREFIX,
        SdkRedisReader,
        count_sdk_redis_sessions,
        iter_sdk_redis_sessions,
        open_sdk_redis,
    )

__all__ = [
    "SDK_MESSAGES_TABLE",
    "SDK_REDIS_KEY_PREFIX",
    "SDK_SESSIONS_TABLE",
    "V010_DYNAMODB_SCHEME",
    "V010_URL_OPTIONS",
    "SdkRedisReader",
    "SourceSession",
    "V010DynamoDBReader",
    "V010ScanCounts",
    "V010Session",
    "build_v010_dynamodb_url",
    "count_sdk_redis_sessions",
    "count_sqlite_sessions",
    "count_v010_dynamodb_sessions",
    "iter_sdk_redis_sessions",
    "iter_sqlite_sessions",
    "iter_v010_dynamodb_sessions",
    "open_sdk_redis",
    "open_v010_dynamodb",
    "parse_v010_dynamodb_url",
]

_LAZY_EXPORTS = {
    "SDK_REDIS_KEY_PREFIX": "._sdk_redis",
    "count_sdk_redis_sessions": "._sdk_redis",
    "iter_sdk_redis_sessions": "._sdk_redis",
    "open_sdk_redis": "._sdk_redis",
    "SdkRedisReader": "._sdk_redis",
    **dict.fromkeys(
        (
            "V010DynamoDBReader",
            "V010ScanCounts",
            "V010Session",
            "count_v010_dynamodb_sessions",
            "iter_v010_dynamodb_sessions",
            "open_v010_dynamodb",
        ),
        "._dynamodb_0_1_0",
    ),
}


__getattr__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)
