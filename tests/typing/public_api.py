"""Usage of the public API that must type-check under ``mypy --strict`` (never executed)."""

from __future__ import annotations

import redis.asyncio as redis
from agents import Agent, Runner, TResponseInputItem
from agents.memory import Session, SessionSettings
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel
from types_aiobotocore_dynamodb import DynamoDBClient

from openai_agents_session import (
    BackendUnavailableError,
    ConflictError,
    DynamoDBSession,
    ItemEncodeError,
    OwnerPage,
    RedisSession,
    RedisSessionStore,
    SessionError,
    SessionInfo,
    SessionStore,
    WrongKeyTypeError,
    open_store,
)
from openai_agents_session.dynamodb import DynamoDBSessionStore


async def spec_basic_usage() -> None:
    client = redis.from_url("redis://localhost:6379")
    session = RedisSession(session_id="user-123", redis_client=client, ttl=3600)
    items: list[TResponseInputItem] = await session.get_items()
    recent: list[TResponseInputItem] = await session.get_items(limit=10)
    await session.add_items([{"role": "user", "content": "Hello"}])
    last: TResponseInputItem | None = await session.pop_item()
    await session.clear_session()
    print(items, recent, last, session.session_id, session.key, session.ttl)
    await client.aclose()


async def implements_the_sdk_protocol(client: redis.Redis) -> Session:
    session: Session = RedisSession(
        "user-123",
        client,
        key_prefix="myapp:sessions",
        session_settings=SessionSettings(limit=20),
    )
    result = await Runner.run(Agent(name="a"), "hi", session=session)
    print(result.final_output)
    return session


async def cluster_and_sentinel() -> None:
    cluster = RedisCluster.from_url("redis://localhost:7000")
    RedisSession("user-123", cluster)
    # redis-py's Sentinel has no annotations.
    sentinel = Sentinel([("sentinel1", 26379)], socket_timeout=0.5)  # type: ignore[no-untyped-call]
    RedisSession("user-123", sentinel.master_for("mymaster"))


async def owned_client() -> bool:
    async with RedisSession.from_url("user-123", "rediss://:pw@host:6380/0", ttl=60) as session:
        return await session.ping()


async def errors(session: RedisSession) -> None:
    try:
        await session.add_items([])
    except ItemEncodeError as exc:
        print(exc)
    except WrongKeyTypeError as exc:
        print(exc.key, exc.key_type)
    except BackendUnavailableError:
        pass
    except SessionError:
        pass


async def switched_from_the_sdk() -> bool:
    """The SDK's RedisSession.from_url call, unchanged."""
    session = RedisSession.from_url(
        "user-123",
        url="redis://localhost:6379/0",
        redis_kwargs={"socket_timeout": 5.0},
        session_settings={"limit": 50},
        key_prefix="myapp",
        ttl=3600,
    )
    try:
        await session.add_items([{"role": "user", "content": "Hello"}])
        return await session.ping()
    except RuntimeError:  # the SDK's "session is closed" error; ours is a subclass
        return False
    finally:
        await session.close()


async def stores_speak_one_protocol(client: redis.Redis) -> SessionStore:
    store: SessionStore = RedisSessionStore(client, key_prefix="myapp")
    opened: SessionStore = open_store("redis+cluster://localhost:7000", key_prefix="myapp")
    page: OwnerPage = await store.owner_page("ada", count=10)
    info: SessionInfo = await store.info("user-123")
    print(page.cursor, info.location, info.size_bytes)
    await opened.close()
    return store


async def dynamodb_session(client: DynamoDBClient) -> Session:
    from openai_agents_session.dynamodb import create_table_if_not_exists

    created: bool = await create_table_if_not_exists(client, "agent_sessions")
    session: Session = DynamoDBSession("user-123", client, "agent_sessions", ttl_seconds=3600)
    owned = DynamoDBSession.from_url("user-123", "dynamodb://agent_sessions?region=us-east-1")
    try:
        await owned.add_items([{"role": "user", "content": "Hello"}])
    except ConflictError as exc:
        reasons: tuple[str, ...] = exc.reasons
        print(reasons)
    finally:
        await owned.close()
    print(created)
    return session


async def dynamodb_store_speaks_the_protocol() -> SessionStore:
    store: SessionStore = DynamoDBSessionStore.from_url("dynamodb://sessions?region=us-east-1")
    page: OwnerPage = await store.owner_page("ada", cursor=None, count=10)
    print(page.cursor)
    return store
