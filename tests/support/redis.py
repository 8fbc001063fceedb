"""A throwaway Redis server for the test run: started on a free loopback port, stopped at exit.

Debian's ``redis-server`` package provides the binary. Nothing is written to
disk (``--save ''``, no append-only file); the server runs daemonized with a
pid file in a temporary directory, and ``stop()`` ends exactly that process.
A missing binary fails the tests that need it with the command that installs
it, never skips them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

INSTALL_HINT = (
    "redis-server was not found. The Redis tests (scheduled sweep, RQ jobs, shared rate limits) "
    "need it: install it with `apt-get install -y redis-server` (Debian), or run `make system-deps`."
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RedisServer:
    """A running redis-server; ``url(db)`` is a ``redis://`` URL for one of its databases."""

    directory: str
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def pid(self) -> int | None:
        try:
            with open(os.path.join(self.directory, "redis.pid")) as fh:
                return int(fh.read().strip())
        except (OSError, ValueError):
            return None

    def flush(self) -> None:
        """Empty every database (between tests)."""
        from redis import Redis

        with Redis.from_url(self.url()) as client:
            client.flushall()

    def stop(self) -> None:
        pid = self.pid
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis() -> RedisServer:
    """Start ``redis-server`` on a free port of 127.0.0.1 and wait until it answers PING.

    Raises RuntimeError with the install command when the binary is missing, or
    with the server's log when it does not start.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(INSTALL_HINT)
    directory = tempfile.mkdtemp(prefix="mc-redis-")
    server = RedisServer(directory=directory, port=_free_port())
    log = os.path.join(directory, "redis.log")
    subprocess.run(
        [binary, "--port", str(server.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", os.path.join(directory, "redis.pid"), "--logfile", log,
         "--dir", directory],
        check=True, capture_output=True, text=True,
    )
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with Redis.from_url(server.url(), socket_connect_timeout=1) as client:
                if client.ping():
                    return server
        except RedisConnectionError:
            time.sleep(0.05)
    text = open(log).read()[-2000:] if os.path.exists(log) else ""
    server.stop()
    raise RuntimeError(f"redis-server did not answer on port {server.port} within 15 s\n{text}")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server per test session (or xdist worker); fails with how to install it."""
    try:
        server = start_redis()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of an emptied Redis database for one test."""
    redis_server.flush()
    yield redis_server.url()
    redis_server.flush()
