"""The real Agents SDK Runner over RedisSession, with an offline model, on every topology."""

from __future__ import annotations

from collections.abc import Callable

from agents import Agent, RunConfig, Runner
from agents.memory import SessionSettings

from openai_agents_session import RedisSession
from openai_agents_session.demo._offline_model import OfflineModel

NewSession = Callable[..., RedisSession]
NO_TRACING = RunConfig(tracing_disabled=True)


def texts(items: object) -> list[str]:
    assert isinstance(items, list)
    out = []
    for item in items:
        content = item.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        out.append(str(content))
    return out


async def test_two_turn_conversation_is_stored_and_replayed(new_session: NewSession) -> None:
    """Both turns are stored, and the second turn's model input holds the first turn."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = new_session("runner", ttl=600)

    first = await Runner.run(agent, "Hi, I'm Ada.", session=session, run_config=NO_TRACING)
    second = await Runner.run(agent, "What's my name?", session=session, run_config=NO_TRACING)

    assert first.final_output == "Nice to meet you, Ada."
    assert second.final_output == "Your name is Ada."
    assert texts(model.inputs[1]) == ["Hi, I'm Ada.", "Nice to meet you, Ada.", "What's my name?"]
    assert texts(await session.get_items()) == [
        "Hi, I'm Ada.",
        "Nice to meet you, Ada.",
        "What's my name?",
        "Your name is Ada.",
    ]


async def test_run_config_session_settings_limit_is_honoured(new_session: NewSession) -> None:
    """RunConfig(session_settings=SessionSettings(limit=N)) feeds only the latest N items."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = new_session("limited")
    for turn in ("one", "two", "three"):
        await Runner.run(agent, turn, session=session, run_config=NO_TRACING)

    limited = RunConfig(tracing_disabled=True, session_settings=SessionSettings(limit=2))
    await Runner.run(agent, "four", session=session, run_config=limited)

    assert texts(model.inputs[-1]) == ["three", "You said: three", "four"]
    assert len(await session.get_items()) == 8


async def test_session_settings_on_the_session_are_honoured(new_session: NewSession) -> None:
    """A session created with session_settings gives the Runner that many items."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = new_session("own-limit", session_settings=SessionSettings(limit=1))
    await Runner.run(agent, "one", session=session, run_config=NO_TRACING)
    await Runner.run(agent, "two", session=session, run_config=NO_TRACING)
    assert texts(model.inputs[-1]) == ["You said: one", "two"]
