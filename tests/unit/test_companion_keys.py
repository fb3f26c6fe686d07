from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from openai_agents_session.errors import ConfigurationError
from openai_agents_session.redis._keys import (
    hash_tag,
    is_companion,
    meta_key,
    owner_index_key,
    session_key,
    slot_tag,
    staging_key,
    validate_prefix,
)

session_ids = st.text(min_size=1, max_size=30).filter(lambda text: not text.startswith("~"))
prefixes = st.sampled_from(["p", "openai_agents_session", "{app}:s", "a}b", "x{y}z:"])


def slot(key: str) -> int:
    return key_slot(key.encode())


@pytest.mark.parametrize(
    ("session_id", "expected"),
    [
        ("user-123", "openai_agents_session:~m{3398}user-123"),
        ("{team}:chat", "openai_agents_session:~m{team}{team}:chat"),
        ("a}b", None),
    ],
)
def test_companion_names(session_id: str, expected: str | None) -> None:
    """The list key's own tag, or a number in its slot, then the id verbatim."""
    name = meta_key("openai_agents_session", session_id)
    if expected is not None:
        assert name == expected
    assert name.startswith("openai_agents_session:~m{")
    assert name.endswith("}" + session_id)


@given(prefixes, session_ids)
def test_companions_share_the_list_keys_slot_and_start_with_the_prefix(
    prefix: str, session_id: str
) -> None:
    """Whatever the id, every companion is under `prefix:` and in the list key's slot."""
    list_key = session_key(prefix, session_id)
    for companion in (meta_key(prefix, session_id), staging_key(prefix, session_id)):
        assert companion.startswith(prefix + ":")
        assert slot(companion) == slot(list_key)
        assert is_companion(prefix, companion)
    assert not is_companion(prefix, list_key)


@given(session_ids, session_ids)
def test_no_session_id_names_another_sessions_companion(first: str, second: str) -> None:
    """Companions start with `prefix:~`, which no session id may: they never collide."""
    companions = {meta_key("p", first), staging_key("p", first), owner_index_key("p", first)}
    assert session_key("p", second) not in companions
    if first != second:
        assert meta_key("p", first) != meta_key("p", second)
        assert staging_key("p", first) != staging_key("p", second)


def test_slot_tag_is_a_number_in_the_keys_slot_when_it_has_no_tag() -> None:
    """Numbers are found once for all 16384 slots; keys with a tag keep theirs."""
    assert slot_tag("p:{x}y") == "x"
    for key in ("p:a}b", "p:{}x", "p:user-1", "p:é"):
        tag = slot_tag(key)
        assert tag.isdigit() and slot(tag) == slot(key)


def test_hash_tag_follows_redis_rules() -> None:
    """First '{', next '}', non-empty in between; otherwise no tag."""
    assert hash_tag("a{b}c") == "b"
    assert hash_tag("a{}c{d}") is None
    assert hash_tag("{x}{y}") == "x"
    assert hash_tag("a}b{c") is None


@pytest.mark.parametrize("prefix", ["a{", "a{}b", "x{:y", "{"])
def test_prefixes_with_a_stray_brace_are_refused(prefix: str) -> None:
    """A '{' that opens no complete tag would let the id pick the slot: refused."""
    with pytest.raises(ConfigurationError, match="hash tag"):
        validate_prefix(prefix)
