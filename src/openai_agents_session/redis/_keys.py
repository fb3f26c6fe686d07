"""Every Redis key the library writes, declared in one place.

The list key is exactly ``"{key_prefix}:{session_id}"``: that is the documented format and
what 0.1.0 wrote, so it never changes. A companion key (the batch ids that make appends
exactly-once) must live in the list key's cluster slot, so that one script can touch both:
:func:`companion_key` builds its name.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from redis.crc import key_slot

from ..errors import ConfigurationError

__all__ = [
    "BATCHES_SUFFIX",
    "DEFAULT_KEY_PREFIX",
    "META_SUFFIX",
    "companion_key",
    "hash_tag",
    "owner_index_key",
    "session_key",
    "validate_prefix",
    "validate_session_id",
]

DEFAULT_KEY_PREFIX = "openai_agents_session"
BATCHES_SUFFIX = "batches"
META_SUFFIX = "meta"


def validate_session_id(session_id: object) -> str:
    """Return ``session_id`` if it can name a session.

    Any non-empty string is accepted, including colons, braces, glob characters and newlines:
    the key is built by concatenation, so it always starts with the prefix.

    Raises:
        ConfigurationError: The id is not a string or is empty.
    """
    if not isinstance(session_id, str):
        raise ConfigurationError(f"session_id must be a str, got {type(session_id).__name__}")
    if not session_id:
        raise ConfigurationError("session_id must not be empty")
    return session_id


def validate_prefix(key_prefix: object) -> str:
    """Return ``key_prefix`` if it is a non-empty string that does not start with ``{``.

    Raises:
        ConfigurationError: The prefix is not a string, is empty, or starts with ``{``.
    """
    if not isinstance(key_prefix, str) or not key_prefix:
        raise ConfigurationError(f"key_prefix must be a non-empty str, got {key_prefix!r}")
    if key_prefix.startswith("{"):
        raise ConfigurationError(
            f"key_prefix must not start with '{{', got {key_prefix!r}; companion keys do"
        )
    return key_prefix


def session_key(key_prefix: str, session_id: str) -> str:
    """Return the list key of a session: ``"{key_prefix}:{session_id}"``."""
    return f"{key_prefix}:{session_id}"


def hash_tag(key: str) -> str | None:
    """Return the part of ``key`` Redis Cluster hashes instead of the whole key, if any.

    That is the text between the first ``{`` and the next ``}``, when it is not empty.
    """
    start = key.find("{")
    if start == -1:
        return None
    end = key.find("}", start + 1)
    if end == -1 or end == start + 1:
        return None
    return key[start + 1 : end]


def companion_key(list_key: str, suffix: str) -> str:
    """Return the name of a companion key that shares ``list_key``'s cluster slot.

    Companions always start with ``{``, which no prefix may start with, so no session id can
    ever name one.

    - ``prefix:user-1`` has no hash tag: the list key itself becomes the tag,
      ``{prefix:user-1}:batches``.
    - ``prefix:{team}`` has its own tag, which leads: ``{team}:prefix:{team}:batches``.
    - A key with a ``}`` but no valid tag cannot be wrapped in braces; a short tag that hashes
      to the same slot leads instead (found once per slot): ``{28128}:prefix:a}b:batches``.

    The last two need ``~{*`` in a least-privilege ACL.
    """
    tag = hash_tag(list_key)
    if tag is None and "}" not in list_key:
        return f"{{{list_key}}}:{suffix}"
    if tag is None:
        tag = _tag_for_slot(key_slot(list_key.encode()))
    return f"{{{tag}}}:{list_key}:{suffix}"


def owner_index_key(key_prefix: str, owner: str) -> str:
    """Return the sorted set listing one owner's sessions (in a slot of its own)."""
    return f"{{{key_prefix}:owner:{owner}}}:index"


@lru_cache(maxsize=256)
def _tag_for_slot(slot: int) -> str:
    """Return the smallest decimal number whose hash lands in ``slot``."""
    for number in itertools.count():
        if key_slot(str(number).encode()) == slot:
            return str(number)
    raise AssertionError("unreachable: itertools.count() is endless")  # pragma: no cover
