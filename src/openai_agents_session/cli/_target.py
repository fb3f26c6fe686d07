"""Which store a command talks to (--url, --prefix, before or after the command), and opening it.

The store comes from `open_store`, through the one table of URL schemes: this module knows no
backend. ``redis+cluster://`` names a Redis Cluster; the URL says everything about the target.
For ``dynamodb://`` URLs, ``--region``, ``--endpoint-url`` and ``--profile`` work as in the AWS
CLI: the first two fill the URL's options, the profile picks credentials and region from the
AWS configuration; credentials themselves never appear on the command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import click

from .._store import DEFAULT_KEY_PREFIX, SessionStore
from .._urls import open_store
from ._failures import CommandError, about, connecting_to
from ._output import Output
from ._redaction import redact_url

__all__ = [
    "AWS_FLAGS",
    "DEFAULT_KEY_PREFIX",
    "SOCKET_TIMEOUT_S",
    "URL_HELP",
    "StoreTarget",
    "aws_options",
    "is_dynamodb_url",
    "open_target",
    "store_options",
    "store_target",
    "validate_prefix",
    "with_aws_url_options",
]

# A server that does not answer fails the command instead of hanging it.
SOCKET_TIMEOUT_S = 10.0
URL_HELP = (
    "redis://[user:password@]host:port[/db]; rediss:// for TLS (a CA file as "
    "?ssl_ca_certs=PATH); redis+cluster:// or rediss+cluster:// for any node of a cluster; "
    "dynamodb://TABLE[?region=R&endpoint_url=URL] for a DynamoDB table."
)
# The AWS CLI's options, by the name of the URL option they fill (profile fills none).
AWS_FLAGS = {"region": "--region", "endpoint_url": "--endpoint-url", "profile": "--profile"}

_Function = TypeVar("_Function", bound=Callable[..., object])


@dataclass(frozen=True)
class StoreTarget:
    """A store's URL and key prefix, as the command line names them."""

    url: str
    prefix: str = DEFAULT_KEY_PREFIX
    profile: str | None = None
    """The AWS profile of a ``dynamodb://`` store; None takes the AWS chain's."""

    @property
    def label(self) -> str:
        """The URL with its password replaced by ``***``."""
        label = redact_url(self.url)
        return label if self.profile is None else f"{label} (profile {self.profile})"

    @property
    def namespace(self) -> str:
        """What holds the sessions: ``prefix '...'`` on Redis, ``table '...'`` on DynamoDB."""
        if is_dynamodb_url(self.url):
            return f"table {unquote(urlsplit(self.url).netloc)!r}"
        return f"prefix {self.prefix!r}"

    @property
    def within(self) -> str:
        """``under prefix '...'`` or ``in table '...'``, as messages place a session."""
        return f"in {self.namespace}" if is_dynamodb_url(self.url) else f"under {self.namespace}"

    @property
    def description(self) -> str:
        """The label and, for a store whose namespace is a key prefix, the prefix."""
        if is_dynamodb_url(self.url):
            return self.label  # the table is the namespace
        return f"{self.label} (prefix {self.prefix!r})"


def is_dynamodb_url(url: str) -> bool:
    """Whether ``url`` names a DynamoDB table, the only store the AWS options apply to."""
    return url.lower().startswith("dynamodb://")


def with_aws_url_options(url: str, aws: Mapping[str, str]) -> str:
    """Return ``url`` with --region and --endpoint-url filled into its query.

    Raises:
        click.UsageError: An option differs from the one the URL gives.
    """
    if not any(aws.get(name) for name in ("region", "endpoint_url")):
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = dict(query)
    for name in ("region", "endpoint_url"):
        value = aws.get(name)
        if value is None:
            continue
        if present.get(name, value) != value:
            raise click.UsageError(
                f"{AWS_FLAGS[name]} {redact_url(value)!r} differs from {name}="
                f"{redact_url(present[name])!r} in the URL; give it once"
            )
        if name not in present:
            query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _remember_aws(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and param.name is not None:
        ctx.ensure_object(Output).aws[param.name] = value


def aws_options(function: _Function) -> _Function:
    """Add --region, --endpoint-url and --profile; given after the command, they win."""
    options = [
        click.option(
            "--region",
            metavar="REGION",
            expose_value=False,
            callback=_remember_aws,
            help="AWS region of a dynamodb:// URL [default: the URL's, else the AWS chain's].",
        ),
        click.option(
            "--endpoint-url",
            "endpoint_url",
            metavar="URL",
            expose_value=False,
            callback=_remember_aws,
            help="Endpoint of a dynamodb:// URL, such as DynamoDB Local "
            "[default: the URL's, else AWS].",
        ),
        click.option(
            "--profile",
            metavar="NAME",
            expose_value=False,
            callback=_remember_aws,
            help="AWS profile for a dynamodb:// URL's credentials and region "
            "[default: AWS_PROFILE].",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def validate_prefix(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an empty --prefix as a usage error: no store has keys without one."""
    if value is not None and not value:
        raise click.BadParameter("must not be empty", ctx=ctx, param=param)
    return value


def store_target(
    output: Output, url: str | None, prefix: str | None, *, aws_used_elsewhere: bool = False
) -> StoreTarget:
    """Return the store the options name: the command's own, else the global ones.

    Args:
        output: The invocation, holding the options given before the command.
        url: --url after the command.
        prefix: --prefix after the command.
        aws_used_elsewhere: The AWS options serve another URL of the command (a migration's
            source), so a store that is not DynamoDB may ignore them.

    Raises:
        CommandError: Neither --url nor REDIS_URL gives a URL.
        click.UsageError: An AWS option is given for a store that is not DynamoDB, or
            differs from the URL's.
    """
    chosen = url or output.url
    if not chosen:
        raise CommandError("no store URL given; pass --url or set REDIS_URL")
    chosen_prefix = prefix or output.prefix or DEFAULT_KEY_PREFIX
    if not is_dynamodb_url(chosen):
        if output.aws and not aws_used_elsewhere:
            flags = [AWS_FLAGS[name] for name in output.aws]
            verb = "applies" if len(flags) == 1 else "apply"
            raise click.UsageError(f"{' and '.join(flags)} {verb} to dynamodb:// URLs only")
        return StoreTarget(chosen, chosen_prefix)
    return StoreTarget(
        with_aws_url_options(chosen, output.aws), chosen_prefix, output.aws.get("profile")
    )


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
    return aws_options(function)


@contextlib.asynccontextmanager
async def open_target(target: StoreTarget) -> AsyncIterator[SessionStore]:
    """Open the store ``target`` names, over a client of its own, closed on exit.

    Raises:
        CommandError: The URL or prefix is not valid, the driver is missing, the target is
            not a whole store, or the server cannot be reached.
    """
    options: dict[str, Any] = {}
    if target.profile is not None:
        options["profile"] = target.profile
    with about(target.label):
        store = open_store(
            target.url,
            key_prefix=target.prefix,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=SOCKET_TIMEOUT_S,
            **options,
        )
        entered = await store.__aenter__()
    with connecting_to(target.label):
        try:
            yield entered
        finally:
            await store.close()
