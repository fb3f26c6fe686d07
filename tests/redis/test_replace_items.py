"""replace_items over a key RedisSession did not write (the contract is in tests/contract)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openai_agents_session import RedisSession, WrongKeyTypeError
from openai_agents_session.redis._driver import RedisClient

NewSession = Callable[..., RedisSession]


async def test_replace_items_refuses_a_key_of_another_type_and_leaves_it(
    new_session: NewSession, redis_client: RedisClient
) -> None:
    """A key of another type is reported and left as it was."""
    session = new_session("u")
    await redis_client.set(session.key, "not a list")
    with pytest.raises(WrongKeyTypeError):
        await session.replace_items([{"role": "user", "content": "m1"}])
    assert await redis_client.get(session.key) in (b"not a list", "not a list")
