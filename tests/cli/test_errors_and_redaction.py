"""Exit codes, one-line errors, passwords never printed, and the commands outside the store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from cli.support import FakeTerminal, Run, Store
from clients import PASSWORD
from servers import RedisServer, TlsFiles, free_port

from openai_agents_session import __version__
from openai_agents_session.redis import acl_rules

standalone = pytest.mark.parametrize("topology", ["standalone"], indirect=True)


def password_url(server: RedisServer, port: int | None = None) -> str:
    return f"redis://:{PASSWORD}@127.0.0.1:{port or server.port}"


def test_refused_connection_is_one_line_with_the_password_redacted(
    run: Run, password_server: RedisServer
) -> None:
    """Nothing listens on the port: exit 1, the URL shown with ***, never the password."""
    port = free_port()

    result = run("ls", "--url", password_url(password_server, port))

    assert result.code == 1
    assert result.out == ""
    assert (
        result.err
        == f"error: cannot connect to redis://:***@127.0.0.1:{port}: Connection refused\n"
    )


def test_refused_connection_traceback_with_debug_is_redacted_too(
    run: Run, password_server: RedisServer
) -> None:
    """--debug adds the traceback; the password appears nowhere in it either."""
    result = run("--debug", "info", "x", "--url", password_url(password_server, free_port()))

    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert result.err.endswith("Connection refused\n")
    assert PASSWORD not in result.err + result.out


def test_wrong_password_is_refused_without_echoing_either_password(
    run: Run, password_server: RedisServer
) -> None:
    """A wrong password: exit 1, the server's reason, neither password printed."""
    wrong = "not-the-" + PASSWORD
    url = f"redis://default:{quote(wrong)}@127.0.0.1:{password_server.port}"

    result = run("ls", "--url", url)

    assert result.code == 1
    assert result.err.startswith("error: cannot connect to redis://default:***@127.0.0.1:")
    assert wrong not in result.err and PASSWORD not in result.err


def test_password_from_redis_url_is_redacted_in_outputs(
    run: Run, password_server: RedisServer, monkeypatch: pytest.MonkeyPatch, key_prefix: str
) -> None:
    """REDIS_URL with a password: the rm question and the migrate line show *** only."""
    monkeypatch.setenv("REDIS_URL", password_url(password_server))
    monkeypatch.setattr("sys.stdin", FakeTerminal("n\n"))

    asked = run("rm", "some-session", "--prefix", key_prefix)
    migrated = run(
        "migrate", "--from", f"sdk-redis:{password_url(password_server)}", "--dry-run",
        "--from-prefix", f"{key_prefix}-sdk", "--prefix", key_prefix,
    )  # fmt: skip

    assert f"at redis://:***@127.0.0.1:{password_server.port}?" in asked.err
    assert migrated.code == 0, migrated.err
    assert f"sdk-redis:redis://:***@127.0.0.1:{password_server.port}" in migrated.err
    for result in (asked, migrated):
        assert PASSWORD not in result.out + result.err


def test_a_password_in_a_bad_source_is_redacted_in_the_usage_error(run: Run) -> None:
    """A usage error quoting the source hides its password."""
    result = run("migrate", "--from", "sdk-redis:http://u:hunter22@host", "--url", "redis://x")

    assert result.code == 2
    assert "sdk-redis:http://u:***@host" in result.err
    assert "hunter22" not in result.err


