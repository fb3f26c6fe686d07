"""The client of a session or store: the caller's, checked, or one built from a URL.

``dynamodb://TABLE?region=REGION&endpoint_url=URL`` names a table and, optionally, where it
is; credentials always come from the standard AWS chain (environment, profile, role), never
from the URL. A ``profile`` option picks a named profile, as the AWS CLI's ``--profile`` does.

aiobotocore's HTTP session is bound to the event loop it was opened in. Scripts and sync web
frameworks call ``asyncio.run()`` per request, so a module-level session meets a new loop on
every call. An `OwnedClient` opens one client per loop, on first use there, and closes it when
that loop shuts down its async generators (as ``asyncio.run`` does); a loop closed without
that leaves its client to the garbage collector, and the next loop opens its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from aiobotocore.client import AioBaseClient
from aiobotocore.session import AioSession
from botocore.client import BaseClient

from ..errors import ConfigurationError, SessionClosedError
from ._driver import mapped_errors

if TYPE_CHECKING:
    from ._driver import DynamoDBClient

__all__ = [
    "URL_SCHEME",
    "ClientFactory",
    "OwnedClient",
    "client_from_url",
    "parse_url",
    "validate_client",
    "validate_table_name",
]

URL_SCHEME = "dynamodb"
ClientFactory = Callable[[], contextlib.AbstractAsyncContextManager["DynamoDBClient"]]
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_URL_OPTIONS = ("region", "endpoint_url")


def validate_table_name(table_name: object) -> str:
    """Return ``table_name`` if DynamoDB accepts it as a table's name.

    Raises:
        ConfigurationError: It is not 3 to 255 letters, digits, '_', '-' or '.'.
    """
    if not isinstance(table_name, str) or not _TABLE_NAME.fullmatch(table_name):
        raise ConfigurationError(
            f"table_name must be 3 to 255 letters, digits, '_', '-' or '.', got {table_name!r}"
        )
    return table_name


def validate_client(client: object) -> None:
    """Refuse a synchronous botocore client, which would block the event loop.

    Raises:
        ConfigurationError: ``client`` is a botocore client but not an aiobotocore one.
    """
    if isinstance(client, BaseClient) and not isinstance(client, AioBaseClient):
        raise ConfigurationError(
            "dynamodb_client is a synchronous botocore client; expected an aiobotocore client: "
            "aiobotocore.session.get_session().create_client('dynamodb', ...)"
        )


def parse_url(url: object) -> tuple[str, dict[str, str]]:
    """Return the table a ``dynamodb://`` URL names and its options (region, endpoint_url).

    Raises:
        ConfigurationError: Not a ``dynamodb://`` URL naming a valid table, or an option is
            unknown, repeated or empty.
    """
    if not isinstance(url, str) or not url.startswith(f"{URL_SCHEME}://"):
        raise ConfigurationError(
            f"expected a URL such as 'dynamodb://TABLE?region=us-east-1', got {url!r}"
        )
    parts = urlsplit(url)
    table_name = validate_table_name(unquote(parts.netloc + parts.path.rstrip("/")))
    options: dict[str, str] = {}
    for name, values in parse_qs(parts.query, keep_blank_values=True).items():
        if name not in _URL_OPTIONS:
            raise ConfigurationError(
                f"unknown option {name!r} in the URL; expected {' or '.join(_URL_OPTIONS)}"
            )
        if len(values) != 1 or not values[0]:
            raise ConfigurationError(f"option {name!r} must be given once with a value")
        options[name] = values[0]
    return table_name, options


def client_from_url(url: str, client_options: dict[str, Any], what: str) -> tuple[str, OwnedClient]:
    """Return the table ``url`` names and a client of its own for it, opened on first use.

    Args:
        url: ``dynamodb://TABLE?region=REGION&endpoint_url=URL``.
        client_options: aiobotocore's ``create_client`` options, such as ``config``; a
            ``profile`` option names the AWS profile to take credentials and region from.
        what: The owner, as error messages name it.

    Raises:
        ConfigurationError: The URL is not valid, or gives an option the keywords give
            differently.
    """
    table_name, options = parse_url(url)
    client_options = dict(client_options)
    profile = client_options.pop("profile", None)
    for name, value in options.items():
        option = "region_name" if name == "region" else name
        if option in client_options and client_options[option] != value:
            raise ConfigurationError(
                f"{option} is {value!r} in the URL and {client_options[option]!r} as a "
                "keyword; give it once"
            )
        client_options[option] = value

    def factory() -> contextlib.AbstractAsyncContextManager[DynamoDBClient]:
        with mapped_errors():  # an unknown profile is refused here
            return AioSession(profile=profile).create_client("dynamodb", **client_options)

    return table_name, OwnedClient(factory, what)


async def _held_open(
    factory: ClientFactory, opened: asyncio.Future[DynamoDBClient]
) -> AsyncGenerator[None, None]:
    """Hold a client open until the loop shuts its async generators down, or until closed."""
    async with factory() as client:
        opened.set_result(client)
        yield


class OwnedClient:
    """One client per event loop, built by ``factory`` when first needed in that loop."""

    def __init__(self, factory: ClientFactory, what: str) -> None:
        self._factory = factory
        self._what = what
        self._client: DynamoDBClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: AsyncGenerator[None, None] | None = None
        self._opening: asyncio.Lock | None = None
        self._closed = False

    async def get(self) -> DynamoDBClient:
        """Return the client of the running loop, opening it on first use there.

        Raises:
            SessionClosedError: ``close()`` was called.
            BackendError: The client could not be created (a bad option, say).
        """
        if self._closed:
            raise SessionClosedError(f"{self._what} was closed")
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._opening is None or self._loop is not loop:
            self._opening = asyncio.Lock()
            self._loop = loop
            self._client = None
            self._holder = None  # the previous loop's: closed at its shutdown, or abandoned
        async with self._opening:
            if self._client is None:
                opened: asyncio.Future[DynamoDBClient] = loop.create_future()
                holder = _held_open(self._factory, opened)
                with mapped_errors():
                    await anext(holder)
                self._holder = holder
                self._client = opened.result()
            if self.closed:  # close() ran while the client was opening
                await self.close()
                raise SessionClosedError(f"{self._what} was closed")
            return self._client

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    async def close(self) -> None:
        """Close the running loop's client; later calls raise `SessionClosedError`."""
        self._closed = True
        holder, self._holder = self._holder, None
        self._client = None
        if holder is not None and self._loop is asyncio.get_running_loop():
            await holder.aclose()
