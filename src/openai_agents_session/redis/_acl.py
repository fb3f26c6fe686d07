"""The least-privilege Redis ACL for an application user of RedisSession."""

from __future__ import annotations

from ._keys import DEFAULT_KEY_PREFIX

__all__ = ["acl_rules"]

# Sent by the client: reads, pops, the scripts (and loading them after a restart), the
# wrong-type diagnosis, WAIT for the durability option, PING for health checks, metadata
# reads, and the owner index where it cannot be updated by a script (a cluster).
_CLIENT_COMMANDS = (
    "evalsha",
    "script|load",
    "lrange",
    "rpop",
    "type",
    "wait",
    "ping",
    "hgetall",
    "zadd",
    "zrem",
)
# Run inside the Lua scripts: ACLs apply to these too.
_SCRIPT_COMMANDS = (
    "rpush",
    "expire",
    "lpos",
    "llen",
    "lindex",
    "lpush",
    "ltrim",
    "del",
    "hget",
    "hset",
    "hsetnx",
    "hdel",
    "time",
)
# What RedisSessionStore (and the command line) adds: listing, inspecting, forking,
# exporting and importing, with the scripts' own commands.
_OPERATOR_COMMANDS = (
    "scan",
    "exists",
    "ttl",
    "memory|usage",
    "object|idletime",
    "zrevrange",
    "copy",
    "rename",
    "persist",
)
# What a RedisCluster client needs to discover the nodes and to route commands.
_CLUSTER_COMMANDS = ("cluster|slots", "cluster|shards", "command", "readonly")


def acl_rules(
    key_prefix: str = DEFAULT_KEY_PREFIX, *, cluster: bool = False, operator: bool = False
) -> str:
    """Return the ACL rules a RedisSession user needs, and nothing more.

    Use them as ``ACL SETUSER <name> on ><password> <rules>``. Keys are limited to the
    session lists (``<prefix>:*``) and their batch-id companions (``{<prefix>:*``), which
    live in the list's cluster slot. Session ids that contain ``}`` without a valid hash tag
    put their companion under a numeric tag and need ``~{*`` as well.

    Args:
        key_prefix: The ``key_prefix`` the sessions use.
        cluster: Add what a ``RedisCluster`` client needs to discover the cluster.
        operator: Add what ``RedisSessionStore`` and the command line need: listing,
            inspecting, forking, exporting and importing sessions.

    Returns:
        The rules, space-separated, starting from no permissions at all.
    """
    commands: tuple[str, ...] = _CLIENT_COMMANDS + _SCRIPT_COMMANDS
    commands += _OPERATOR_COMMANDS if operator else ()
    commands += _CLUSTER_COMMANDS if cluster else ()
    rules = ["resetkeys", "resetchannels", "-@all", *(f"+{command}" for command in commands)]
    rules += [f"~{key_prefix}:*", f"~{{{key_prefix}:*"]  # lists; companions and owner indexes
    return " ".join(rules)
