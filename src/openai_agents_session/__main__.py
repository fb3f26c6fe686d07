"""``python -m openai_agents_session``: the command line, e.g. ``ls``, ``migrate`` or ``demo``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .errors import MissingDependencyError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named in ``argv`` and return its exit code."""
    try:
        from .cli import main as cli_main
    except MissingDependencyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
