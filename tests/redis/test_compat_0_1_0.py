"""Data written by the published openai-agents-session 0.1.0 is read by us, and vice versa.

``make test`` installs the real 0.1.0 wheel into ``.venv/compat/0.1.0`` (it has our import
name, so it is loaded here from its file under another name).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest
import redis.asyncio as redis_asyncio
from servers import RedisServer

from openai_agents_session import RedisSession

COMPAT_DIR = Path(
    os.environ.get("OAS_COMPAT_0_1_0", Path(__file__).parents[2] / ".venv" / "compat" / "0.1.0")
)


@pytest.fixture(scope="module")
def v010() -> ModuleType:
    source = COMPAT_DIR / "openai_agents_session" / "redis.py"
    if not source.is_file():
        pytest.fail(
            f"0.1.0 is not installed at {COMPAT_DIR}; run `make test` (or set OAS_COMPAT_0_1_0)"
        )
    spec = importlib.util.spec_from_file_location("openai_agents_session_0_1_0_redis", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ITEMS = [
    {"role": "user", "content": 'héllo 🎉 "quoted" \\ back'},
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "4", "annotations": []}],
    },
    {"type": "function_call_output", "call_id": "c1", "output": '{"x": 1.5, "n": null}'},
]


async def test_we_read_what_0_1_0_wrote(
    v010: ModuleType, standalone_server: RedisServer, key_prefix: str
) -> None:
    """Items, order, limit and pop agree on a session written by 0.1.0."""
    async with redis_asyncio.from_url(standalone_server.url) as client:
        old = v010.RedisSession(session_id="u", redis_client=client, key_prefix=key_prefix, ttl=60)
        await old.add_items(ITEMS[:2])
        await old.add_items(ITEMS[2:])
        ours = RedisSession("u", client, key_prefix=key_prefix, ttl=60)
        assert ours.key == old._key
        assert await ours.get_items() == ITEMS
        assert await ours.get_items(limit=2) == ITEMS[1:]
        assert await ours.pop_item() == ITEMS[2]
        await ours.clear_session()


async def test_0_1_0_reads_what_we_wrote(
    v010: ModuleType, standalone_server: RedisServer, key_prefix: str
) -> None:
    """0.1.0 reads our compact JSON, with TTL and order intact, and can keep appending."""
    async with redis_asyncio.from_url(standalone_server.url) as client:
        ours = RedisSession("u", client, key_prefix=key_prefix, ttl=60)
        await ours.add_items(ITEMS)
        old = v010.RedisSession(session_id="u", redis_client=client, key_prefix=key_prefix, ttl=60)
        assert await old.get_items() == ITEMS
        assert await old.get_items(limit=1) == ITEMS[2:]
        await old.add_items([{"role": "user", "content": "from 0.1.0"}])
        assert (await ours.get_items())[-1] == {"role": "user", "content": "from 0.1.0"}
        assert await old.pop_item() == {"role": "user", "content": "from 0.1.0"}
        await old.clear_session()
        assert await ours.get_items() == []
