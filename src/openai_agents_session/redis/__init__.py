"""Redis backend: :class:`RedisSession`, and the ACL its users need."""

from __future__ import annotations

from ._acl import acl_rules
from ._session import RedisSession

__all__ = ["RedisSession", "acl_rules"]
