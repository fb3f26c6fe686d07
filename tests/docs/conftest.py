"""Run the documentation's Python examples against private servers, as a reader would.

Every fenced ``python`` block of ``docs/**/*.md`` and ``README.md`` is run, or marked on the
line right before its fence with ``<!-- not-run: the reason -->``. The conventions:

- **One namespace per page.** A page's blocks run in order in one namespace, so a block may
  use what an earlier block of the page defined. Top-level ``await`` works, as in
  ``python -m asyncio``; all of a page's awaits share one event loop. A block that calls
  ``asyncio.run()`` runs its own.
- **Addresses.** Blocks name the servers a reader would run; while a page runs, those names
  resolve to the suite's private servers (``ADDRESSES``), and every other name or port,
  6379 on any other host included, fails to resolve.
- **DynamoDB.** ``localhost:8000``, where a reader runs DynamoDB Local, leads to the suite's
  DynamoDB Local. Every page runs with the credentials the docs tell a reader to export for it
  (``DOCS_AWS_CREDENTIALS``) and no AWS configuration file, so no example can find real AWS
  credentials. The tables a page creates are deleted afterwards.
- **Files.** A page runs in a temporary directory holding ``ca.pem``, the CA of the TLS test
  server, which is also the "system" CA (``SSL_CERT_FILE``).
- **Models.** ``Agent(name=..., instructions=...)`` answers with the offline model of
  ``openai_agents_session.demo._offline_model`` (the SDK's default model provider is patched), and
  tracing is off: nothing leaves the machine and no API key is needed.
- **Cleanup.** Afterwards the harness closes every client a page left open, deletes the keys
  the page created and the ACL users it added, and removes the extra password it gave the
  password server.
- **Snippets.** A ``--8<-- "path"`` line (pymdownx.snippets) is replaced by that file, so the
  code that is run is the code the site shows.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import ipaddress
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as redis_asyncio
from agents import set_tracing_disabled
from agents.models.multi_provider import MultiProvider
from dynamodb_servers import DynamoDBLocal, dynamodb_client
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel
from servers import ClusterServers, RedisServer, SentinelServers, TlsFiles

from openai_agents_session.demo._offline_model import OfflineModel

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted(ROOT.glob("docs/**/*.md")), ROOT / "README.md"]
# pycon is collected too: a REPL transcript cannot run, so it must carry a not-run reason.
PYTHON_LANGUAGES = {"python", "py", "python3", "pycon"}
# The password the docs show for the password server; added to its default user for a page.
DOCS_PASSWORD = "password"
# What the DynamoDB page tells a reader to export for DynamoDB Local, which accepts any
# credentials (access key ids of letters and digits).
DOCS_AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
# Where else botocore looks for credentials and settings: none of them may reach a page.
_AWS_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)

# What the docs connect to -> the fixture that starts the server behind it. A page starts
# only the servers whose address its runnable code names.
ADDRESSES: dict[tuple[str, int], str] = {
    ("localhost", 6379): "standalone",
    ("localhost", 6380): "tls",
    ("localhost", 6381): "password",
    ("redis-cluster", 7000): "cluster",  # not "localhost": redis-py resolves that one itself
    ("sentinel1", 26379): "sentinel",
    ("sentinel2", 26379): "sentinel",
    ("sentinel3", 26379): "sentinel",
    ("localhost", 8000): "dynamodb",  # DynamoDB Local's default port
}

_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_SNIPPET = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+["'](?P<path>[^"']+)["'][ \t]*$""")


@dataclass(frozen=True)
class Block:
    """One fenced Python block of a Markdown file."""

    path: Path
    line: int
    """The line of its first line of code, counted from 1."""
    code: str
    not_run: str | None
    """The reason given by a ``not-run`` marker, or None when the block is run."""

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


@dataclass(frozen=True)
class Marker:
    """A ``not-run`` comment, and whether a Python fence follows it on the next line."""

    path: Path
    line: int
    reason: str
    before_python: bool


