"""Every Redis key the library writes, declared in one place.

Every key starts with ``key_prefix + ":"``, so one ACL rule (``~prefix:*``) and one
``SCAN MATCH prefix:*`` cover all of them:

============================  ====================  =========================================
key                           type                  holds
============================  ====================  =========================================
``prefix:ID``                 list                  the items, oldest first (the spec; 0.1.0)
``prefix:~m{TAG}ID``          hash                  metadata and recent batch ids
``prefix:~s{TAG}ID``          list                  an import being staged (expires in 1 h)
``prefix:~o:OWNER``           sorted set            the owner's sessions by ``updated_at``
============================  ====================  =========================================

``prefix:~`` is reserved: a session id may not start with ``~``, so no session's list key can
take a companion's name. ``TAG`` makes a companion hash to its list key's cluster slot: the
list key's own hash tag when it has one, otherwise the smallest decimal number that hashes to
the same slot. It ends at the first ``}``, which neither form contains, so ``ID`` follows it
verbatim and names the session unambiguously.
"""

from __future__ import annotations

from functools import cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from .._store import DEFAULT_KEY_PREFIX
from .._validation import RESERVED_LEAD, validate_session_id
from ..errors import ConfigurationError

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "RESERVED_LEAD",
    "hash_tag",
    "is_companion",
    "meta_key",
    "owner_index_key",
    "session_key",
    "slot_tag",
    "staging_key",
    "validate_prefix",
    "validate_session_id",
]


def validate_prefix(key_prefix: object) -> str:
    """Return ``key_prefix`` if every key built on it can share its session's cluster slot.

    A prefix may hold a hash tag (``{app}:sessions``: all sessions in one slot), but a ``{``
    that does not open a complete, non-empty tag would let the session id decide where the tag
    ends, and companions could land in another slot.

    Raises:
        ConfigurationError: The prefix is not a non-empty string, or has a stray ``{``.
    """
    if not isinstance(key_prefix, str) or not key_prefix:
        raise ConfigurationError(f"key_prefix must be a non-empty str, got {key_prefix!r}")
    if "{" in key_prefix and hash_tag(key_prefix) is None:
        raise ConfigurationError(
            f"key_prefix {key_prefix!r} has a '{{' that opens no complete hash tag; "
            "use a whole tag such as '{app}:sessions', or no braces"
        )
    return key_prefix


def session_key(key_prefix: str, session_id: str) -> str:
    """Return the list key of a session: ``"{key_prefix}:{session_id}"``."""
    return f"{key_prefix}:{session_id}"


def meta_key(key_prefix: str, session_id: str) -> str:
    """Return the hash holding a session's metadata and recent batch ids."""
    return _companion(key_prefix, session_id, "m")


def staging_key(key_prefix: str, session_id: str, token: str = "") -> str:
    """Return the list an import stages a session in before publishing it.

    ``token`` (hex digits) makes it the import's own: two imports of one session at once
    must not stage into one list, or the one published first holds both copies.
    """
    return _companion(key_prefix, session_id, f"s{token}")


def owner_index_key(key_prefix: str, owner: str) -> str:
    """Return the sorted set listing one owner's sessions (in a slot of its own)."""
    return f"{key_prefix}:{RESERVED_LEAD}o:{owner}"


def is_companion(key_prefix: str, key: str) -> bool:
    """Return whether ``key`` is one of the library's own keys rather than a session's list."""
    return key.startswith(f"{key_prefix}:{RESERVED_LEAD}")


def _companion(key_prefix: str, session_id: str, kind: str) -> str:
    tag = slot_tag(session_key(key_prefix, session_id))
    return f"{key_prefix}:{RESERVED_LEAD}{kind}{{{tag}}}{session_id}"


def slot_tag(key: str) -> str:
    """Return a hash tag that puts a key in ``key``'s cluster slot.

    That is ``key``'s own tag when it has one, otherwise the smallest decimal number whose
    hash lands in the same slot. Neither contains ``}``.
    """
    tag = hash_tag(key)
    if tag is not None:
        return tag
    return str(_numbers_by_slot()[key_slot(key.encode())])


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


@cache
def _numbers_by_slot() -> tuple[int, ...]:
    """Return, for each slot, the smallest decimal number that hashes to it (built once)."""
    found: dict[int, int] = {}
    number = 0
    while len(found) < REDIS_CLUSTER_HASH_SLOTS:
        found.setdefault(key_slot(str(number).encode()), number)
        number += 1
    return tuple(found[slot] for slot in range(REDIS_CLUSTER_HASH_SLOTS))
