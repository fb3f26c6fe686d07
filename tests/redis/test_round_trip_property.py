"""Any JSON-compatible item comes back exactly as it went in (property-based)."""

from __future__ import annotations

import redis.asyncio as redis_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import RedisServer

from openai_agents_session import RedisSession

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
items = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(items, min_size=1, max_size=5))
async def test_any_json_item_round_trips_exactly(
    standalone_server: RedisServer, key_prefix: str, batch: list[dict[str, object]]
) -> None:
    """Unicode, emoji, big integers, nesting, colons and braces in keys: stored and read back."""
    async with redis_asyncio.from_url(standalone_server.url) as client:
        session = RedisSession("{prop:erty}", client, key_prefix=key_prefix)
        await session.add_items(batch)  # type: ignore[arg-type]
        try:
            assert await session.get_items() == batch
        finally:
            await session.clear_session()
