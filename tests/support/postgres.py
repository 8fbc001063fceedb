"""A throwaway PostgreSQL server for the test run: started in a temp dir, stopped at exit.

Debian's ``postgresql`` package provides the binaries. ``initdb`` refuses to run
as root, so when we are root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

INSTALL_HINT = (
    "PostgreSQL server binaries were not found. Install them with "
    "`apt-get install -y postgresql` (Debian) or set TEST_DATABASE_URL to an empty "
    "PostgreSQL database you can drop tables in."
)


def _bin_dir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for path in reversed(candidates):
        if os.path.exists(os.path.join(path, "initdb")):
            return path
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    directory: str
    port: int
    bin_dir: str
    as_user: str | None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True)

    def url(self, database: str = "app") -> str:
        return f"postgresql+psycopg://app@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        subprocess.run(
            [os.path.join(self.bin_dir, "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "app", name],
            check=True, capture_output=True, text=True,
        )
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(os.path.join(self.bin_dir, "pg_ctl"), "-D", f"{self.directory}/data", "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Initialise and start a private cluster on a free loopback port; trust auth, fsync off."""
    bin_dir = _bin_dir()
    directory = tempfile.mkdtemp(prefix="mc-pg-")
    as_user = "postgres" if os.geteuid() == 0 else None
    if as_user:
        os.chmod(directory, 0o755)
        shutil.chown(directory, user=as_user)
    server = PostgresServer(directory=directory, port=_free_port(), bin_dir=bin_dir, as_user=as_user)
    try:
        server._run(
            os.path.join(bin_dir, "initdb"), "-D", f"{directory}/data", "-U", "app", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )
        server._run(
            os.path.join(bin_dir, "pg_ctl"), "-D", f"{directory}/data", "-l", f"{directory}/log", "-w",
            "-o", f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start",
        )
    except subprocess.CalledProcessError as exc:
        log = ""
        if os.path.exists(f"{directory}/log"):
            with open(f"{directory}/log") as fh:
                log = fh.read()[-2000:]
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL failed to start: {exc.stderr}\n{log}") from exc
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            server.create_database("app")
            return server
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("PostgreSQL started but did not accept connections within 15 s")
