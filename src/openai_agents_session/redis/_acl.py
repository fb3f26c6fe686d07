"""The least-privilege Redis ACL for an application user of RedisSession."""

from __future__ import annotations

from ._keys import DEFAULT_KEY_PREFIX

__all__ = ["acl_rules"]

# Sent by the client: reads, the scripts (and loading them after a restart), the wrong-type
# diagnosis, WAIT for the durability option, PING for health checks, metadata reads, and the
# owner index where a script cannot reach it (another slot on a cluster, a previous owner).
_CLIENT_COMMANDS = (
    "evalsha",
    "script|load",
    "lrange",
    "type",
    "wait",
    "ping",
    "hgetall",
    "zrem",
)
# Run inside the Lua scripts: ACLs apply to these too.
_SCRIPT_COMMANDS = (
    "rpush",
    "rpop",
    "llen",
    "lindex",
    "ltrim",
    "exists",
    "expire",
    "pexpire",
    "pttl",
    "persist",
    "del",
    "hget",
    "hmget",
    "hset",
    "hdel",
    "hexists",
    "zadd",
    "time",
)
# What RedisSessionStore (and the command line) adds: listing, inspecting, forking,
# exporting and importing, with the scripts' own commands.
_OPERATOR_COMMANDS = (
    "scan",
    "ttl",
    "memory|usage",
    "object|idletime",
    "zrevrange",
    "copy",
    "rename",
    "hsetnx",
)
# What a RedisCluster client needs to discover the nodes and to route commands.
_CLUSTER_COMMANDS = ("cluster|slots", "cluster|shards", "command", "readonly")


def acl_rules(
    key_prefix: str = DEFAULT_KEY_PREFIX, *, cluster: bool = False, operator: bool = False
) -> str:
    """Return the ACL rules a RedisSession user needs, and nothing more.

    Use them as ``ACL SETUSER <name> on ><password> <rules>``. Keys are limited to
    ``<prefix>:*``: the session lists and every key the library keeps beside them.

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
    rules.append(f"~{key_prefix}:*")
    return " ".join(rules)
