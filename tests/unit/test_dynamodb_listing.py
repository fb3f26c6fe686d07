"""Pure parts of DynamoDB listing: glob matching of ids, owner cursors, item sizes."""

from __future__ import annotations

import pytest

from openai_agents_session.dynamodb._owners import decode_cursor, encode_cursor
from openai_agents_session.dynamodb._scan import glob_matcher
from openai_agents_session.dynamodb._store import item_size
from openai_agents_session.errors import ConfigurationError


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("*", ["", "a", "line\nbreak"], []),
        ("s0?", ["s01", "s0x"], ["s0", "s012"]),
        ("s[12]*", ["s1", "s2-x"], ["s3", "x1"]),
        ("[a-c]x", ["ax", "bx", "cx"], ["dx", "-x"]),
        ("[^a]x", ["bx"], ["ax"]),
        ("a\\*b", ["a*b"], ["axb"]),
        ("a.b", ["a.b"], ["axb"]),
        ("x[-]", ["x-"], ["xa"]),
        ("[ab", ["[ab"], ["a"]),
    ],
)
def test_glob_matcher_follows_redis_globs(
    pattern: str, matching: list[str], not_matching: list[str]
) -> None:
    """*, ?, sets, ranges, negation and escapes match as Redis's SCAN MATCH does."""
    matches = glob_matcher(pattern)
    assert all(matches(session_id) for session_id in matching)
    assert not any(matches(session_id) for session_id in not_matching)


def test_owner_cursor_round_trips_and_refuses_anything_else() -> None:
    """A cursor decodes to its start key for its owner only; forged ones are refused."""
    cursor = encode_cursor("ada", 1_700_000_000_123_456, "chat/ü")
    start = decode_cursor(cursor, "ada")
    assert start["pk"] == {"S": "chat/ü"} and start["updated_us"] == {"N": "1700000000123456"}
    for forged in ("", "-1", "o1.", "o1.!!!", encode_cursor("ada", 1, "")):
        with pytest.raises(ConfigurationError, match="cursor"):
            decode_cursor(forged, "ada")
    with pytest.raises(ConfigurationError, match="cursor"):
        decode_cursor(cursor, "bob")


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    """Strings by UTF-8 bytes, numbers by significant digits, lists with their overhead."""
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"s": {"S": "é"}}) == 1 + 2
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"n": {"N": "100"}}) == 1 + 2
    assert item_size({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
