"""App processes for the scale-out tests: ``flask jobs worker``, ``flask jobs scheduler`` and app
servers, each a real child process with its own configuration from the environment (as on a
production host), logging to a file that a failing test prints."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(**settings: str) -> dict[str, str]:
    """The environment of an app process: this one's, without test-run leftovers, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "REDIS_URL", "RATELIMIT_"))}
    env.update({"PYTHONUNBUFFERED": "1", **settings})
    return env


class AppProcess:
    """A child process running ``python -m flask --app wsgi <args>``; ``stop()`` ends it by its pid."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@contextmanager
def app_processes() -> Iterator[Callable[..., AppProcess]]:
    """Start app processes with ``start(args, env, log_path)``; all are stopped on exit."""
    started: list[AppProcess] = []

    def start(args: list[str], env: dict[str, str], log_path: Path) -> AppProcess:
        process = AppProcess(args, env, log_path)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            process.stop()


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, logs: Callable[[], str] = str) -> object:
    """Poll ``condition`` every 0.2 s until it returns something truthy; fail with ``logs()`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s\n{logs()}")
        time.sleep(0.2)


def wait_until_serving(port: int, *, timeout: float, logs: Callable[[], str] = str) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    wait_for(answers, timeout=timeout, what=f"the app on port {port} answering", logs=logs)
