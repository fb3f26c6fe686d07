"""Which store a command talks to (--url, --prefix, before or after the command), and opening it.

The store comes from `open_store`, through the one table of URL schemes: this module knows no
backend. ``redis+cluster://`` names a Redis Cluster; the URL says everything about the target.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

import click

from .._store import DEFAULT_KEY_PREFIX, SessionStore
from .._urls import open_store
from ._failures import CommandError, about, connecting_to
from ._output import Output
from ._redaction import redact_url

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "SOCKET_TIMEOUT_S",
    "URL_HELP",
    "StoreTarget",
    "open_target",
    "store_options",
    "store_target",
    "validate_prefix",
]

# A server that does not answer fails the command instead of hanging it.
SOCKET_TIMEOUT_S = 10.0
URL_HELP = (
    "redis://[user:password@]host:port[/db]; rediss:// for TLS (a CA file as "
    "?ssl_ca_certs=PATH); redis+cluster:// or rediss+cluster:// for any node of a cluster."
)

_Function = TypeVar("_Function", bound=Callable[..., object])


@dataclass(frozen=True)
class StoreTarget:
    """A store's URL and key prefix, as the command line names them."""

    url: str
    prefix: str = DEFAULT_KEY_PREFIX

    @property
    def label(self) -> str:
        """The URL with its password replaced by ``***``."""
        return redact_url(self.url)


def validate_prefix(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an empty --prefix as a usage error: no store has keys without one."""
    if value is not None and not value:
        raise click.BadParameter("must not be empty", ctx=ctx, param=param)
    return value


def store_target(output: Output, url: str | None, prefix: str | None) -> StoreTarget:
    """Return the store the options name: the command's own, else the global ones.

    Raises:
        CommandError: Neither --url nor REDIS_URL gives a URL.
    """
    chosen = url or output.url
    if not chosen:
        raise CommandError("no store URL given; pass --url or set REDIS_URL")
    return StoreTarget(chosen, prefix or output.prefix or DEFAULT_KEY_PREFIX)


def store_options(function: _Function) -> _Function:
    """Add --url and --prefix to a command; given before the command, they apply as well."""
    options = [
        click.option(
            "--url",
            metavar="URL",
            help=f"{URL_HELP} [default: the --url before the command, else REDIS_URL]",
        ),
        click.option(
            "--prefix",
            metavar="PREFIX",
            callback=validate_prefix,
            help=f"Key prefix of the sessions. [default: {DEFAULT_KEY_PREFIX}]",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@contextlib.asynccontextmanager
async def open_target(target: StoreTarget) -> AsyncIterator[SessionStore]:
    """Open the store ``target`` names, over a client of its own, closed on exit.

    Raises:
        CommandError: The URL or prefix is not valid, the driver is missing, the target is
            not a whole store, or the server cannot be reached.
    """
    with about(target.label):
        store = open_store(
            target.url,
            key_prefix=target.prefix,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=SOCKET_TIMEOUT_S,
        )
        entered = await store.__aenter__()
    with connecting_to(target.label):
        try:
            yield entered
        finally:
            await store.close()
