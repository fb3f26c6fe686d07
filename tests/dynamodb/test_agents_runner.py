"""The real Agents SDK Runner over DynamoDBSession: restarts, streaming and two workers.

The contract suite already runs two-turn conversations, tool calls and ``session_settings``
limits over DynamoDB; these tests cover what it does not: history read back by a new
session object on a new client, a streamed run, and two workers taking turns.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agents import Agent, ModelResponse, RunConfig, Runner, Usage, function_tool
from contract.items import texts
from dynamodb_servers import DynamoDBLocal, dynamodb_client
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseFunctionToolCall,
)

from openai_agents_session.demo._offline_model import OfflineModel
from openai_agents_session.dynamodb import DynamoDBSession

if TYPE_CHECKING:
    from agents import TResponseInputItem
    from openai.types.responses import ResponseStreamEvent

NO_TRACING = RunConfig(tracing_disabled=True)


class ToolCallingModel(OfflineModel):
    """The offline model, first calling ``shout`` with the user's text, then answering."""

    async def get_response(
        self, system_instructions: str | None, input: Any, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        last = input[-1] if isinstance(input, list) else None
        if isinstance(last, dict) and last.get("type") == "function_call_output":
            return await super().get_response(system_instructions, input, *args, **kwargs)
        self.inputs.append(input)
        text = input if isinstance(input, str) else input[-1]["content"]
        call = ResponseFunctionToolCall(
            type="function_call",
            id=f"fc-{len(self.inputs)}",
            call_id=f"call-{len(self.inputs)}",
            name="shout",
            arguments=json.dumps({"text": text}),
            status="completed",
        )
        return ModelResponse(output=[call], usage=Usage(), response_id=None)


class StreamingToolCallingModel(ToolCallingModel):
    """The tool-calling model, streamed: each response arrives as one completed event."""

    async def _stream(
        self, system_instructions: str | None, input: Any, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ResponseStreamEvent]:
        answer = await self.get_response(system_instructions, input, *args, **kwargs)
        response = Response(
            id=f"resp-{len(self.inputs)}",
            created_at=0,
            model="offline",
            object="response",
            output=answer.output,
            parallel_tool_calls=False,
            tool_choice="auto",
            tools=[],
        )
        yield ResponseCompletedEvent(
            type="response.completed", response=response, sequence_number=0
        )

    def stream_response(
        self, system_instructions: str | None, input: Any, *args: Any, **kwargs: Any
    ) -> AsyncIterator[ResponseStreamEvent]:
        return self._stream(system_instructions, input, *args, **kwargs)


@function_tool
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


def records(items: list[TResponseInputItem]) -> list[dict[str, Any]]:
    """The items as plain dicts, which is how the session returns them."""
    return [dict(item) for item in items]


def kinds(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("type", "message")) for item in items]


TOOL_TURN = ["message", "function_call", "function_call_output", "message"]


async def test_tool_call_history_survives_a_restart_on_a_new_client(
    dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> None:
    """A new session object on a new client reads calls and outputs back, and builds on them."""
    model = ToolCallingModel()
    agent = Agent(name="Assistant", model=model, tools=[shout])
    async with dynamodb_client(dynamodb_local) as client:
        before = DynamoDBSession(session_id, client, table, ttl_seconds=600)
        await Runner.run(agent, "I'm Ada", session=before, run_config=NO_TRACING)
        await Runner.run(agent, "remember tea", session=before, run_config=NO_TRACING)
        written = records(await before.get_items())

    async with dynamodb_client(dynamodb_local) as client:
        after = DynamoDBSession(session_id, client, table, ttl_seconds=600)
        assert records(await after.get_items()) == written
        result = await Runner.run(agent, "What's my name?", session=after, run_config=NO_TRACING)
        stored = records(await after.get_items())

    assert result.final_output == "Your name is Ada."
    assert kinds(written) == TOOL_TURN * 2
    assert stored[:8] == written
    assert kinds(stored) == TOOL_TURN * 3
    outputs = [item["output"] for item in stored if item.get("type") == "function_call_output"]
    assert outputs == ["I'M ADA", "REMEMBER TEA", "WHAT'S MY NAME?"]
    calls = [item["call_id"] for item in stored if item.get("type") == "function_call"]
    answered = [item["call_id"] for item in stored if item.get("type") == "function_call_output"]
    assert calls == answered
    third_input = model.inputs[-1]
    assert isinstance(third_input, list)
    assert third_input[:8] == written  # the restarted turn saw the whole stored history


async def test_streamed_runs_store_each_item_once(
    dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> None:
    """Two streamed turns with tool calls store four items each, none twice."""
    model = StreamingToolCallingModel()
    agent = Agent(name="Assistant", model=model, tools=[shout])
    async with dynamodb_client(dynamodb_local) as client:
        session = DynamoDBSession(session_id, client, table)
        for text in ("I'm Ada", "What's my name?"):
            streamed = Runner.run_streamed(agent, text, session=session, run_config=NO_TRACING)
            events = [event async for event in streamed.stream_events()]
            assert events
        stored = records(await DynamoDBSession(session_id, client, table).get_items())

    assert streamed.final_output == "Your name is Ada."
    assert kinds(stored) == TOOL_TURN * 2
    assert [item.get("output") for item in stored if "output" in item] == [
        "I'M ADA",
        "WHAT'S MY NAME?",
    ]
    assert texts([stored[0], stored[3], stored[4], stored[7]]) == [
        "I'm Ada",
        "Nice to meet you, Ada.",
        "What's my name?",
        "Your name is Ada.",
    ]


async def test_two_workers_on_two_clients_take_turns_on_one_session(
    dynamodb_local: DynamoDBLocal, table: str, session_id: str
) -> None:
    """Workers alternating turns each see every earlier turn, whoever ran it, in order."""
    model = OfflineModel()
    agent = Agent(name="Assistant", model=model)
    turns = ["I'm Ada", "one", "two", "three", "four", "What's my name?"]
    async with dynamodb_client(dynamodb_local) as first, dynamodb_client(dynamodb_local) as second:
        workers = [
            DynamoDBSession(session_id, first, table, ttl_seconds=600),
            DynamoDBSession(session_id, second, table, ttl_seconds=600),
        ]
        for number, text in enumerate(turns):
            result = await Runner.run(
                agent, text, session=workers[number % 2], run_config=NO_TRACING
            )
        stored = records(await workers[0].get_items())
        assert records(await workers[1].get_items()) == stored

    assert result.final_output == "Your name is Ada."
    assert texts(stored[0::2]) == turns
    assert len(stored) == 2 * len(turns)
    for number, seen in enumerate(model.inputs):
        assert isinstance(seen, list)
        assert texts(seen) == texts(stored[: 2 * number + 1])
