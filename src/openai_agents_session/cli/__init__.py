"""The ``openai-agents-session`` command line: list, inspect, copy and migrate sessions.

``main(argv)`` runs one command and returns its exit code: 0 when it succeeded, 1 when it
failed (one line on stderr, the traceback only with ``--debug``). A command line that does not
parse exits through ``SystemExit(2)`` after its usage, as argparse and click do.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

try:
    import click
    import rich
except ImportError as exc:
    from .._optional import missing

    raise missing(exc.name or "click", "cli") from exc

from ._commands import PROG, cli
from ._failures import describe
from ._output import Output
from ._redaction import Redactor

__all__ = ["main"]

# The exit code of a process ended by Ctrl-C, as shells report it.
INTERRUPTED = 130
# Credentials botocore reads from the environment: never printed, even inside a message.
AWS_SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

del rich  # only imported to check that it is installed


def _usage_error(output: Output, exc: click.UsageError) -> None:
    if isinstance(exc, click.exceptions.NoArgsIsHelpError) and exc.ctx is not None:
        click.echo(exc.ctx.get_help(), err=True)
        return
    if exc.ctx is not None:
        click.echo(exc.ctx.get_usage(), err=True)
        click.echo(f"Try '{exc.ctx.command_path} --help' for help.", err=True)
    output.note(f"error: {exc.format_message()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` names (``sys.argv[1:]`` when None) and return its exit code.

    Args:
        argv: The arguments after the program's name.

    Returns:
        0 on success, 1 when the command failed, 130 when it was interrupted.

    Raises:
        SystemExit: With code 2, when the command line does not parse.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    aws_secrets = [os.environ.get(name) for name in AWS_SECRET_VARIABLES]
    output = Output(
        redact=Redactor.from_texts([*args, os.environ.get("REDIS_URL")], secrets=aws_secrets)
    )
    try:
        result = cli.main(args=args, prog_name=PROG, standalone_mode=False, obj=output)
    except click.UsageError as exc:
        _usage_error(output, exc)
        raise SystemExit(2) from None
    except click.Abort:
        output.note("error: interrupted")
        return INTERRUPTED
    except Exception as exc:
        if output.debug:
            output.note(traceback.format_exc().rstrip())
        output.note(f"error: {describe(exc)}")
        return 1
    return result if isinstance(result, int) else 0
