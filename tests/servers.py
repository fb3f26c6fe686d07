"""Start and stop real ``redis-server`` processes (standalone, TLS, ACL, cluster, Sentinel).

The suite tests against real servers rather than mocks, because the behaviour that matters
(MOVED redirects, failover, TLS verification, ACL denials) only exists in a real server.
Every process is started in its own session and stopped by pid; any helper that fails part way
stops what it already started before raising. Port 6379 is never used.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.crc import key_slot
from redis.retry import Retry

from openai_agents_session.demo._local_server import find_server_binary
from openai_agents_session.errors import MissingDependencyError

HOST = "127.0.0.1"
_LOG = "redis.log"
_STDOUT = "stdout.log"
_READY_TIMEOUT = 10.0
_PORT_ATTEMPTS = 3
_handed_out: set[int] = set()


class ServerStartError(RuntimeError):
    """A server could not be started; the message carries the tail of its log."""


class _PortInUseError(ServerStartError):
    """The chosen port was taken between ``free_port()`` and the server's bind."""


def redis_server_binary() -> str:
    """Return ``redis-server`` from PATH, else the embedded engine, or explain how to get one."""
    try:
        return find_server_binary()
    except MissingDependencyError as exc:
        raise ServerStartError(str(exc)) from exc


def cli_binary() -> str:
    """Return ``redis-cli`` from PATH, else the CLI beside the server binary in use."""
    found = shutil.which("redis-cli")
    if found:
        return found
    beside = Path(redis_server_binary()).parent / "valkey-cli"
    if beside.is_file():
        return str(beside)
    raise ServerStartError("redis-cli not found on PATH: install Debian's redis-tools")


def free_port() -> int:
    """Return a free loopback TCP port, never 6379 and never one handed out before."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port != 6379 and port not in _handed_out:
            _handed_out.add(port)
            return port
    raise ServerStartError("could not find a free TCP port on 127.0.0.1")


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05, message: str
) -> None:
    """Poll ``predicate`` until it is true; probing beats fixed sleeps for speed and stability.

    Raises:
        TimeoutError: with ``message`` when ``timeout`` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(message)
        time.sleep(interval)


@dataclass
class TlsFiles:
    """A throwaway CA with a server and a client certificate signed by it."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


_OPENSSL_CNF = """\
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


