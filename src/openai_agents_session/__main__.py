"""Command line: ``python -m openai_agents_session demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named in ``argv`` and return its exit code."""
    parser = argparse.ArgumentParser(
        prog="openai-agents-session",
        description="Session storage for the OpenAI Agents SDK.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo",
        help="hold a short agent conversation in Redis (REDIS_URL, else a private server)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import main as demo_main

        return demo_main()
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it


if __name__ == "__main__":
    sys.exit(main())