def _expand_snippets(code: str) -> str:
    lines = []
    for line in code.splitlines(keepends=True):
        match = _SNIPPET.match(line)
        lines.append((ROOT / match["path"]).read_text(encoding="utf-8") if match else line)
    return "".join(lines)


def parse_markdown(path: Path) -> tuple[list[Block], list[Marker]]:
    """Return the Python blocks of ``path`` and its ``not-run`` markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    markers: list[Marker] = []
    index = 0
    while index < len(lines):
        marker = _NOT_RUN.match(lines[index])
        if marker:
            following = _FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
            is_python = following is not None and following["info"].lower() in PYTHON_LANGUAGES
            markers.append(Marker(path, index + 1, marker["reason"].strip(), is_python))
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, opening = fence["indent"], fence["fence"]
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(opening[0] * len(opening)) and not closing.strip(opening[0]):
                break
            end += 1
        if fence["info"].lower() in PYTHON_LANGUAGES:
            body = [
                line[len(indent) :] if line.startswith(indent) else line.lstrip()
                for line in lines[index + 1 : end]
            ]
            before = _NOT_RUN.match(lines[index - 1]) if index > 0 else None
            blocks.append(
                Block(
                    path,
                    index + 2,
                    _expand_snippets("\n".join(body) + "\n"),
                    before["reason"].strip() if before else None,
                )
            )
        index = end + 1
    return blocks, markers


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --------------------------------------------------------------------------------------------
# Servers behind the documented addresses
# --------------------------------------------------------------------------------------------


def _needed(blocks: list[Block]) -> set[str]:
    code = "\n".join(block.code for block in blocks if block.not_run is None)
    kinds = {"standalone"}
    for (host, port), kind in ADDRESSES.items():
        # A URL's query holds an endpoint percent-encoded: localhost%3A8000.
        if any(
            form in code for form in (f"{host}:{port}", f'"{host}", {port}', f"{host}%3A{port}")
        ):
            kinds.add(kind)
    return kinds


@dataclass
class DocsServers:
    """The servers one page needs, and where each documented address leads."""

    routes: dict[tuple[str, int], tuple[str, int]]
    data_nodes: list[RedisServer]
    standalone: RedisServer
    password: RedisServer | None
    dynamodb: DynamoDBLocal | None = None


def _start(request: pytest.FixtureRequest, kinds: set[str]) -> DocsServers:
    fixture = request.getfixturevalue
    servers: dict[str, list[RedisServer]] = {}
    standalone: RedisServer = fixture("standalone_server")
    servers["standalone"] = [standalone]
    password: RedisServer | None = None
    if "tls" in kinds:
        servers["tls"] = [fixture("tls_server")]
    if "password" in kinds:
        password = fixture("password_server")
        servers["password"] = [password]
    if "cluster" in kinds:
        cluster: ClusterServers = fixture("cluster_servers")
        servers["cluster"] = cluster.nodes
    sentinel_addresses: list[tuple[str, int]] = []
    if "sentinel" in kinds:
        sentinels: SentinelServers = fixture("sentinel_servers")
        servers["sentinel"] = [sentinels.master, sentinels.replica]
        sentinel_addresses = sentinels.sentinel_addresses
    routes: dict[tuple[str, int], tuple[str, int]] = {}
    dynamodb: DynamoDBLocal | None = None
    if "dynamodb" in kinds:
        dynamodb = fixture("dynamodb_local")
        routes[("localhost", 8000)] = (dynamodb.host, dynamodb.port)
    sentinel_index = 0
    for address, kind in ADDRESSES.items():
        if kind not in servers:
            continue
        if kind == "sentinel":
            routes[address] = sentinel_addresses[sentinel_index]
            sentinel_index += 1
        else:
            node = servers[kind][0]
            routes[address] = (node.host, node.port)
    data_nodes = [node for nodes in servers.values() for node in nodes]
    return DocsServers(routes, data_nodes, standalone, password, dynamodb)


def _resolver(
    routes: dict[tuple[str, int], tuple[str, int]], original: Callable[..., Any]
) -> Callable[..., Any]:
    """A ``socket.getaddrinfo`` that resolves the documented addresses to the test servers.

    IP addresses pass (the servers report theirs, e.g. Sentinel for its master), except on
    port 6379; every other name fails as an unknown host would.
    """

    def getaddrinfo(
        host: str | bytes | None,
        port: str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        number = int(port) if port is not None else 0
        target = routes.get((name, number))
        if target is not None:
            return original(target[0], target[1], family, type, proto, flags)
        try:
            is_ip = ipaddress.ip_address(name) is not None
        except ValueError:
            is_ip = False
        if is_ip and number != 6379:
            return original(host, port, family, type, proto, flags)  # the servers themselves
        known = ", ".join(f"{h}:{p}" for h, p in routes)
        raise socket.gaierror(
            socket.EAI_NONAME, f"{name}:{number} is none of the docs' servers ({known})"
        )

    return getaddrinfo


def _admin(node: RedisServer, database: int = 0) -> redis.Redis:
    """A sync client of ``node`` on ``database``, with the node's credentials and TLS.

    Replies stay bytes: a key another test wrote may not be UTF-8.
    """
    with node.client() as template:
        pool = template.connection_pool
        kwargs = {**pool.connection_kwargs, "db": database, "decode_responses": False}
    # from_pool: the client owns the pool, so closing the client closes its connections.
    return redis.Redis.from_pool(redis.ConnectionPool(pool.connection_class, **kwargs))


def _databases(servers: DocsServers) -> list[tuple[RedisServer, int]]:
    """Every database a page may write to: the docs select database 1 of the standalone."""
    return [(servers.standalone, 1)] + [(node, 0) for node in servers.data_nodes]


def _keys(node: RedisServer, database: int) -> set[bytes]:
    with _admin(node, database) as conn:
        if conn.role()[0] != "master":
            return set()
        return set(conn.scan_iter(count=1000))


def _delete_new_keys(node: RedisServer, database: int, before: set[bytes]) -> None:
    with _admin(node, database) as conn:
        for key in _keys(node, database) - before:
            conn.delete(key)


async def _list_tables(server: DynamoDBLocal) -> set[str]:
    names: set[str] = set()
    async with dynamodb_client(server) as client:
        async for page in client.get_paginator("list_tables").paginate():
            names.update(page.get("TableNames", []))
    return names


async def _delete_new_tables(server: DynamoDBLocal, before: set[str]) -> None:
    new = await _list_tables(server) - before
    async with dynamodb_client(server) as client:
        for name in sorted(new):
            await client.delete_table(TableName=name)


def _acl_users(node: RedisServer) -> set[str]:
    with node.client() as conn:
        return {str(user) for user in conn.acl_users()}


# --------------------------------------------------------------------------------------------
# Running a page
# --------------------------------------------------------------------------------------------


class ExampleError(AssertionError):
    """A documented example failed; the message names the file and line of its block."""


def _closables(namespace: dict[str, Any]) -> list[Any]:
    from openai_agents_session import DynamoDBSession, RedisSession, RedisSessionStore

    kinds = (
        redis_asyncio.Redis,
        RedisCluster,
        Sentinel,
        RedisSession,
        RedisSessionStore,
        DynamoDBSession,
    )
    return [value for value in namespace.values() if isinstance(value, kinds)]


async def _close(resources: list[Any]) -> None:
    for resource in resources:
        if isinstance(resource, Sentinel):
            for client in resource.sentinels:
                await client.aclose()
        elif isinstance(resource, redis_asyncio.Redis | RedisCluster):
            await resource.aclose()
        else:
            await resource.close()


def run_blocks(blocks: list[Block]) -> None:
    """Run ``blocks`` in order in one namespace and one event loop, as described above."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    opened: dict[int, Any] = {}
    loop = asyncio.new_event_loop()
    try:
        for block in blocks:
            # Blank lines first, so a traceback names the Markdown file's own line numbers.
            source = "\n" * (block.line - 1) + block.code
            try:
                code = compile(
                    source,
                    str(block.path),
                    "exec",
                    flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                    dont_inherit=True,
                )
                result = eval(code, namespace)
                if inspect.iscoroutine(result):
                    loop.run_until_complete(result)
            except Exception as exc:
                raise ExampleError(f"the example at {block.where} failed: {exc!r}") from exc
            for resource in _closables(namespace):
                opened.setdefault(id(resource), resource)
    finally:
        loop.run_until_complete(_close(list(opened.values())))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.fixture
