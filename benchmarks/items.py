"""Realistic session items, generated deterministically so every run stores the same bytes."""

from __future__ import annotations

import random
from typing import Any

_WORDS = (
    "the session store keeps every turn of a conversation so the agent can answer with context "
    "redis lists append in constant time and read the newest items from the tail quickly while "
    "users ask about weather flights invoices code reviews and the model replies with detail 42 "
    "7 2024 3.5 ok yes no maybe because however therefore"
).split()


def text(length: int, *, seed: int, line: int = 0) -> str:
    """Words (a few numbers among them) up to exactly ``length`` characters.

    ``line`` > 0 breaks lines about every ``line`` characters, as tool outputs do, so encoders
    have escapes to write.
    """
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    since_break = 0
    while size < length:
        word = rng.choice(_WORDS)
        sep = " "
        if line and since_break >= line:
            sep, since_break = "\n", 0
        parts.append(word + sep)
        size += len(word) + 1
        since_break += len(word) + 1
    return "".join(parts)[:length]


def _hex_id(prefix: str, seed: int) -> str:
    return f"{prefix}_{random.Random(seed).getrandbits(192):048x}"


USER: dict[str, Any] = {"role": "user", "content": text(200, seed=1)}
ASSISTANT: dict[str, Any] = {
    "id": _hex_id("msg", 2),
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": text(400, seed=3), "annotations": []}],
}
FUNCTION_CALL: dict[str, Any] = {
    "type": "function_call",
    "id": _hex_id("fc", 4),
    "call_id": _hex_id("call", 5),
    "name": "search_orders",
    "arguments": '{"customer_id":"c_81723","status":"open","limit":20}',
    "status": "completed",
}
PAIR: list[dict[str, Any]] = [USER, ASSISTANT]
# An agent turn that used a tool: the user's message, the model's call, the model's answer.
TURN: list[dict[str, Any]] = [USER, FUNCTION_CALL, ASSISTANT]
BIG_OUTPUT: dict[str, Any] = {
    "type": "function_call_output",
    "call_id": _hex_id("call", 6),
    "output": text(256 * 1024, seed=7, line=100),
}


def alternating(count: int) -> list[dict[str, Any]]:
    """``count`` items alternating user and assistant, as a conversation's history looks."""
    return [PAIR[index % 2] for index in range(count)]
