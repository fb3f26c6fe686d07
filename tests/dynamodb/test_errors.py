"""The DynamoDB driver boundary maps every driver error onto the library's tree."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from botocore import exceptions as botocore_errors

from openai_agents_session.dynamodb._driver import (
    CLIENT_ERROR_CODES,
    map_driver_error,
    mapped_errors,
)
from openai_agents_session.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    SessionError,
)


def client_error(code: str, status: int = 400, **extra: object) -> botocore_errors.ClientError:
    response = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return botocore_errors.ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


@pytest.mark.parametrize(("code", "ours"), sorted(CLIENT_ERROR_CODES.items()))
def test_every_handled_code_maps_to_its_class_and_keeps_the_driver_class(
    code: str, ours: type[BackendError]
) -> None:
    """Each code of the table maps to exactly its class, still a ClientError with its response."""
    original = client_error(code)
    mapped = map_driver_error(original)
    assert type(mapped).__mro__[1] is ours
    assert isinstance(mapped, botocore_errors.ClientError)
    assert mapped.response == original.response
    assert str(mapped) == str(original)


def test_the_table_covers_throttling_conflicts_and_validation() -> None:
    """The codes the backend relies on are in the table with the class the docs promise."""
    assert CLIENT_ERROR_CODES["ThrottlingException"] is BackendUnavailableError
    assert CLIENT_ERROR_CODES["ProvisionedThroughputExceededException"] is BackendUnavailableError
    assert CLIENT_ERROR_CODES["InternalServerError"] is BackendUnavailableError
    assert CLIENT_ERROR_CODES["ConditionalCheckFailedException"] is ConflictError
    assert CLIENT_ERROR_CODES["TransactionCanceledException"] is ConflictError
    assert CLIENT_ERROR_CODES["ValidationException"] is BackendError


def test_unknown_code_is_a_backend_error_or_unavailable_on_5xx() -> None:
    """A code outside the table is a BackendError; with a 5xx status, BackendUnavailableError."""
    assert type(map_driver_error(client_error("SomethingNew"))).__mro__[1] is BackendError
    assert isinstance(map_driver_error(client_error("Oops", 503)), BackendUnavailableError)


def test_cancelled_transaction_carries_its_reasons() -> None:
    """A cancelled transaction is a ConflictError with one reason per action."""
    reasons = [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}]
    mapped = map_driver_error(
        client_error("TransactionCanceledException", CancellationReasons=reasons)
    )
    assert isinstance(mapped, ConflictError)
    assert mapped.reasons == ("ConditionalCheckFailed", "None")


def test_throttled_transaction_is_unavailable_not_a_conflict() -> None:
    """A transaction cancelled only because it was throttled is worth retrying later."""
    reasons = [{"Code": "ThrottlingError"}, {"Code": "None"}]
    mapped = map_driver_error(
        client_error("TransactionCanceledException", CancellationReasons=reasons)
    )
    assert isinstance(mapped, BackendUnavailableError)
    assert not isinstance(mapped, ConflictError)


def _botocore_classes() -> list[type[Exception]]:
    return [
        cls
        for _, cls in inspect.getmembers(botocore_errors, inspect.isclass)
        if issubclass(cls, botocore_errors.BotoCoreError)
    ]


@pytest.mark.parametrize("driver_class", _botocore_classes(), ids=lambda c: c.__name__)
def test_every_botocore_error_is_mapped_and_keeps_its_own_class(
    driver_class: type[Exception],
) -> None:
    """Each botocore error maps to one of ours and is still an instance of its own class."""
    original = driver_class.__new__(driver_class)
    original.args = ("it failed",)
    mapped = map_driver_error(original)
    assert isinstance(mapped, SessionError)
    assert isinstance(mapped, driver_class)
    assert str(mapped) == "it failed"


@pytest.mark.parametrize(
    ("driver_error", "ours"),
    [
        (botocore_errors.NoCredentialsError(), ConfigurationError),
        (botocore_errors.NoRegionError(), ConfigurationError),
        (
            botocore_errors.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
            BackendUnavailableError,
        ),
        (
            botocore_errors.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
            BackendUnavailableError,
        ),
        (
            botocore_errors.ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
            BackendUnavailableError,
        ),
    ],
)
def test_client_side_errors_map_by_what_fixes_them(
    driver_error: Exception, ours: type[SessionError]
) -> None:
    """Missing credentials or region are configuration; lost connections are unavailability."""
    with pytest.raises(ours) as caught, mapped_errors():
        raise driver_error
    assert caught.value.__cause__ is driver_error
    assert str(caught.value) == str(driver_error)


def test_cancellation_is_never_wrapped() -> None:
    """CancelledError passes through the boundary untouched."""
    error = asyncio.CancelledError()
    with pytest.raises(asyncio.CancelledError) as caught, mapped_errors():
        raise error
    assert caught.value is error