def _openssl(directory: Path, command: str, *extra: str) -> None:
    """Run ``openssl`` in ``directory``; ``command`` holds space-free words only."""
    binary = shutil.which("openssl")
    if binary is None:
        raise ServerStartError("openssl not found on PATH: install it (Debian: openssl)")
    argv = [binary, *command.split(), *extra]
    result = subprocess.run(argv, cwd=directory, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServerStartError(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")


def _make_ca(directory: Path, name: str, common_name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "openssl.cnf").write_text(_OPENSSL_CNF)
    _openssl(
        directory,
        "req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 2 -config openssl.cnf"
        f" -extensions ca_ext -keyout {name}.key -out {name}.crt",
        *("-subj", f"/CN={common_name}"),
    )
    return directory / f"{name}.crt"


def _make_leaf(directory: Path, name: str, extensions: str) -> None:
    """Key and cert ``name`` signed by the ``ca.crt`` already in ``directory``."""
    _openssl(
        directory,
        f"req -new -nodes -newkey rsa:2048 -config openssl.cnf -subj /CN={name}"
        f" -keyout {name}.key -out {name}.csr",
    )
    _openssl(
        directory,
        f"x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -set_serial {secrets.randbits(63)}"
        f" -days 2 -sha256 -extfile openssl.cnf -extensions {extensions} -out {name}.crt",
    )


def make_tls_files(directory: Path) -> TlsFiles:
    """Create a CA plus server (SAN IP:127.0.0.1, DNS:localhost) and client certs in ``directory``.

    The extensions are strict-X.509 clean so newer Pythons (VERIFY_X509_STRICT) accept them.
    """
    _make_ca(directory, "ca", "openai-agents-session test CA")
    _make_leaf(directory, "server", "server_ext")
    _make_leaf(directory, "client", "client_ext")
    d = directory
    return TlsFiles(
        d / "ca.crt",
        d / "ca.key",
        d / "server.crt",
        d / "server.key",
        d / "client.crt",
        d / "client.key",
    )


def make_untrusted_ca(directory: Path) -> Path:
    """Return the cert of a *different* CA, for "wrong CA fails closed" tests."""
    return _make_ca(directory, "untrusted-ca", "untrusted test CA")


def _no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


@dataclass
class RedisServer:
    """One ``redis-server`` process (a data node or a Sentinel) and how to reach it."""

    port: int
    host: str
    workdir: Path
    pid: int
    password: str | None
    tls: TlsFiles | None
    process: subprocess.Popen[bytes]
    username: str | None = None
    argv: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``redis://`` or ``rediss://`` URL with credentials, as a client would be given."""
        auth = ""
        if self.password is not None:
            user = quote(self.username, safe="") if self.username else ""
            auth = f"{user}:{quote(self.password, safe='')}@"
        elif self.username:
            auth = f"{quote(self.username, safe='')}@"
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{auth}{self.host}:{self.port}"

    def client(self, *, timeout: float = 5.0) -> redis.Redis:
        """A sync client with this server's auth and TLS, without retries (faults stay visible)."""
        tls: dict[str, Any] = {}
        if self.tls is not None:
            tls = {
                "ssl": True,
                "ssl_ca_certs": str(self.tls.ca_cert),
                "ssl_certfile": str(self.tls.client_cert),
                "ssl_keyfile": str(self.tls.client_key),
            }
        return redis.Redis(
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=_no_retry(),
            decode_responses=True,
            **tls,
        )

    def info(self, section: str | None = None) -> dict[str, Any]:
        """Return ``INFO [section]`` parsed by redis-py, via a short-lived client."""
        with self.client() as conn:
            result = conn.info(section) if section else conn.info()
        if not isinstance(result, dict):
            raise TypeError(f"unexpected INFO reply: {result!r}")
        return result

    def is_running(self) -> bool:
        """Whether the process is still alive (it may not be ready)."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log and stdout, for error messages."""
        parts = []
        for path in (self.workdir / _LOG, self.workdir / _STDOUT):
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                if tail:
                    parts.append(f"--- {path} ---\n" + "\n".join(tail))
        return "\n".join(parts) or f"(no log output in {self.workdir})"

    def stop(self) -> None:
        """SIGTERM, wait up to 5 s, then SIGKILL. Idempotent; a dead process is fine."""
        terminate(self.process, timeout_s=5, kill=self.kill)

    def kill(self) -> None:
        """SIGKILL at once (a crash, for fault tests), including fork children. Idempotent."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # its own session: pgid == pid
        self.process.wait()

    def restart(self) -> None:
        """Stop if running, start again with the same argv (port, workdir, config), wait ready.

        A port briefly held by someone else is retried, since fault tests restart in a hurry.
        """
        self.stop()
        for attempt in range(_PORT_ATTEMPTS):
            self._spawn()
            try:
                self._wait_ready()
                return
            except _PortInUseError:
                if attempt == _PORT_ATTEMPTS - 1:
                    raise
                time.sleep(0.5)

    def _spawn(self) -> None:
        self.process = _popen(self.argv, self.workdir)
        self.pid = self.process.pid

    def _wait_ready(self, timeout: float = _READY_TIMEOUT) -> None:
        """Probe until this very process answers; on failure stop it and raise with its log."""
        deadline = time.monotonic() + timeout
        with self.client(timeout=0.5) as conn:
            while True:
                if self.process.poll() is not None:
                    tail = self.log_tail()
                    self.process.wait()
                    error = _PortInUseError if "already in use" in tail else ServerStartError
                    raise error(f"redis-server on port {self.port} exited early:\n{tail}")
                if self._answers(conn):
                    return
                if time.monotonic() >= deadline:
                    self.stop()
                    raise ServerStartError(
                        f"redis-server on port {self.port} not ready after {timeout}s:\n"
                        + self.log_tail()
                    )
                time.sleep(0.02)

    def _answers(self, conn: redis.Redis) -> bool:
        try:
            conn.ping()
        except redis.AuthenticationError:
            return True  # it answers; the credentials are the caller's business
        except (redis.ConnectionError, redis.TimeoutError):
            return False  # not listening yet, or still loading the AOF
        try:
            pid = int(conn.info("server")["process_id"])
        except redis.ResponseError:
            return True  # e.g. INFO not allowed for this ACL user
        return pid == self.pid  # otherwise another server owns the port; ours will exit


def terminate(
    process: subprocess.Popen[bytes],
    *,
    timeout_s: float,
    kill: Callable[[], None] | None = None,
) -> None:
    """Stop a server by pid: SIGTERM, wait ``timeout_s``, then ``kill`` (default SIGKILL).

    Idempotent: a process that already exited is left as it is.
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        if kill is not None:
            kill()
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()


def _popen(argv: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    """Start in a new session so signals from the test runner's terminal never reach it."""
    with (workdir / _STDOUT).open("ab") as out:
        return subprocess.Popen(
            argv,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _base_config(workdir: Path, port: int) -> list[str]:
    return [
        f"bind {HOST}",
        f"port {port}",
        f'dir "{workdir}"',
        f'logfile "{workdir / _LOG}"',
        "daemonize no",
        "protected-mode no",
    ]


def _data_config(
    workdir: Path,
    port: int,
    *,
    password: str | None,
    acl_lines: Sequence[str],
    tls: TlsFiles | None,
    appendonly: bool,
) -> list[str]:
    lines = _base_config(workdir, port)
    lines += [
        'save ""',
        f"appendonly {'yes' if appendonly else 'no'}",
        "enable-debug-command yes",
        "repl-diskless-sync-delay 0",  # default 5 s would slow every replica's first sync
    ]
    if acl_lines:
        acl = workdir / "users.acl"
        acl.write_text("\n".join(acl_lines) + "\n")
        lines.append(f'aclfile "{acl}"')
    elif password is not None:
        lines.append(f'requirepass "{password}"')
    if tls is not None:
        lines[1] = "port 0"
        lines += [
            f"tls-port {port}",
            f'tls-cert-file "{tls.server_cert}"',
            f'tls-key-file "{tls.server_key}"',
            f'tls-ca-cert-file "{tls.ca_cert}"',
            "tls-auth-clients optional",
        ]
    return lines


def _launch(
    workdir: Path,
    config: Callable[[int], list[str]],
    *,
    port: int | None,
    extra_args: Sequence[str] = (),
    password: str | None = None,
    username: str | None = None,
    tls: TlsFiles | None = None,
    binary: str | None = None,
) -> RedisServer:
    """Write the config for a port, start, and wait; retry on a port race if the port was ours."""
    workdir.mkdir(parents=True, exist_ok=True)
    binary = binary or redis_server_binary()
    attempts = 1 if port is not None else _PORT_ATTEMPTS
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        conf = workdir / ("sentinel.conf" if "--sentinel" in extra_args else "redis.conf")
        conf.write_text("\n".join(config(chosen)) + "\n")
        argv = [binary, str(conf), *extra_args]
        process = _popen(argv, workdir)
        server = RedisServer(
            port=chosen,
            host=HOST,
            workdir=workdir,
            pid=process.pid,
            password=password,
            tls=tls,
            process=process,
            username=username,
            argv=argv,
        )
        try:
            server._wait_ready()
            return server
        except _PortInUseError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def start_redis(
    workdir: Path,
    *,
    port: int | None = None,
    password: str | None = None,
    username: str | None = None,
    acl_lines: Sequence[str] = (),
    tls: TlsFiles | None = None,
    appendonly: bool = False,
    extra_config: Sequence[str] = (),
    binary: str | None = None,
) -> RedisServer:
    """Start a standalone server in ``workdir`` and wait until it answers.

    Args:
        workdir: created if needed; holds redis.conf, users.acl, logs and data.
        port: fixed port, or None to pick a free one (retried on a bind race).
        password: ``requirepass``; with ``acl_lines`` it is only the client's password.
        username: used only for ``url`` and ``info()`` (ACL servers).
        acl_lines: raw ``user ...`` lines for an ``aclfile``, which then owns all auth.
        tls: serve TLS only on ``port`` (clients may omit a certificate).
        appendonly: enable AOF so data survives ``restart()``.
        extra_config: raw config lines appended last.
        binary: the server binary; ``redis_server_binary()`` when None.
    """

    def config(chosen: int) -> list[str]:
        lines = _data_config(
            workdir, chosen, password=password, acl_lines=acl_lines, tls=tls, appendonly=appendonly
        )
        return [*lines, *extra_config]

    return _launch(
        workdir, config, port=port, password=password, username=username, tls=tls, binary=binary
    )


def server_version(server: RedisServer) -> str:
    """The version the server reports: ``valkey_version`` on Valkey, else ``redis_version``."""
    info = server.info("server")
    return str(info.get("valkey_version") or info["redis_version"])


def _stop_all(servers: Sequence[RedisServer]) -> None:
    for server in reversed(servers):
        server.stop()


def _logs(servers: Sequence[RedisServer]) -> str:
    return "\n".join(server.log_tail(8) for server in servers)


@dataclass
class ClusterServers:
    """A Redis Cluster: masters first, then replicas, as created."""

    nodes: list[RedisServer]
    password: str | None = None

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every node."""
        return [(node.host, node.port) for node in self.nodes]

    @property
    def url(self) -> str:
        """URL of the first master as created."""
        return self.nodes[0].url

    def stop(self) -> None:
        """Stop every node."""
        _stop_all(self.nodes)

    def masters(self) -> list[RedisServer]:
        """Nodes that say they are masters now (asked with ROLE, so failovers are seen)."""
        return [node for node in self.nodes if _role(node) == "master"]

    def replicas(self) -> list[RedisServer]:
        """Nodes that say they are replicas now."""
        return [node for node in self.nodes if _role(node) == "slave"]


def slots_of(master: RedisServer) -> set[int]:
    """The hash slots ``master`` serves, from CLUSTER SLOTS."""
    with master.client() as conn:
        ranges = conn.execute_command("CLUSTER", "SLOTS")
    return {
        slot
        for low, high, primary, *_replicas in ranges
        if int(primary[1]) == master.port
        for slot in range(int(low), int(high) + 1)
    }


def node_id(node: RedisServer) -> str:
    with node.client() as conn:
        return str(conn.execute_command("CLUSTER", "MYID"))


@dataclass
class SlotMove:
    """One slot moving from the master that serves it to another, step by step.

    As a resharding tool moves it: IMPORTING/MIGRATING, MIGRATE of its keys, SETSLOT NODE.
    """

    cluster: ClusterServers
    slot: int
    source: RedisServer
    target: RedisServer

    @classmethod
    def of(cls, cluster: ClusterServers, slot: int) -> SlotMove:
        source = next(m for m in cluster.masters() if slot in slots_of(m))
        target = next(m for m in cluster.masters() if m is not source)
        return cls(cluster, slot, source, target)

    def mark_migrating(self) -> None:
        with self.source.client() as src, self.target.client() as dst:
            dst.execute_command("CLUSTER", "SETSLOT", self.slot, "IMPORTING", node_id(self.source))
            src.execute_command("CLUSTER", "SETSLOT", self.slot, "MIGRATING", node_id(self.target))

    def move_keys(self, at_most: int | None = None, *, per_call: int = 1) -> None:
        """MIGRATE the slot's keys to the target, ``per_call`` at a time, ``at_most`` in all."""
        moved = 0
        with self.source.client() as src:
            while at_most is None or moved < at_most:
                keys = src.execute_command("CLUSTER", "GETKEYSINSLOT", self.slot, per_call)
                if not keys:
                    break
                src.execute_command(
                    "MIGRATE", "127.0.0.1", self.target.port, "", 0, 5000, "KEYS", *keys
                )
                moved += len(keys)

    def move_named_keys(self, keys: Sequence[str], *, per_call: int = 1) -> None:
        """MIGRATE exactly ``keys`` to the target, ``per_call`` at a time, in the order given."""
        with self.source.client() as src:
            for start in range(0, len(keys), per_call):
                src.execute_command(
                    "MIGRATE",
                    "127.0.0.1",
                    self.target.port,
                    "",
                    0,
                    5000,
                    "KEYS",
                    *keys[start : start + per_call],
                )

    def hand_over(self) -> None:
        target_id = node_id(self.target)
        for node in self.cluster.masters():
            with node.client() as conn:
                conn.execute_command("CLUSTER", "SETSLOT", self.slot, "NODE", target_id)


def _role(node: RedisServer) -> str | None:
    if not node.is_running():
        return None
    try:
        with node.client(timeout=1.0) as conn:
            return str(conn.role()[0])
    except redis.RedisError:
        return None


def _cluster_settled(cluster: ClusterServers, replicas: int) -> bool:
    try:
        for node in cluster.nodes:
            with node.client(timeout=1.0) as conn:
                state = str(conn.execute_command("CLUSTER", "INFO"))
            if "cluster_state:ok" not in state:
                return False
        linked = [
            n for n in cluster.replicas() if n.info("replication")["master_link_status"] == "up"
        ]
        return len(linked) == replicas
    except (redis.RedisError, KeyError):
        return False


def _key_in(ranges: Sequence[tuple[int, int]]) -> str:
    """A key whose hash slot falls in one of ``ranges``."""
    for index in range(100_000):
        key = f"servers-probe:{index}"
        if any(low <= key_slot(key.encode()) <= high for low, high in ranges):
            return key
    raise ServerStartError(f"no probe key found for slot ranges {ranges}")


def _write_to_every_master(cluster: ClusterServers) -> None:
    """SET/GET through a cluster client a key owned by each master, and see it land there."""
    masters = cluster.masters()
    first = masters[0]
    client = RedisCluster(
        host=first.host,
        port=first.port,
        password=cluster.password,
        socket_timeout=5,
        decode_responses=True,
    )
    try:
        for master in masters:
            with master.client() as conn:
                slots = conn.execute_command("CLUSTER", "SLOTS")
                ranges = [(int(r[0]), int(r[1])) for r in slots if int(r[2][1]) == master.port]
                key = _key_in(ranges)
                client.set(key, "ok")
                if client.get(key) != "ok" or conn.get(key) != "ok":
                    raise ServerStartError(f"key {key} not readable on master {master.port}")
                conn.delete(key)
    finally:
        client.close()


def start_cluster(
    workdir: Path,
    *,
    masters: int = 3,
    replicas_per_master: int = 1,
    password: str | None = None,
    extra_config: Sequence[str] = (),
) -> ClusterServers:
    """Start nodes, join them with ``redis-cli --cluster create``, wait until all agree it's ok.

    The node timeout is 2 s so failover tests finish quickly. ``extra_config`` lines are
    added to every node's configuration.
    """
    cli = cli_binary()
    cluster = ClusterServers(nodes=[], password=password)
    try:
        for index in range(masters * (1 + replicas_per_master)):
            node_dir = workdir / f"node{index}"

            def config(chosen: int, node_dir: Path = node_dir) -> list[str]:
                lines = _data_config(
                    node_dir, chosen, password=password, acl_lines=(), tls=None, appendonly=False
                )
                lines += [
                    "cluster-enabled yes",
                    "cluster-config-file nodes.conf",
                    "cluster-node-timeout 2000",
                    f"cluster-port {free_port()}",
                ]
                if password is not None:
                    lines.append(f'masterauth "{password}"')
                return [*lines, *extra_config]

            cluster.nodes.append(_launch(node_dir, config, port=None, password=password))
        argv = [
            cli,
            "--cluster",
            "create",
            *(f"{HOST}:{n.port}" for n in cluster.nodes),
            "--cluster-replicas",
            str(replicas_per_master),
            "--cluster-yes",
        ]
        if password is not None:
            argv += ["-a", password, "--no-auth-warning"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise ServerStartError(
                f"redis-cli --cluster create failed:\n{result.stdout[-3000:]}"
                f"\n{result.stderr[-2000:]}"
            )
        try:
            wait_until(
                lambda: _cluster_settled(cluster, masters * replicas_per_master),
                timeout=30,
                interval=0.1,
                message="cluster did not settle",
            )
        except TimeoutError as exc:
            raise ServerStartError(f"{exc} within 30 s:\n{_logs(cluster.nodes)}") from exc
        _write_to_every_master(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@dataclass
class SentinelServers:
    """A master, one replica and three Sentinels watching them."""

    master: RedisServer
    replica: RedisServer
    sentinels: list[RedisServer]
    service_name: str = "mymaster"

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every Sentinel, as ``redis.sentinel.Sentinel`` wants them."""
        return [(s.host, s.port) for s in self.sentinels]

    def stop(self) -> None:
        """Stop Sentinels first (so they don't fail over), then the data nodes."""
        _stop_all([self.master, self.replica, *self.sentinels])


def _sentinel_settled(servers: SentinelServers) -> bool:
    name = servers.service_name
    try:
        for sentinel in servers.sentinels:
            with sentinel.client(timeout=1.0) as conn:
                address = conn.sentinel_get_master_addr_by_name(name)
                if not address or int(address[1]) != servers.master.port:
                    return False
                if len(conn.sentinel_sentinels(name)) != len(servers.sentinels) - 1:
                    return False
                if len(conn.sentinel_slaves(name)) != 1:
                    return False
        return True
    except redis.RedisError:
        return False


def start_sentinel(workdir: Path, *, service_name: str = "mymaster") -> SentinelServers:
    """Start a master, a replica and three Sentinels (quorum 2); wait until all know each other.

    Down-after is 1 s and failover-timeout 5 s so failover tests finish quickly.
    """
    started: list[RedisServer] = []
    try:
        master = start_redis(workdir / "master")
        started.append(master)
        replica = start_redis(workdir / "replica", extra_config=[f"replicaof {HOST} {master.port}"])
        started.append(replica)
        try:
            wait_until(
                lambda: replica.info("replication").get("master_link_status") == "up",
                timeout=30,
                message="replica did not link to master",
            )
        except TimeoutError as exc:
            raise ServerStartError(f"{exc} within 30 s:\n{_logs(started)}") from exc
        for index in range(3):
            sentinel_dir = workdir / f"sentinel{index}"

            def config(chosen: int, sentinel_dir: Path = sentinel_dir) -> list[str]:
                return [
                    *_base_config(sentinel_dir, chosen),
                    "sentinel resolve-hostnames no",
                    f"sentinel monitor {service_name} {HOST} {master.port} 2",
                    f"sentinel down-after-milliseconds {service_name} 1000",
                    f"sentinel failover-timeout {service_name} 5000",
                ]

            started.append(_launch(sentinel_dir, config, port=None, extra_args=["--sentinel"]))
        servers = SentinelServers(master, replica, started[2:], service_name)
        try:
            wait_until(
                lambda: _sentinel_settled(servers),
                timeout=30,
                interval=0.1,
                message="sentinels did not discover each other",
            )
        except TimeoutError as exc:
            raise ServerStartError(f"{exc} within 30 s:\n{_logs(started)}") from exc
    except BaseException:
        _stop_all(started)
        raise
    return servers


class ServersOfOneTest:
    """The servers one test starts for itself, each in its own directory, all stopped at its end.

    A test's own clean-up can fail part way (a client whose close times out); its servers must
    still stop, or a later test meets their processes when Python reclaims them.
    """

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._started: list[RedisServer | ClusterServers | SentinelServers] = []

    def redis(self, name: str, **options: Any) -> RedisServer:
        """A standalone server in ``<workdir>/<name>``: ``start_redis``'s options."""
        server = start_redis(self._workdir / name, **options)
        self._started.append(server)
        return server

    def cluster(self, name: str, **options: Any) -> ClusterServers:
        """A cluster in ``<workdir>/<name>``: ``start_cluster``'s options."""
        cluster = start_cluster(self._workdir / name, **options)
        self._started.append(cluster)
        return cluster

    def sentinel(self, name: str, **options: Any) -> SentinelServers:
        """A master, a replica and three Sentinels in ``<workdir>/<name>``."""
        servers = start_sentinel(self._workdir / name, **options)
        self._started.append(servers)
        return servers

    def stop_all(self) -> None:
        """Stop every server started, newest first; each stop is idempotent."""
        while self._started:
            self._started.pop().stop()
