"""The real Agents SDK Runner over every backend, with the project's offline model."""

from __future__ import annotations

import json
from typing import Any

from agents import Agent, ModelResponse, RunConfig, Runner, Usage, function_tool
from agents.memory import SessionSettings
from contract.backends import Backend
from contract.items import texts
from openai.types.responses import ResponseFunctionToolCall

from openai_agents_session.demo._offline_model import OfflineModel

NO_TRACING = RunConfig(tracing_disabled=True)


async def test_two_turn_conversation_is_stored_and_replayed(backend: Backend) -> None:
    """Both turns are stored, and the second turn's model input holds the first turn."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = backend.session("runner", ttl=600)

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


async def test_run_config_session_settings_limit_is_honoured(backend: Backend) -> None:
    """RunConfig(session_settings=SessionSettings(limit=N)) feeds only the latest N items."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = backend.session("limited")
    for turn in ("one", "two", "three"):
        await Runner.run(agent, turn, session=session, run_config=NO_TRACING)

    limited = RunConfig(tracing_disabled=True, session_settings=SessionSettings(limit=2))
    await Runner.run(agent, "four", session=session, run_config=limited)

    assert texts(model.inputs[-1]) == ["three", "You said: three", "four"]
    assert len(await session.get_items()) == 8


async def test_session_settings_on_the_session_are_honoured(backend: Backend) -> None:
    """A session created with session_settings gives the Runner that many items."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    session = backend.session("own-limit", session_settings=SessionSettings(limit=1))
    await Runner.run(agent, "one", session=session, run_config=NO_TRACING)
    await Runner.run(agent, "two", session=session, run_config=NO_TRACING)
    assert texts(model.inputs[-1]) == ["You said: one", "two"]


class ToolCallingModel(OfflineModel):
    """The offline model, first calling the agent's tool with the user's text."""

    async def get_response(
        self, system_instructions: str | None, input: Any, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        answered = isinstance(input, list) and any(
            isinstance(item, dict)
            and item.get("type") == "function_call_output"
            and item.get("call_id") == f"call-{len(self.inputs)}"
            for item in input
        )
        if answered:
            return await super().get_response(system_instructions, input, *args, **kwargs)
        self.inputs.append(input)
        last = input if isinstance(input, str) else input[-1]["content"]
        call = ResponseFunctionToolCall(
            type="function_call",
            id=f"fc-{len(self.inputs)}",
            call_id=f"call-{len(self.inputs)}",
            name="shout",
            arguments=json.dumps({"text": last}),
            status="completed",
        )
        return ModelResponse(output=[call], usage=Usage(), response_id=None)


@function_tool
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


async def test_tool_calls_and_their_outputs_are_stored_and_replayed(backend: Backend) -> None:
    """A turn with a tool call stores call and output; the next turn is given both."""
    model = ToolCallingModel()
    agent = Agent(name="Assistant", model=model, tools=[shout])
    session = backend.session("tools", ttl=600)

    await Runner.run(agent, "hello", session=session, run_config=NO_TRACING)
    await Runner.run(agent, "again", session=session, run_config=NO_TRACING)

    stored = await session.get_items()
    kinds = [item.get("type", "message") for item in stored]
    assert kinds == ["message", "function_call", "function_call_output", "message"] * 2
    outputs = [item["output"] for item in stored if item.get("type") == "function_call_output"]
    assert outputs == ["HELLO", "AGAIN"]
    second_input = model.inputs[2]
    assert isinstance(second_input, list)
    assert [item.get("type", "message") for item in second_input][:4] == kinds[:4]
