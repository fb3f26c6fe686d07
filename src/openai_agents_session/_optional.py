"""Turn a missing optional dependency into an error that names the extra to install."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from .errors import MissingDependencyError


def missing(module: str, extra: str) -> MissingDependencyError:
    """Build the error raised when ``module`` (installed by ``extra``) cannot be imported.

    Args:
        module: The import name that failed, such as ``"redis"``.
        extra: The extra of this distribution that installs it.

    Returns:
        The error to raise, chained by the caller from the original ImportError.
    """
    return MissingDependencyError(
        f'{module!r} is not installed; install it with pip install "openai-agents-session[{extra}]"'
    )


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, str]
) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that imports ``exports`` (name -> module) on first use.

    A backend's names can then sit in a package's ``__all__`` without importing its driver
    until someone uses them; the value is cached in ``namespace`` (the module's globals).
    """

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name, package), name)
        namespace[name] = value
        return value

    return __getattr__
