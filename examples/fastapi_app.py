"""A chat API whose conversations live in Redis: FastAPI, the Agents SDK and RedisSession.

Run it with ``uvicorn examples.fastapi_app:app``; ``REDIS_URL`` names the server. The agent
uses the SDK's default OpenAI model, which needs ``OPENAI_API_KEY``; with ``OFFLINE_MODEL=1``
it answers with the deterministic offline model of ``make demo`` instead: no network, no key.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from agents import Agent, RunConfig, Runner
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel

from openai_agents_session import RedisSession, RedisSessionStore

SESSION_TTL_S = 7 * 24 * 3600  # a conversation is forgotten a week after its last message
MAX_ITEMS = 200  # each append trims a conversation to its newest 200 items


class ChatRequest(BaseModel):
    """What the user says."""

    message: str


class ChatReply(BaseModel):
    """What the agent answers."""

    reply: str


def create_app(redis_url: str | None = None) -> FastAPI:
    """Build the application; ``redis_url`` defaults to ``REDIS_URL``, then to localhost."""
    url = redis_url or os.environ.get("REDIS_URL", "redis://localhost:6379")
    agent = Agent(name="Assistant", instructions="Reply very concisely.")
    run_config = RunConfig()
    if os.environ.get("OFFLINE_MODEL") == "1":
        # Try the API without an OpenAI account: a local model that answers from the history
        # the session gives it, and no traces sent to OpenAI.
        from openai_agents_session.demo._offline_model import OfflineModel

        agent = agent.clone(model=OfflineModel())
        run_config = RunConfig(tracing_disabled=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One client, and so one connection pool, for every request of the process.
        client = redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        app.state.store = RedisSessionStore(client)
        try:
            yield
        finally:
            await client.aclose()

    app = FastAPI(title="Chat", lifespan=lifespan)

    def session_for(request: Request, session_id: str) -> RedisSession:
        store: RedisSessionStore = request.app.state.store
        return store.session(session_id, ttl=SESSION_TTL_S, max_items=MAX_ITEMS)

    @app.post("/chat/{session_id}")
    async def chat(session_id: str, body: ChatRequest, request: Request) -> ChatReply:
        session = session_for(request, session_id)
        result = await Runner.run(agent, body.message, session=session, run_config=run_config)
        return ChatReply(reply=str(result.final_output))

    @app.get("/sessions/{session_id}/history")
    async def history(session_id: str, request: Request) -> list[dict[str, Any]]:
        items = await session_for(request, session_id).get_items()
        return [dict(item) for item in items]

    @app.delete("/sessions/{session_id}", status_code=204)
    async def forget(session_id: str, request: Request) -> Response:
        await session_for(request, session_id).clear_session()
        return Response(status_code=204)

    return app


app = create_app()
