"""Keep passwords out of everything the command line prints.

A password can reach a message in two ways: inside a URL (``redis://user:pw@host``, or
``?password=pw``), or on its own, when a driver's error quotes it. The first is rewritten
wherever a URL appears; for the second, the passwords of every URL the command was given are
replaced wherever they appear in a message, as are the AWS secrets of the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["REDACTED", "Redactor", "redact_url"]

REDACTED = "***"
# Shorter secrets are not replaced on their own: "a" would turn every message into noise.
# Inside a URL they are still redacted.
MIN_SECRET_CHARS = 4

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"]+")
_USERINFO_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s/@'\"]+@")
# A value already redacted is left alone, so what follows it (": reason") stays intact.
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?!\*\*\*)[^&#\s'\"]+", re.IGNORECASE)


def _secrets_of(url: str) -> set[str]:
    """The password of ``url`` as written and as decoded, from userinfo and query."""
    try:
        parts = urlsplit(url)
        found = {parts.password} if parts.password else set()
        found |= {value for name, value in parse_qsl(parts.query) if name.lower() == "password"}
    except ValueError:
        return set()
    return found | {unquote(secret) for secret in found}


class Redactor:
    """Replace the passwords of known URLs, and of any URL, by ``***`` in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """Create a redactor that also replaces these literal secrets.

        Args:
            secrets: Passwords to hide wherever they appear.
        """
        kept = {secret for secret in secrets if len(secret) >= MIN_SECRET_CHARS}
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(kept, key=len, reverse=True)

    @classmethod
    def from_texts(
        cls, texts: Iterable[str | None], *, secrets: Iterable[str | None] = ()
    ) -> Redactor:
        """Create a redactor for the passwords of every URL found in ``texts``, and ``secrets``."""
        found = {secret for secret in secrets if secret}
        for text in texts:
            for url in _URL.findall(text or ""):
                found |= _secrets_of(url)
        return cls(found)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every password replaced by ``***``."""
        # Known secrets first: one with an "@" would otherwise be cut in two by the pattern.
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _USERINFO_PASSWORD.sub(rf"\g<head>{REDACTED}@", text)
        return _QUERY_PASSWORD.sub(rf"\g<head>{REDACTED}", text)


def redact_url(url: str) -> str:
    """Return ``url`` with its password, if any, replaced by ``***``."""
    return Redactor.from_texts([url])(url)
