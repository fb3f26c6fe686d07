"""The Lua scripts shipped in ``lua/``, and how to run one on any client.

A script is known to every server by the SHA1 of its source, so one `LuaScript` serves every
client: nothing is registered per client, and nothing here keeps a client alive after its
user drops it. `run_script` sends EVALSHA and, on NOSCRIPT (a restarted server, or a failover
to one that has not seen the script), loads the script and sends it once more; nothing ran
the first time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from redis.exceptions import NoScriptError

if TYPE_CHECKING:
    from ._driver import RedisClient

__all__ = ["SCRIPTS", "LuaScript", "Scripts", "load_script", "run_script"]


@cache
def load_script(name: str) -> str:
    """Return the source of ``lua/<name>.lua``."""
    return resources.files(__package__).joinpath(f"lua/{name}.lua").read_text("utf-8")


@dataclass(frozen=True)
class LuaScript:
    """One shipped script: its source and the SHA1 that EVALSHA names it by."""

    name: str
    source: str
    sha: str

    @classmethod
    def named(cls, name: str) -> LuaScript:
        source = load_script(name)
        return cls(name, source, hashlib.sha1(source.encode()).hexdigest())


@dataclass(frozen=True)
class Scripts:
    """Every shipped script, by what it does."""

    write_items: LuaScript
    pop_item: LuaScript
    clear_session: LuaScript
    set_metadata: LuaScript
    index_session: LuaScript
    fork_session: LuaScript
    publish_session: LuaScript
    read_tail: LuaScript
    replace_suffix: LuaScript


SCRIPTS = Scripts(
    write_items=LuaScript.named("write_items"),
    pop_item=LuaScript.named("pop_item"),
    clear_session=LuaScript.named("clear_session"),
    set_metadata=LuaScript.named("set_metadata"),
    index_session=LuaScript.named("index_session"),
    fork_session=LuaScript.named("fork_session"),
    publish_session=LuaScript.named("publish_session"),
    read_tail=LuaScript.named("read_tail"),
    replace_suffix=LuaScript.named("replace_suffix"),
)


async def run_script(
    client: RedisClient, script: LuaScript, keys: Sequence[str], args: Sequence[bytes | str | int]
) -> Any:
    """Run ``script`` on ``client``, loading it first if the server has not seen it."""
    try:
        return await client.evalsha(script.sha, len(keys), *keys, *args)
    except NoScriptError:
        await client.script_load(script.source)
        return await client.evalsha(script.sha, len(keys), *keys, *args)
