"""The command line talks to stores: no driver of its own, the target in the URL, global options."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli.support import Run, Store
from servers import ClusterServers, RedisServer, free_port

import openai_agents_session.cli

standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)
both = pytest.mark.parametrize("topology", ["standalone", "cluster"], indirect=True)

CLI_DIR = Path(openai_agents_session.cli.__file__).parent

# Runs the real main() with redis-py made impossible to import, as without the extra.
WITHOUT_REDIS = """
import sys

class RefuseRedis:
    def find_spec(self, name, path=None, target=None):
        if name == "redis" or name.startswith("redis."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, RefuseRedis())
from openai_agents_session.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_redis(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_REDIS, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add("." * node.level + node.module)
    return names


def test_no_module_of_the_command_line_imports_a_driver_or_a_backend() -> None:
    """cli/ imports neither redis-py nor a backend package: stores come from open_store."""
    offenders = {
        f"{path.name}: {name}"
        for path in sorted(CLI_DIR.glob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] == "redis" or name.lstrip(".").split(".")[0] == "redis"
    }

    assert offenders == set()


def test_help_works_without_the_driver() -> None:
    """--help needs no backend driver."""
    result = run_without_redis("--help")

    assert result.returncode == 0, result.stderr
    assert "usage: openai-agents-session" in result.stdout


def test_a_missing_driver_is_one_line_naming_the_extra() -> None:
    """Without redis-py a redis:// command exits 1 with one line: the extra to install."""
    result = run_without_redis("ls", "--url", f"redis://127.0.0.1:{free_port()}")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: 'redis' is not installed; install it with "
        'pip install "openai-agents-session[redis]"\n'
    )


def test_export_of_a_sqlite_migration_dry_run_needs_no_driver_until_the_store(
    tmp_path: Path,
) -> None:
    """A sqlite source is read without redis-py; only the redis:// destination needs it."""
    result = run_without_redis(
        "migrate", "--from", f"sqlite:{tmp_path / 'none.db'}", "--url", "redis://127.0.0.1:1"
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_the_cli_extra_installs_the_default_backend() -> None:
    """pip install "openai-agents-session[cli]" alone gives a CLI that reaches Redis."""
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    text = pyproject.read_text()
    cli_line = next(line for line in text.splitlines() if line.startswith("cli = "))

    assert "openai-agents-session[redis]" in cli_line


@both
def test_the_cluster_is_named_by_the_url(run: Run, store: Store) -> None:
    """redis+cluster:// lists the sessions of every node; plain redis:// only on standalone."""
    ids = store.fill(60)

    result = run("ls", "--json", "--url", store.target, "--prefix", store.prefix)

    assert result.code == 0, result.err
    assert {json.loads(line)["session_id"] for line in result.lines} == ids


@pytest.mark.parametrize("command", ["ls", "migrate"])
def test_the_cluster_flags_are_gone(run: Run, command: str) -> None:
    """--cluster and --from-cluster are no options any more: the URL says it."""
    flag = "--from-cluster" if command == "migrate" else "--cluster"

    result = run(command, flag, "--url", "redis://127.0.0.1:1")

    assert result.code == 2
    assert f"error: No such option '{flag}'" in result.err


def test_a_cluster_node_named_by_a_plain_url_is_refused(
    run: Run, cluster_servers: ClusterServers
) -> None:
    """A plain client on a cluster node would see a third of the sessions: exit 1."""
    url = cluster_servers.url

    result = run("ls", "--url", url)

    assert result.code == 1
    assert result.err == (
        f"error: {url}: the server is a node of a Redis Cluster; use a redis+cluster:// URL\n"
    )


@both
def test_migrate_reads_an_sdk_redis_cluster_source(run: Run, store: Store) -> None:
    """sdk-redis:redis+cluster://... reads the SDK's keys on every node."""
    result = run(
        "migrate", "--from", f"sdk-redis:{store.target}", "--from-prefix", f"{store.prefix}-sdk",
        "--dry-run", *store.args(),
    )  # fmt: skip

    assert result.code == 0, result.err
    assert result.out.startswith("would migrate 0 sessions")


@standalone
@pytest.mark.parametrize("before", [True, False])
def test_store_options_work_before_and_after_the_command(
    run: Run, store: Store, before: bool
) -> None:
    """--url and --prefix may come before the command, as global options, or after it."""
    store.fill(3)
    options = ["--url", store.target, "--prefix", store.prefix]

    result = run(*options, "ls", "--json") if before else run("ls", "--json", *options)

    assert result.code == 0, result.err
    assert len(result.lines) == 3


@standalone
def test_an_option_after_the_command_wins_over_one_before(run: Run, store: Store) -> None:
    """Given twice, the option nearer the command's arguments wins."""
    store.fill(2)

    result = run("--prefix", "elsewhere", "--url", "redis://127.0.0.1:1", "ls", *store.args())

    assert result.code == 0, result.err
    assert len(result.lines) == 3  # header and two rows


def test_the_url_before_the_command_is_used_for_demo_too(run: Run) -> None:
    """A global --url reaches demo as well."""
    port = free_port()

    result = run("--url", f"redis://127.0.0.1:{port}", "demo")

    assert result.code == 1
    assert f"redis://127.0.0.1:{port}" in result.err


def test_reads_leave_idle_times_alone_on_a_server_with_no_touch(
    run: Run, valkey_server: RedisServer, key_prefix: str, tmp_path: Path
) -> None:
    """On Valkey, export reads every session and ls --sort idle still sees the old idle times."""
    with valkey_server.client() as client:
        client.rpush(f"{key_prefix}:stale", '{"role":"user","content":"x"}')
        try:
            time.sleep(2.2)  # OBJECT IDLETIME counts whole seconds
            args = ["--url", valkey_server.url, "--prefix", key_prefix]
            exported = run("export", "-o", str(tmp_path / "out.jsonl"), *args)
            listed = run("ls", "--json", "--sort", "idle", *args)
        finally:
            client.delete(f"{key_prefix}:stale")

    assert exported.code == 0, exported.err
    assert listed.code == 0, listed.err
    assert json.loads(listed.out)["idle_seconds"] >= 2


@standalone
def test_idle_is_unknown_and_unsortable_on_a_server_without_no_touch(
    run: Run, store: Store
) -> None:
    """Redis 7.0 has no CLIENT NO-TOUCH: idle is null, and --sort idle says what to use."""
    store.fill(2)

    listed = run("ls", "--json", *store.args())
    info = run("info", "s00000", "--json", *store.args())
    sorted_ = run("ls", "--sort", "idle", *store.args())

    assert {json.loads(line)["idle_seconds"] for line in listed.lines} == {None}
    assert json.loads(info.out)["idle_seconds"] is None
    assert sorted_.code == 1
    assert sorted_.err == (
        "error: the server does not report idle times the command line's own reads leave "
        "alone (CLIENT NO-TOUCH needs Redis 7.2 or Valkey); use --sort updated\n"
    )
