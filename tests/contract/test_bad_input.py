"""Bad input is refused with ConfigurationError (a ValueError) before anything is stored.

Each test tries every bad value of one kind in turn: refusing them sends nothing, so one
test per kind and backend is enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from contract.backends import Backend
from contract.items import user

from openai_agents_session import ConfigurationError


def _generated() -> Iterator[dict[str, Any]]:
    yield user("a")


async def test_batches_that_are_not_lists_are_refused(backend: Backend) -> None:
    """A dict (even empty), a str, a generator, a set or None is refused, and nothing stored."""
    session = backend.session("s")
    for batch in (user("a"), {}, "hello", _generated(), {"a"}, None):
        with pytest.raises(ConfigurationError, match="list"):
            await session.add_items(batch)
        with pytest.raises(ConfigurationError, match="list"):
            await session.replace_items(batch)
    assert await session.get_items() == []
    assert (await backend.store.info("s")).exists is False


async def test_bad_limit_is_refused(backend: Backend) -> None:
    """limit must be a non-negative int or None."""
    session = backend.session("s")
    await session.add_items([user("a")])
    for limit in (-1, 1.5, "3", True):
        with pytest.raises(ConfigurationError, match="limit") as caught:
            await session.get_items(limit=limit)
        assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("option", "values"),
    [
        ("ttl", [0, -5, 1.5, "60", True]),
        ("max_items", [0, -1, 2.5, True]),
        ("owner", ["", 5]),
    ],
)
def test_bad_options_are_refused_at_construction(
    backend: Backend, option: str, values: list[object]
) -> None:
    """ttl and max_items must be positive ints or None; owner a non-empty str or None."""
    for value in values:
        with pytest.raises(ConfigurationError, match=option):
            backend.session("s", **{option: value})


def test_bad_session_id_is_refused_at_construction(backend: Backend) -> None:
    """An empty, missing or non-str session id is a ConfigurationError."""
    for session_id in ("", None, 42):
        with pytest.raises(ConfigurationError, match="session_id"):
            backend.session(session_id)  # type: ignore[arg-type]


def test_bad_session_settings_are_refused_at_construction(backend: Backend) -> None:
    """An unknown field, a wrong value or another type is refused at construction."""
    for settings, message in (
        ({"limt": 5}, "limt"),
        ({"limit": "many"}, "limit"),
        ({"limit": -1}, "limit"),
        (5, "SessionSettings or a dict"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            backend.session("s", session_settings=settings)


async def test_bad_metadata_values_are_refused(backend: Backend) -> None:
    """Wrong metadata types or an empty owner raise ConfigurationError."""
    for bad in ({"title": 5}, {"tags": ["ok", 3]}, {"owner": ""}):
        with pytest.raises(ConfigurationError):
            await backend.session("s").set_metadata(**bad)
        with pytest.raises(ConfigurationError):
            await backend.store.set_metadata("s", **bad)


async def test_refused_metadata_writes_nothing(backend: Backend) -> None:
    """A refused set_metadata leaves the stored metadata as it was."""
    session = backend.session("s", owner="ada")
    await session.add_items([user("a")])
    await session.set_metadata(title="Trip", tags=["t"])
    before = await session.get_metadata()
    for bad in ({"title": 5}, {"tags": ["ok", 3]}):
        with pytest.raises(ConfigurationError):
            await session.set_metadata(**bad)
    assert await session.get_metadata() == before


async def test_refused_empty_owner_writes_nothing(backend: Backend) -> None:
    """set_metadata(owner="") is refused and leaves the stored owner and title in place."""
    session = backend.session("s", owner="ada")
    await session.add_items([user("a")])
    await session.set_metadata(title="Trip")
    before = await session.get_metadata()
    with pytest.raises(ConfigurationError):
        await session.set_metadata(owner="")
    assert await session.get_metadata() == before


async def test_bad_batch_ids_are_refused_before_anything_is_stored(backend: Backend) -> None:
    """batch_id is a non-empty str of at most 200 printable characters without spaces."""
    session = backend.session("s")
    for batch_id in ("", "x" * 201, "has space", 42):
        with pytest.raises(ConfigurationError, match="batch_id"):
            await session.add_items([user("a")], batch_id=batch_id)
    assert await session.get_items() == []


async def test_owner_page_refuses_a_cursor_it_never_returned(backend: Backend) -> None:
    """A made-up cursor is a ConfigurationError, not a silently wrong page."""
    for cursor in ("-1", "not a cursor"):
        with pytest.raises(ConfigurationError, match="cursor"):
            await backend.store.owner_page("ada", cursor=cursor)
