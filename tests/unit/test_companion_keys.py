from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from openai_agents_session.redis._keys import companion_key, hash_tag


def slot(key: str) -> int:
    return key_slot(key.encode())


@pytest.mark.parametrize(
    ("list_key", "expected"),
    [
        ("openai_agents_session:user-123", "{openai_agents_session:user-123}:batches"),
        ("p:{team}", "{team}:p:{team}:batches"),
        ("p:{team}:x{y}", "{team}:p:{team}:x{y}:batches"),
        ("p:x{y", "{p:x{y}:batches"),
    ],
)
def test_companion_names(list_key: str, expected: str) -> None:
    """The list key is the tag, or its own tag leads."""
    assert companion_key(list_key, "batches") == expected


@pytest.mark.parametrize("list_key", ["p:a}b", "p:{}x{y}", "p:a{}b}", "p:}"])
def test_keys_without_a_usable_tag_get_a_slot_tag_in_front(list_key: str) -> None:
    """A '}' without a valid tag: a found tag in front, the whole list key after it."""
    companion = companion_key(list_key, "batches")
    assert companion.startswith("{")
    assert companion.endswith(f"}}:{list_key}:batches")
    assert slot(companion) == slot(list_key)


@given(st.text(min_size=1, max_size=30))
def test_companion_always_shares_the_list_keys_slot(session_id: str) -> None:
    """Whatever the session id, the companion hashes to the list key's slot and names it."""
    list_key = f"openai_agents_session:{session_id}"
    companion = companion_key(list_key, "batches")
    assert slot(companion) == slot(list_key)
    assert list_key in companion


def test_hash_tag_follows_redis_rules() -> None:
    """First '{', next '}', non-empty in between; otherwise no tag."""
    assert hash_tag("a{b}c") == "b"
    assert hash_tag("a{}c{d}") is None
    assert hash_tag("{x}{y}") == "x"
    assert hash_tag("a}b{c") is None


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_no_session_id_names_another_sessions_companion(first: str, second: str) -> None:
    """Companions start with '{', list keys with the prefix: they never collide."""
    assert companion_key(f"p:{first}", "batches") != f"p:{second}"
    assert companion_key(f"p:{first}", "meta") != companion_key(f"p:{second}", "batches")
