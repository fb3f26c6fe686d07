"""The ``openai-agents-session`` command group, ``demo``, and the commands it gathers."""

from __future__ import annotations

import asyncio

import click

from .. import __version__
from ._changes import fork_command, remove_command
from ._inspect import info_command, show_command
from ._listing import list_command
from ._migrate import migrate_command
from ._output import Output
from ._transfer import export_command, import_command
from ._usage import Command, Group

__all__ = ["PROG", "cli"]

PROG = "openai-agents-session"


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Print the traceback of an error.")
@click.pass_obj
def cli(output: Output, debug: bool) -> None:
    """Inspect, copy and migrate the sessions of openai-agents-session's Redis store.

    Every command but demo needs --url or REDIS_URL.
    """
    output.debug = debug


@click.command("demo", cls=Command, short_help="Hold a short agent conversation in Redis.")
@click.option(
    "--url",
    envvar="REDIS_URL",
    show_envvar=True,
    metavar="URL",
    help="The Redis server; without it a private server runs for the demo.",
)
@click.pass_obj
def demo_command(output: Output, url: str | None) -> None:
    """Hold a short agent conversation in Redis and show what was stored."""
    from ..demo import run_demo

    code = asyncio.run(run_demo(url or None, echo=output.line))
    if code:
        raise click.exceptions.Exit(code)


for _command in (
    list_command,
    show_command,
    info_command,
    remove_command,
    fork_command,
    export_command,
    import_command,
    migrate_command,
    demo_command,
):
    cli.add_command(_command)
