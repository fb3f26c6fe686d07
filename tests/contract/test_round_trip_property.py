"""Any JSON-compatible item comes back exactly as it went in (property-based)."""

from __future__ import annotations

import itertools

from contract.backends import Backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
_ids = itertools.count()


@settings(
    # 20 examples on each backend: more in all than the 150 on one server this replaced.
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(items, min_size=1, max_size=5))
async def test_any_json_item_round_trips_exactly(
    backend: Backend, batch: list[dict[str, object]]
) -> None:
    """Unicode, emoji, big integers, nesting, colons and braces in keys: stored and read back."""
    session = backend.session(f"{{prop:erty}}-{next(_ids)}")
    await session.add_items(batch)
    try:
        assert await session.get_items() == batch
        assert await session.pop_item() == batch[-1]
    finally:
        await session.clear_session()