def offline_agents(monkeypatch: pytest.MonkeyPatch) -> Iterator[OfflineModel]:
    """Make agents without a model of their own answer offline, and turn tracing off."""
    model = OfflineModel()

    def get_model(self: MultiProvider, model_name: str | None) -> OfflineModel:
        return model

    monkeypatch.setattr(MultiProvider, "get_model", get_model)
    set_tracing_disabled(True)
    try:
        yield model
    finally:
        set_tracing_disabled(False)


@pytest.fixture
def docs_environment(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    offline_agents: OfflineModel,
) -> Iterator[Callable[[list[Block]], None]]:
    """Return a function that runs a page's blocks against the servers they name."""
    started: list[DocsServers] = []
    keys_before: list[tuple[RedisServer, int, set[bytes]]] = []
    users_before: list[set[str]] = []
    tables_before: list[tuple[DynamoDBLocal, set[str]]] = []

    def run(blocks: list[Block]) -> None:
        servers = _start(request, _needed(blocks))
        started.append(servers)
        for node, database in _databases(servers):
            keys_before.append((node, database, _keys(node, database)))
        users_before.append(_acl_users(servers.standalone))
        if servers.dynamodb is not None:
            tables_before.append((servers.dynamodb, asyncio.run(_list_tables(servers.dynamodb))))
        for name in _AWS_ENVIRONMENT:
            monkeypatch.delenv(name, raising=False)
        for name, value in DOCS_AWS_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        if servers.password is not None:
            with servers.password.client() as conn:
                conn.execute_command("ACL", "SETUSER", "default", f">{DOCS_PASSWORD}")
        if ("localhost", 6380) in servers.routes:
            tls_files: TlsFiles = request.getfixturevalue("tls_files")
            shutil.copy(tls_files.ca_cert, tmp_path / "ca.pem")
            monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca_cert))
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(socket, "getaddrinfo", _resolver(servers.routes, socket.getaddrinfo))
        run_blocks(blocks)

    try:
        yield run
    finally:
        monkeypatch.undo()  # the real resolver again, before cleaning up
        for server, tables in tables_before:
            asyncio.run(_delete_new_tables(server, tables))
        for node, database, before in keys_before:
            _delete_new_keys(node, database, before)
        for servers, before_users in zip(started, users_before, strict=True):
            with servers.standalone.client() as conn:
                for user in _acl_users(servers.standalone) - before_users:
                    conn.acl_deluser(user)
            if servers.password is not None:
                with servers.password.client() as conn:
                    conn.execute_command("ACL", "SETUSER", "default", f"<{DOCS_PASSWORD}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every test that asks for ``page`` one run per Markdown file of the docs."""
    if "page" in metafunc.fixturenames:
        metafunc.parametrize("page", PAGES, ids=page_id)


@pytest.fixture
def markdown() -> Callable[[Path], tuple[list[Block], list[Marker]]]:
    """The collector: a Markdown file's Python blocks and ``not-run`` markers."""
    return parse_markdown
