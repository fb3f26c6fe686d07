"""Small SDK items for the contract tests."""

from __future__ import annotations

from typing import Any


def user(text: str) -> dict[str, Any]:
    """A user message."""
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, Any]:
    """An assistant message."""
    return {"role": "assistant", "content": text}


def call(n: int) -> dict[str, Any]:
    """A function call with call id ``c{n}``."""
    return {"type": "function_call", "call_id": f"c{n}", "name": "f", "arguments": "{}"}


def output(n: int) -> dict[str, Any]:
    """The output of the function call ``c{n}``."""
    return {"type": "function_call_output", "call_id": f"c{n}", "output": "ok"}


def texts(items: object) -> list[str]:
    """The text of each item, whether its content is a string or a list of parts."""
    assert isinstance(items, list)
    out = []
    for item in items:
        content = item.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        out.append(str(content))
    return out
