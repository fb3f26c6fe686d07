"""The FastAPI example of the docs, driven over ASGI against a private Redis, offline model."""

from __future__ import annotations

import importlib.util
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio
from agents.models.multi_provider import MultiProvider
from agents.tracing import get_trace_provider
from servers import RedisServer

from openai_agents_session.demo._offline_model import OfflineModel

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_app.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example() -> ModuleType:
    """The example's module, loaded from its file."""
    return load_example()


@pytest.fixture
async def api(
    example: ModuleType, standalone_server: RedisServer, offline_agents: OfflineModel
) -> AsyncIterator[httpx.AsyncClient]:
    """The example app with its lifespan running, over httpx's ASGI transport."""
    app = example.create_app(standalone_server.url)
    # httpx's ASGI transport sends no lifespan events: run the app's lifespan around the test.
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
            yield client


@pytest.fixture
async def session_id(standalone_server: RedisServer) -> AsyncIterator[str]:
    """A conversation id no other test uses; its keys are deleted afterwards."""
    session_id = f"docs-fastapi-{uuid.uuid4().hex[:12]}"
    yield session_id
    client = redis_asyncio.from_url(standalone_server.url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{session_id}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def texts(items: list[dict[str, Any]]) -> list[str]:
    out = []
    for item in items:
        content = item["content"]
        if isinstance(content, list):
            content = "".join(part["text"] for part in content)
        out.append(content)
    return out


async def test_chat_remembers_earlier_turns(api: httpx.AsyncClient, session_id: str) -> None:
    """The second turn's reply uses the first turn, read back from Redis."""
    first = await api.post(f"/chat/{session_id}", json={"message": "Hi, I'm Ada."})
    second = await api.post(f"/chat/{session_id}", json={"message": "What's my name?"})

    assert first.status_code == 200, first.text
    assert first.json() == {"reply": "Nice to meet you, Ada."}
    assert second.json() == {"reply": "Your name is Ada."}


async def test_history_returns_the_stored_items_oldest_first(
    api: httpx.AsyncClient, session_id: str
) -> None:
    """GET /sessions/{id}/history lists both turns' items in order."""
    await api.post(f"/chat/{session_id}", json={"message": "Hi, I'm Ada."})
    await api.post(f"/chat/{session_id}", json={"message": "What's my name?"})

    response = await api.get(f"/sessions/{session_id}/history")

    assert response.status_code == 200
    assert texts(response.json()) == [
        "Hi, I'm Ada.",
        "Nice to meet you, Ada.",
        "What's my name?",
        "Your name is Ada.",
    ]


async def test_delete_forgets_the_conversation(api: httpx.AsyncClient, session_id: str) -> None:
    """DELETE /sessions/{id} removes the session: history is empty, the next chat starts anew."""
    await api.post(f"/chat/{session_id}", json={"message": "Hi, I'm Ada."})

    deleted = await api.delete(f"/sessions/{session_id}")
    history = await api.get(f"/sessions/{session_id}/history")
    fresh = await api.post(f"/chat/{session_id}", json={"message": "What's my name?"})

    assert deleted.status_code == 204
    assert history.json() == []
    assert fresh.json() == {"reply": "You have not told me your name yet."}


async def test_sessions_expire_and_keep_the_newest_items(
    api: httpx.AsyncClient,
    session_id: str,
    example: ModuleType,
    standalone_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each conversation gets the example's TTL and keeps only its newest MAX_ITEMS items."""
    monkeypatch.setattr(example, "MAX_ITEMS", 4)
    for message in ("one", "two", "three"):
        await api.post(f"/chat/{session_id}", json={"message": message})

    history = await api.get(f"/sessions/{session_id}/history")
    client = redis_asyncio.from_url(standalone_server.url)
    try:
        ttl = await client.ttl(f"openai_agents_session:{session_id}")
    finally:
        await client.aclose()

    assert texts(history.json()) == ["two", "You said: two", "three", "You said: three"]
    assert example.SESSION_TTL_S - 5 <= ttl <= example.SESSION_TTL_S


async def test_offline_model_switch_answers_with_no_key_and_no_network(
    example: ModuleType,
    standalone_server: RedisServer,
    session_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OFFLINE_MODEL=1 runs the documented curl session with no API key, model or tracing."""
    monkeypatch.setenv("OFFLINE_MODEL", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def no_default_model(self: MultiProvider, model_name: str | None) -> None:
        raise AssertionError(f"the SDK's default model provider was asked for {model_name!r}")

    monkeypatch.setattr(MultiProvider, "get_model", no_default_model)
    lookups: list[str] = []
    resolve = socket.getaddrinfo

    def loopback_only(host: str | bytes | None, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        lookups.append(name)
        if name not in ("127.0.0.1", "::1", "localhost"):
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: this test has no network")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    provider = get_trace_provider()
    create_trace = provider.create_trace
    traces_disabled: list[bool] = []

    def recording_create_trace(*args: Any, **kwargs: Any) -> Any:
        traces_disabled.append(bool(kwargs.get("disabled", False)))
        return create_trace(*args, **kwargs)

    monkeypatch.setattr(provider, "create_trace", recording_create_trace)

    app = example.create_app(standalone_server.url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example") as api:
            first = await api.post(f"/chat/{session_id}", json={"message": "Hi, my name is Ada."})
            second = await api.post(f"/chat/{session_id}", json={"message": "What is my name?"})

    assert first.json() == {"reply": "Nice to meet you, Ada."}
    assert second.json() == {"reply": "Your name is Ada."}
    assert traces_disabled == [True, True], "every run of the offline switch is untraced"
    assert set(lookups) <= {"127.0.0.1", "::1", "localhost"}
