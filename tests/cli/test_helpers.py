"""The command line's pure helpers: redaction, concurrency, and the reasons it prints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from openai_agents_session.cli._concurrency import for_each_bounded
from openai_agents_session.cli._redaction import Redactor, redact_url
from openai_agents_session.redis._errors import map_driver_error


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:pw-1234@host:6379/0", "redis://user:***@host:6379/0"),
        ("redis://:pw-1234@host", "redis://:***@host"),
        ("rediss://host:6380?password=pw-1234&db=1", "rediss://host:6380?password=***&db=1"),
        ("redis://u:p%40ss%2Fword@host", "redis://u:***@host"),
        ("redis://host:6379", "redis://host:6379"),
        ("unix:///run/redis.sock?password=pw-1234", "unix:///run/redis.sock?password=***"),
    ],
)
def test_redact_url_hides_the_password_in_every_form(url: str, shown: str) -> None:
    """Userinfo and query passwords, percent-encoded or not, become ***."""
    assert redact_url(url) == shown


def test_redactor_hides_known_passwords_wherever_they_appear() -> None:
    """A password of a given URL is hidden in any text, decoded form included."""
    redact = Redactor.from_texts(["--url", "redis://app:p%40ss-w0rd@host", None])

    assert redact("AUTH p@ss-w0rd failed; p%40ss-w0rd") == "AUTH *** failed; ***"
    assert redact("cannot connect to redis://app:p@ss-w0rd@host") == (
        "cannot connect to redis://app:***@host"
    )


def test_redactor_leaves_short_passwords_to_the_url_pattern() -> None:
    """A one-letter password is not replaced in prose, but still hidden inside a URL."""
    redact = Redactor.from_texts(["redis://:a@host"])

    assert redact("a message at redis://:a@host") == "a message at redis://:***@host"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("Error 111 connecting to 127.0.0.1:1. Connect call failed ('127.0.0.1', 1).", None),
        (
            "Error -2 connecting to nohost:6379. Name or service not known.",
            "Name or service not known",
        ),
        ("Timeout connecting to server", "Timeout connecting to server"),
    ],
)
def test_a_mapped_connection_failure_names_the_reason(message: str, reason: str | None) -> None:
    """The backend words redis-py's failure as a short reason; an errno as its description."""
    from redis.exceptions import ConnectionError

    found = map_driver_error(ConnectionError(message)).reason

    assert found == (reason or "Connection refused")


async def _numbers(count: int) -> AsyncIterator[int]:
    for number in range(count):
        yield number


async def test_for_each_bounded_never_runs_more_than_the_limit() -> None:
    """Every item is handled once, with at most ``limit`` handlers running."""
    running = peak = 0
    seen: list[int] = []

    async def handle(number: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (number % 3))
        seen.append(number)
        running -= 1

    await for_each_bounded(_numbers(100), handle, limit=7)

    assert sorted(seen) == list(range(100))
    assert peak == 7


async def test_for_each_bounded_raises_the_first_failure_and_cancels_the_rest() -> None:
    """A failing handler stops the run; the handlers still running are cancelled."""
    cancelled = 0

    async def handle(number: int) -> None:
        nonlocal cancelled
        if number == 2:
            raise ValueError("item 2 is bad")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled += 1
            raise

    with pytest.raises(ValueError, match="item 2 is bad"):
        await for_each_bounded(_numbers(100), handle, limit=4)
    assert cancelled == 3  # items 0, 1 and 3; nothing after them was started
