from __future__ import annotations

import pytest

from openai_agents_session.errors import ConfigurationError
from openai_agents_session.redis._keys import (
    DEFAULT_KEY_PREFIX,
    session_key,
    validate_prefix,
    validate_session_id,
)


def test_session_key_is_prefix_colon_id() -> None:
    """The list key is exactly "{key_prefix}:{session_id}", as the spec and 0.1.0 have it."""
    assert session_key(DEFAULT_KEY_PREFIX, "user-123") == "openai_agents_session:user-123"
    assert session_key("myapp:sessions", "user-123") == "myapp:sessions:user-123"


@pytest.mark.parametrize("session_id", ["a*b?[c]", "x:y:z", "{tag}", "line\nbreak", "é" * 2000])
def test_unusual_session_ids_stay_inside_the_prefix(session_id: str) -> None:
    """Glob characters, colons, braces, newlines and long ids are accepted verbatim."""
    assert validate_session_id(session_id) == session_id
    assert session_key("p", session_id).startswith("p:")


@pytest.mark.parametrize("session_id", ["", None, 123, b"bytes"])
def test_invalid_session_ids_raise_configuration_error(session_id: object) -> None:
    """An empty or non-string id is a ConfigurationError, also a ValueError."""
    with pytest.raises(ConfigurationError) as caught:
        validate_session_id(session_id)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("prefix", ["", None, 5, "{app"])
def test_invalid_prefixes_raise_configuration_error(prefix: object) -> None:
    """The prefix must be a non-empty string."""
    with pytest.raises(ConfigurationError):
        validate_prefix(prefix)
