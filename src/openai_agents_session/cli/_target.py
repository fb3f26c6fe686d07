"""Which store a command talks to (--url, --prefix, --cluster), and opening it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

import click
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ..redis import RedisSessionStore
from ..redis._driver import driver_call
from ..redis._keys import DEFAULT_KEY_PREFIX
from ._failures import CommandError, connecting_to
from ._urls import redact_url

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "StoreTarget",
    "open_store",
    "refuse_cluster_node",
    "store_options",
    "store_target",
]

# A server that does not answer fails the command instead of hanging it.
SOCKET_TIMEOUT_S = 10.0

_Function = TypeVar("_Function", bound=Callable[..., object])


@dataclass(frozen=True)
class StoreTarget:
    """A store's URL, key prefix and topology, as the command line names it."""

    url: str
    prefix: str
    cluster: bool = False

    @property
    def label(self) -> str:
        """The URL with its password replaced by ``***``."""
        return redact_url(self.url)


def store_target(url: str | None, prefix: str, cluster: bool) -> StoreTarget:
    """Return the store the options name.

    Raises:
        CommandError: Neither --url nor REDIS_URL gives a URL.
    """
    if not url:
        raise CommandError("no Redis URL given; pass --url or set REDIS_URL")
    return StoreTarget(url, prefix, cluster)


def store_options(function: _Function) -> _Function:
    """Add --url, --prefix and --cluster to a command."""
    options = [
        click.option(
            "--url",
            envvar="REDIS_URL",
            show_envvar=True,
            metavar="URL",
            help="redis://[user:password@]host:port[/db]; rediss:// for TLS "
            "(a CA file as ?ssl_ca_certs=PATH).",
        ),
        click.option(
            "--prefix",
            metavar="PREFIX",
            default=DEFAULT_KEY_PREFIX,
            show_default=True,
            help="Key prefix of the sessions.",
        ),
        click.option("--cluster", is_flag=True, help="The URL names a node of a Redis Cluster."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@contextlib.asynccontextmanager
async def open_store(target: StoreTarget) -> AsyncIterator[RedisSessionStore]:
    """Open a store over a client of its own, closed on exit.

    Raises:
        CommandError: The URL is not valid, or the server cannot be reached.
    """
    with connecting_to(target.url):
        try:
            store = RedisSessionStore.from_url(
                target.url,
                key_prefix=target.prefix,
                cluster=target.cluster,
                socket_timeout=SOCKET_TIMEOUT_S,
                socket_connect_timeout=SOCKET_TIMEOUT_S,
            )
        except ValueError as exc:
            raise CommandError(f"invalid Redis URL {target.label}: {exc}") from None
        async with store:
            if isinstance(store.client, Redis):
                await refuse_cluster_node(store.client, target.label, "--cluster")
            yield store


async def refuse_cluster_node(client: Redis, label: str, flag: str) -> None:
    """Refuse a plain client on a cluster node: it would see that node's sessions only.

    Raises:
        CommandError: The server is a node of a Redis Cluster.
    """
    try:
        info = await driver_call(client, client.info("cluster"), key="")
    except ResponseError:  # INFO is not allowed for this user: nothing to check with
        return
    if int(info.get("cluster_enabled", 0)):
        raise CommandError(f"{label} is a node of a Redis Cluster; pass {flag}")
