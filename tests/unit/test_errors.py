from __future__ import annotations

import inspect

import pytest
import redis.exceptions

from openai_agents_session import errors
from openai_agents_session.errors import BackendError, BackendUnavailableError, SessionError
from openai_agents_session.redis._errors import DRIVER_ERRORS, map_driver_error


def _driver_error_classes() -> list[type[Exception]]:
    return [
        cls
        for _, cls in inspect.getmembers(redis.exceptions, inspect.isclass)
        if issubclass(cls, DRIVER_ERRORS)
    ]


def test_every_error_derives_from_session_error() -> None:
    """The whole hierarchy hangs under SessionError."""
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), SessionError)


@pytest.mark.parametrize("driver_class", _driver_error_classes(), ids=lambda c: c.__name__)
def test_every_driver_error_is_mapped_and_keeps_its_own_class(
    driver_class: type[Exception],
) -> None:
    """Each redis-py error maps to a BackendError that is still an instance of its own class."""
    original = driver_class.__new__(driver_class, "MOVED 1 127.0.0.1:1")
    original.args = ("MOVED 1 127.0.0.1:1",)
    mapped = map_driver_error(original)
    assert isinstance(mapped, BackendError)
    assert isinstance(mapped, driver_class)
    if issubclass(driver_class, redis.exceptions.AskError):  # the message gains a hint
        assert str(original) in str(mapped)
    else:
        assert str(mapped) == str(original)


@pytest.mark.parametrize(
    ("driver_class", "reply"),
    [(redis.exceptions.MovedError, "MOVED"), (redis.exceptions.AskError, "ASK")],
)
def test_cluster_redirections_say_to_use_a_cluster_client(
    driver_class: type[redis.exceptions.AskError], reply: str
) -> None:
    """MOVED or ASK reaches us only from a plain client on a cluster node: the message says so."""
    mapped = map_driver_error(driver_class("866 127.0.0.1:7001"))
    assert str(mapped).startswith(f"{reply} 866 127.0.0.1:7001: ")
    assert "cluster=True" in str(mapped) and "RedisCluster" in str(mapped)
    assert isinstance(mapped, driver_class)
    assert (mapped.slot_id, mapped.node_addr) == (866, ("127.0.0.1", 7001))


@pytest.mark.parametrize(
    "driver_class",
    [
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.ReadOnlyError,
    ],
)
def test_outages_map_to_backend_unavailable(driver_class: type[Exception]) -> None:
    """Refused connections, timeouts and demoted masters are BackendUnavailableError."""
    mapped = map_driver_error(driver_class("down"))
    assert isinstance(mapped, BackendUnavailableError)
    assert isinstance(mapped, driver_class)


def test_mapped_errors_keep_driver_attributes() -> None:
    """Attributes the driver set (AskError's slot and node) survive the mapping."""
    original = redis.exceptions.AskError("1234 127.0.0.1:7000")
    mapped = map_driver_error(original)
    assert isinstance(mapped, redis.exceptions.AskError)
    assert (mapped.slot_id, mapped.node_addr) == (1234, ("127.0.0.1", 7000))
