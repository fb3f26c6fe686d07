"""Redis backend: sessions, the store over them, and the ACL they need."""

from __future__ import annotations

try:
    import redis
except ImportError as exc:
    from .._optional import missing

    raise missing("redis", "redis") from exc

from .._store import OwnedSession, OwnerPage, SessionInfo, SessionMetadata, SessionRecord
from ._acl import acl_rules
from ._coalesce import CoalescingStats, coalescing_stats
from ._session import RedisSession
from ._store import RedisSessionStore

__all__ = [
    "CoalescingStats",
    "OwnedSession",
    "OwnerPage",
    "RedisSession",
    "RedisSessionStore",
    "SessionInfo",
    "SessionMetadata",
    "SessionRecord",
    "acl_rules",
    "coalescing_stats",
]

del redis  # only imported to check that it is installed
