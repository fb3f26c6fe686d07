"""Redis backend: :class:`RedisSession`, and the ACL its users need."""

from __future__ import annotations

try:
    import redis
except ImportError as exc:
    from .._optional import missing

    raise missing("redis", "redis") from exc

from ._acl import acl_rules
from ._session import RedisSession

__all__ = ["RedisSession", "acl_rules"]

del redis  # only imported to check that it is installed
