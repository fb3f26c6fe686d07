"""The URL of a 0.1.0 DynamoDB table, ``dynamodb-0.1.0://TABLE?region=..&endpoint_url=..``.

It takes the options of a ``dynamodb://`` URL and nothing else: credentials never ride in a
URL, they come from the AWS chain. Parsing needs no driver, so a command line can check the
URL (and fill its options) before anything is imported or connected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ..errors import ConfigurationError

__all__ = [
    "V010_DYNAMODB_SCHEME",
    "V010_URL_OPTIONS",
    "build_v010_dynamodb_url",
    "parse_v010_dynamodb_url",
]

V010_DYNAMODB_SCHEME = "dynamodb-0.1.0"
# The options a dynamodb:// URL takes, in the order a built URL writes them.
V010_URL_OPTIONS = ("region", "endpoint_url")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def parse_v010_dynamodb_url(url: str) -> tuple[str, dict[str, str]]:
    """Split ``dynamodb-0.1.0://TABLE?region=..&endpoint_url=..`` into table and options.

    Raises:
        ConfigurationError: The URL has another scheme, no valid table name, or an unknown
            or repeated option.
    """
    head = f"{V010_DYNAMODB_SCHEME}://"
    if not url.startswith(head):
        raise ConfigurationError(f"expected a URL such as '{head}TABLE?region=us-east-1'")
    parts = urlsplit(url)
    table = unquote(parts.netloc + parts.path.rstrip("/"))
    if not _TABLE_NAME.fullmatch(table):
        raise ConfigurationError(
            f"table name {table!r} is not valid; expected 3 to 255 of A-Z, a-z, 0-9, '_', '-', '.'"
        )
    options: dict[str, str] = {}
    for name, values in parse_qs(parts.query, keep_blank_values=True).items():
        if name not in V010_URL_OPTIONS:
            raise ConfigurationError(
                f"unknown option {name!r} in the URL; expected {' or '.join(V010_URL_OPTIONS)}"
            )
        if len(values) != 1 or not values[0]:
            raise ConfigurationError(f"option {name!r} must be given once with a value")
        options[name] = values[0]
    return table, options


def build_v010_dynamodb_url(table: str, options: Mapping[str, str]) -> str:
    """Return the URL of ``table`` with ``options``, the inverse of the parser."""
    query = urlencode([(name, options[name]) for name in V010_URL_OPTIONS if name in options])
    return f"{V010_DYNAMODB_SCHEME}://{quote(table)}" + (f"?{query}" if query else "")