def test_without_a_url_the_command_says_how_to_give_one(run: Run) -> None:
    """Neither --url nor REDIS_URL: exit 1 and one line."""
    result = run("ls")

    assert result.code == 1
    assert result.err == "error: no store URL given; pass --url or set REDIS_URL\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ls", "--bogus"], "error: No such option '--bogus'."),
        (["nope"], "error: No such command 'nope'."),
        (["ls", "--limit", "0"], "0 is not in the range x>=1"),
        (["rm"], "Missing argument 'ID...'"),
        (["ls", "--sort", "name"], "'name' is not one of 'idle', 'size', 'updated'"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_line(run: Run, argv: list[str], message: str) -> None:
    """A command line that does not parse: exit 2, usage, and what is wrong."""
    result = run(*argv)

    assert result.code == 2
    assert result.err.startswith("usage: openai-agents-session")
    assert message in result.err


def test_version_and_help(run: Run) -> None:
    """--version prints the version; --help lists every command; both exit 0."""
    version = run("--version")
    helped = run("--help")

    assert (version.code, version.out) == (0, f"openai-agents-session {__version__}\n")
    assert helped.code == 0
    for command in ("ls", "show", "info", "rm", "fork", "export", "import", "migrate", "demo"):
        assert f"\n  {command} " in helped.out


def test_demo_runs_against_the_given_url_without_printing_its_password(
    run: Run, password_server: RedisServer
) -> None:
    """demo --url holds the conversation there; the password is never printed."""
    result = run("demo", "--url", password_url(password_server))

    assert result.code == 0, result.err
    assert "The agent remembered every turn." in result.out
    assert PASSWORD not in result.out + result.err


def test_tls_through_the_url(
    run: Run, tls_server: RedisServer, tls_files: TlsFiles, key_prefix: str
) -> None:
    """rediss:// with the CA in the URL lists sessions; without the CA the server is refused."""
    with tls_server.client() as client:
        client.rpush(f"{key_prefix}:secure", '{"role":"user","content":"x"}')
        try:
            url = f"rediss://127.0.0.1:{tls_server.port}"
            trusted = run(
                "ls",
                "--json",
                "--prefix",
                key_prefix,
                "--url",
                f"{url}?ssl_ca_certs={tls_files.ca_cert}",
            )
            untrusted = run("ls", "--prefix", key_prefix, "--url", url)
        finally:
            client.delete(f"{key_prefix}:secure")

    assert trusted.code == 0, trusted.err
    assert json.loads(trusted.out)["session_id"] == "secure"
    assert untrusted.code == 1
    assert untrusted.err.startswith(f"error: cannot connect to {url}: ")
    assert "certificate verify failed" in untrusted.err.lower()


@pytest.fixture
def operator_url(standalone_server: RedisServer, key_prefix: str) -> Iterator[str]:
    """A user with only the rules acl_rules(operator=True) grants, on the standalone server."""
    user, password = f"operator-{uuid.uuid4().hex[:8]}", "operator-pw-1"
    with standalone_server.client() as admin:
        rules = acl_rules(key_prefix, operator=True).split()
        admin.execute_command("ACL", "SETUSER", user, "on", f">{password}", *rules)
        try:
            yield f"redis://{user}:{password}@127.0.0.1:{standalone_server.port}"
        finally:
            admin.execute_command("ACL", "DELUSER", user)


@standalone
def test_every_store_command_works_with_the_operator_acl(
    run: Run, store: Store, operator_url: str, tmp_path: Path
) -> None:
    """ls, show, info, fork, export, rm and import need nothing beyond acl_rules(operator=True)."""
    store.write({"a": [{"role": "user", "content": "hi"}]}, owner="ada", title="A")
    args = ["--url", operator_url, "--prefix", store.prefix]
    file = str(tmp_path / "out.jsonl")

    results = [
        run("ls", *args),
        run("ls", "--owner", "ada", "--sort", "size", *args),
        run("show", "a", *args),
        run("info", "a", *args),
        run("fork", "a", "b", *args),
        run("export", "-o", file, *args),
        run("rm", "--yes", "a", "b", *args),
        run("import", file, *args),
    ]

    for result in results:
        assert result.code == 0, result.err
    assert store.ids() == {"a", "b"}
    assert "operator-pw-1" not in "".join(result.out + result.err for result in results)


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_empty_prefix_is_a_usage_error_naming_the_prefix(run: Run, where: str) -> None:
    """--prefix '' is the culprit, not the URL: exit 2 and a line about --prefix."""
    options = ["--url", "redis://127.0.0.1:1", "--prefix", ""]
    result = run(*options, "ls") if where == "before" else run("ls", *options)

    assert result.code == 2
    assert "Invalid value for '--prefix': must not be empty" in result.err
    assert "URL" not in result.err.splitlines()[-1]


@standalone
def test_a_database_index_the_server_refuses_names_the_redacted_url(
    run: Run, store: Store, password_server: RedisServer
) -> None:
    """'DB index is out of range' comes with the URL it is about, password hidden."""
    url = f"{password_url(password_server)}/99"
    result = run("ls", "--url", url)

    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"error: redis://:***@127.0.0.1:{password_server.port}/99")
    assert "out of range" in result.err
    assert PASSWORD not in result.err


@standalone
def test_a_tls_url_to_a_plain_text_server_gets_a_tls_hint(
    run: Run, store: Store, standalone_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rediss:// to a server without TLS: one line that says to use redis:// instead."""
    monkeypatch.setattr("openai_agents_session.cli._target.SOCKET_TIMEOUT_S", 1.0)
    url = f"rediss://127.0.0.1:{standalone_server.port}"
    result = run("ls", "--url", url)

    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"error: cannot connect to {url}: ")
    assert "if the server does not speak TLS, use redis://" in result.err
