"""Click's classes, writing usage lines in lower case as argparse does (``usage: ...``)."""

from __future__ import annotations

import click

__all__ = ["Command", "Group"]


class _Formatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "usage: " if prefix is None else prefix)


class _Context(click.Context):
    formatter_class = _Formatter


class Command(click.Command):
    """A command whose help and errors start with ``usage:``."""

    context_class = _Context


class Group(click.Group):
    """A group whose help and errors start with ``usage:``, as do its commands'."""

    context_class = _Context
    command_class = Command
