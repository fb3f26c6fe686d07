"""Turn a missing optional dependency into an error that names the extra to install."""

from __future__ import annotations

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
