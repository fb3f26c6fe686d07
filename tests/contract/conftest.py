"""The ``backend`` fixture: every contract test runs once per backend and topology.

A backend joins the suite with one adapter class in ``backends.py`` and its params here,
each carrying the backend's mark (``-m redis`` runs only Redis), registered in pyproject.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from clients import TOPOLOGIES
from contract.backends import Backend, DynamoDBBackend, RedisBackend

# param id -> how to build its adapter for one test.
_FACTORIES: dict[str, Callable[[pytest.FixtureRequest], Backend]] = {
    f"redis-{topology}": (lambda request, topology=topology: RedisBackend(request, topology))
    for topology in TOPOLOGIES
}
_FACTORIES["dynamodb"] = DynamoDBBackend

BACKENDS = [
    pytest.param(f"redis-{topology}", marks=pytest.mark.redis, id=f"redis-{topology}")
    for topology in TOPOLOGIES
]
BACKENDS.append(pytest.param("dynamodb", marks=pytest.mark.dynamodb, id="dynamodb"))


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """An adapter over a namespace of this test's own, cleaned up after it."""
    adapter = _FACTORIES[request.param](request)
    try:
        await adapter.open()
        yield adapter
    finally:
        await adapter.cleanup()
