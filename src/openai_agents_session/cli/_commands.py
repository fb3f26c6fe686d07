"""The ``openai-agents-session`` command group, ``demo``, and the commands it gathers."""

from __future__ import annotations

import asyncio

import click

from .. import __version__
from ._click import Command, Group
from ._failures import about
from ._inspect import info_command, show_command
from ._listing import list_command
from ._migrate import migrate_command
from ._output import Output
from ._rm_fork import fork_command, remove_command
from ._target import URL_HELP, aws_options, store_target, validate_prefix
from ._transfer import export_command, import_command

__all__ = ["PROG", "cli"]

PROG = "openai-agents-session"


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Print the traceback of an error.")
@click.option("--url", envvar="REDIS_URL", show_envvar=True, metavar="URL", help=URL_HELP)
@click.option(
    "--prefix",
    metavar="PREFIX",
    callback=validate_prefix,
    help="Key prefix of the sessions. [default: openai_agents_session]",
)
@click.pass_obj
@aws_options
def cli(output: Output, debug: bool, url: str | None, prefix: str | None) -> None:
    """Inspect, copy and migrate the sessions of an openai-agents-session store.

    Every command but demo needs --url or REDIS_URL. --url and --prefix may be given before
    the command or after it; after it, they win.
    """
    output.debug = debug
    output.url = url or None
    output.prefix = prefix


@click.command("demo", cls=Command, short_help="Hold a short agent conversation in a store.")
@click.option(
    "--url",
    metavar="URL",
    help="A Redis URL, or dynamodb://TABLE?region=..&endpoint_url=.. (the table is created "
    "when missing) [default: the --url before the command, else REDIS_URL]; without any, a "
    "private Redis server runs for the demo.",
)
@aws_options
@click.pass_obj
def demo_command(output: Output, url: str | None) -> None:
    """Hold a short agent conversation in Redis or DynamoDB and show what was stored."""
    from ..demo import run_demo

    chosen = url or output.url
    if chosen is None:
        code = asyncio.run(run_demo(None, echo=output.line))
    else:
        target = store_target(output, chosen, None)
        with about(target.label):
            code = asyncio.run(run_demo(target.url, echo=output.line, profile=target.profile))
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
