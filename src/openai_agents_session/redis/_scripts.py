"""Load the Lua scripts shipped in ``lua/`` and register them once per client.

redis-py's registered scripts send EVALSHA and reload the script on NOSCRIPT (after a restart
or a failover to a server that has not seen it), so callers never handle either.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from ._driver import RedisClient

__all__ = ["Scripts", "load_script", "scripts_for"]


@cache
def load_script(name: str) -> str:
    """Return the source of ``lua/<name>.lua``."""
    return resources.files(__package__).joinpath(f"lua/{name}.lua").read_text("utf-8")


@dataclass(frozen=True)
class Scripts:
    """The scripts registered on one client."""

    write_items: AsyncScript
    pop_item: AsyncScript
    clear_session: AsyncScript
    set_metadata: AsyncScript
    index_session: AsyncScript
    fork_session: AsyncScript
    publish_session: AsyncScript
    read_tail: AsyncScript
    replace_suffix: AsyncScript


_registered: weakref.WeakKeyDictionary[RedisClient, Scripts] = weakref.WeakKeyDictionary()


def scripts_for(client: RedisClient) -> Scripts:
    """Return the scripts registered on ``client``, registering them on first use."""
    scripts = _registered.get(client)
    if scripts is None:
        scripts = Scripts(
            write_items=client.register_script(load_script("write_items")),
            pop_item=client.register_script(load_script("pop_item")),
            clear_session=client.register_script(load_script("clear_session")),
            set_metadata=client.register_script(load_script("set_metadata")),
            index_session=client.register_script(load_script("index_session")),
            fork_session=client.register_script(load_script("fork_session")),
            publish_session=client.register_script(load_script("publish_session")),
            read_tail=client.register_script(load_script("read_tail")),
            replace_suffix=client.register_script(load_script("replace_suffix")),
        )
        _registered[client] = scripts
    return scripts
