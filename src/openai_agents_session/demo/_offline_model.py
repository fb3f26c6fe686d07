"""A deterministic, offline Agents SDK model: answers from the conversation it is given.

It lets the demo and the tests run a real ``Runner`` without a network or an API key, and it
only answers correctly when the session really fed it the earlier turns: asked for a name or a
fact, it looks for it in the history it received.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agents import Model, ModelResponse, Usage
from openai.types.responses import ResponseOutputMessage, ResponseOutputText

if TYPE_CHECKING:
    from agents import TResponseInputItem
    from openai.types.responses import ResponseStreamEvent

__all__ = ["OfflineModel"]

_NAME = re.compile(r"\b(?:I'm|I am|my name is)\s+([A-Z][\w-]*)", re.IGNORECASE)
_REMEMBER = re.compile(r"\bremember (?:that )?(.+?)[.!]?$", re.IGNORECASE)


def _user_texts(items: str | list[TResponseInputItem]) -> list[str]:
    if isinstance(items, str):
        return [items]
    texts: list[str] = []
    for item in items:
        if not isinstance(item, dict) or item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(
                str(part["text"])
                for part in content
                if isinstance(part, dict) and part.get("type") == "input_text"
            )
    return texts


def reply_to(conversation: str | list[TResponseInputItem]) -> str:
    """Return the model's answer to the last user message, given the whole conversation."""
    texts = _user_texts(conversation)
    if not texts:
        return "Hello! What can I do for you?"
    *earlier, last = texts
    if "name" in last.lower() and "?" in last:
        names = [m.group(1) for text in earlier for m in [_NAME.search(text)] if m]
        return f"Your name is {names[-1]}." if names else "You have not told me your name yet."
    if "what did i ask you to remember" in last.lower():
        facts = [m.group(1) for text in earlier for m in [_REMEMBER.search(text)] if m]
        return f"You asked me to remember that {facts[-1]}." if facts else "Nothing yet."
    name = _NAME.search(last)
    if name:
        return f"Nice to meet you, {name.group(1)}."
    remembered = _REMEMBER.search(last)
    if remembered:
        return f"Noted: {remembered.group(1)}."
    return f"You said: {last}"


class OfflineModel(Model):
    """A model that needs no network; it records every input it was given in ``inputs``."""

    def __init__(self) -> None:
        self.inputs: list[str | list[TResponseInputItem]] = []

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        *args: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        """Answer the last user message from the conversation in ``input``."""
        self.inputs.append(input)
        message = ResponseOutputMessage(
            id=f"msg_offline_{len(self.inputs)}",
            type="message",
            role="assistant",
            status="completed",
            content=[ResponseOutputText(type="output_text", text=reply_to(input), annotations=[])],
        )
        return ModelResponse(output=[message], usage=Usage(), response_id=None)

    def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        *args: Any,
        **kwargs: Any,
    ) -> AsyncIterator[ResponseStreamEvent]:
        """Streaming is not offered by the offline model; use ``Runner.run``."""
        raise NotImplementedError("OfflineModel does not stream; use Runner.run")
