"""The DynamoDB driver boundary: the client type and the one place driver errors are mapped.

Every call the backend sends runs inside `mapped_errors`, where botocore's and aiobotocore's
errors become the library's: throttling, 5xx replies and lost connections are a
`BackendUnavailableError`, a failed condition or a cancelled transaction a `ConflictError`
carrying the store's reasons, missing credentials or region a `ConfigurationError`, anything
else a `BackendError`. A mapped error is also an instance of the driver's own class, so
``except botocore.exceptions.ClientError`` keeps working, and it is always chained ``from`` the
original. ``asyncio.CancelledError`` is never a driver error and passes through untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from botocore import exceptions as botocore_errors

from ..errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    SessionError,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient as _DynamoDBClient

    DynamoDBClient: TypeAlias = _DynamoDBClient
else:
    DynamoDBClient: TypeAlias = Any

__all__ = [
    "CLIENT_ERROR_CODES",
    "DRIVER_ERRORS",
    "DynamoDBClient",
    "cancellation_reasons",
    "error_code",
    "map_driver_error",
    "mapped_errors",
]

DRIVER_ERRORS = (botocore_errors.ClientError, botocore_errors.BotoCoreError)

# The store answered, but cannot serve now: waiting and retrying is the fix.
_UNAVAILABLE_CODES = (
    "InternalFailure",
    "InternalServerError",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "ThrottlingException",
    "TransactionInProgressException",
)
# A condition the write carried did not hold, or concurrent transactions collided.
_CONFLICT_CODES = (
    "ConditionalCheckFailedException",
    "IdempotentParameterMismatchException",
    "TransactionCanceledException",
    "TransactionConflictException",
)
# The store refused the request as it was made: retrying the same request does not help.
_REFUSED_CODES = (
    "AccessDeniedException",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "ItemCollectionSizeLimitExceededException",
    "MissingAuthenticationTokenException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "SerializationException",
    "UnrecognizedClientException",
    "ValidationException",
)

CLIENT_ERROR_CODES: Mapping[str, type[BackendError]] = {
    **dict.fromkeys(_UNAVAILABLE_CODES, BackendUnavailableError),
    **dict.fromkeys(_CONFLICT_CODES, ConflictError),
    **dict.fromkeys(_REFUSED_CODES, BackendError),
}
"""Our class for each DynamoDB error code handled by name; other codes are a BackendError,
or a BackendUnavailableError when the HTTP status is 5xx."""

# Cancellation reasons that mean the transaction was throttled rather than contested.
_THROTTLED_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})

# Client-side errors: the setup is wrong (no credentials, no region, a bad parameter).
_CONFIGURATION_ERRORS: tuple[type[Exception], ...] = (
    botocore_errors.NoCredentialsError,
    botocore_errors.PartialCredentialsError,
    botocore_errors.NoRegionError,
    botocore_errors.ParamValidationError,
    botocore_errors.ValidationError,
    botocore_errors.ProfileNotFound,
    botocore_errors.InvalidConfigError,
)
# Client-side errors that mean the store could not be reached or answered too late. A TLS
# failure is not one of them: waiting does not fix an untrusted certificate.
_UNREACHABLE_ERRORS: tuple[type[Exception], ...] = (
    botocore_errors.EndpointConnectionError,
    botocore_errors.ConnectTimeoutError,
    botocore_errors.ProxyConnectionError,
    botocore_errors.HTTPClientError,
    botocore_errors.IncompleteReadError,
    botocore_errors.CapacityNotAvailableError,
)


def error_code(exc: BaseException) -> str | None:
    """Return the DynamoDB error code of a driver's ``ClientError``, or None for other errors."""
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return None
    code = response.get("Error", {}).get("Code")
    return code if isinstance(code, str) else None


def cancellation_reasons(exc: BaseException) -> list[Mapping[str, Any]]:
    """Return the per-action reasons of a cancelled transaction, or ``[]``."""
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return []
    reasons = response.get("CancellationReasons")
    return list(reasons) if isinstance(reasons, list) else []


def _status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return 0
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0


def _our_class(exc: Exception) -> type[SessionError]:
    if isinstance(exc, botocore_errors.ClientError):
        code = error_code(exc) or ""
        reasons = {str(reason.get("Code")) for reason in cancellation_reasons(exc)} - {"None"}
        if reasons and reasons <= _THROTTLED_REASONS:
            return BackendUnavailableError
        ours = CLIENT_ERROR_CODES.get(code)
        if ours is not None:
            return ours
        return BackendUnavailableError if _status(exc) >= 500 else BackendError
    if isinstance(exc, _CONFIGURATION_ERRORS):
        return ConfigurationError
    if isinstance(exc, _UNREACHABLE_ERRORS):
        return BackendUnavailableError
    return BackendError


_mapped_classes: dict[tuple[type[SessionError], type[Exception]], type[SessionError]] = {}


def _mapped_class(ours: type[SessionError], driver_class: type[Exception]) -> type[SessionError]:
    mapped = _mapped_classes.get((ours, driver_class))
    if mapped is None:
        mapped = type(
            driver_class.__name__,
            (ours, driver_class),
            {"__module__": __name__, "__doc__": f"{driver_class.__name__} raised by the store."},
        )
        _mapped_classes[(ours, driver_class)] = mapped
    return mapped


def map_driver_error(exc: Exception) -> SessionError:
    """Return ``exc`` as an instance of our class and of its own class, with its attributes.

    The message is the driver's. A `ConflictError` carries the reasons of a cancelled
    transaction in ``reasons``. The caller raises the result ``from exc``.
    """
    mapped_class = _mapped_class(_our_class(exc), type(exc))
    # Skip the driver's __init__: botocore's format their message from keyword arguments.
    mapped = mapped_class.__new__(mapped_class, *exc.args)
    mapped.args = exc.args
    mapped.__dict__.update(exc.__dict__)
    if isinstance(mapped, ConflictError):
        mapped.reasons = tuple(str(reason.get("Code")) for reason in cancellation_reasons(exc))
    return mapped


@contextlib.contextmanager
def mapped_errors() -> Iterator[None]:
    """Map the driver errors raised inside the block onto the library's hierarchy.

    Raises:
        SessionError: The mapped error, chained from the driver's (``__cause__``).
    """
    try:
        yield
    except DRIVER_ERRORS as exc:
        raise map_driver_error(exc) from exc
