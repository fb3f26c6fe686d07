"""Redis backend: :class:`RedisSession`."""

from __future__ import annotations

from ._session import RedisSession

__all__ = ["RedisSession"]
