"""The demo's conversation, the same over every store: four turns, then the stored history."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agents import Agent, RunConfig, Runner

from ._offline_model import OfflineModel

if TYPE_CHECKING:
    from agents.memory import Session

__all__ = ["DEMO_TTL_S", "TURNS", "Echo", "converse", "text_of"]

TURNS = (
    "Hi, I'm Ada.",
    "Please remember that my favourite number is 42.",
    "What's my name?",
    "What did I ask you to remember?",
)
DEMO_TTL_S = 3600
Echo = Callable[[str], None]


def text_of(item: object) -> str:
    """Return one stored item as a line of the demo's output."""
    if not isinstance(item, dict):
        return repr(item)
    content = item.get("content")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return f"{item.get('role', item.get('type', '?')):>9}: {content}"


async def converse(session: Session, echo: Echo) -> bool:
    """Hold the demo's conversation in ``session``; return whether every turn was remembered."""
    agent = Agent(name="Assistant", instructions="Answer briefly.", model=OfflineModel())
    run_config = RunConfig(tracing_disabled=True)
    answers = []
    for turn in TURNS:
        result = await Runner.run(agent, turn, session=session, run_config=run_config)
        answers.append(str(result.final_output))
        echo(f"user> {turn}\nagent> {result.final_output}")
    items = await session.get_items()
    echo(f"\nStored history ({len(items)} items, oldest first):")
    for item in items:
        echo(f"  {text_of(item)}")
    return answers[2] == "Your name is Ada." and "42" in answers[3]
