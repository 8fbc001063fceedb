"""A real S3 HTTP endpoint for the test run: moto in server mode, in a child process.

Not an in-process mock: boto3 talks HTTP to it exactly as it would to S3 or
MinIO, so multipart uploads, presigned URLs and connection errors behave for
real. It runs in a child process (moto's ``ThreadedMotoServer`` on a port the
OS picks) so the objects it keeps in memory do not count against this
process's memory measurements, and it exits when the test run ends or dies
(it waits on its stdin).

moto does not enforce presigned URL expiry, signatures or POST policies: the
app must enforce its own limits, and tests must check them on the app side.

Use the fixtures: ``s3_endpoint`` (one server per test session or xdist
worker) and ``s3_bucket`` (a fresh, empty bucket per test, with fake AWS
credentials in the environment so ``S3Storage`` built from config works).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

INSTALL_HINT = (
    "The S3 tests need moto's server mode. Install the test dependencies with "
    "`pip install -r requirements-dev.txt` (it pins moto[s3] and flask-cors)."
)

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_SERVER_SCRIPT = """
import sys
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # returns when the parent closes our stdin or exits
server.stop()
"""


@dataclass
class MotoServer:
    """A running moto server process; ``url`` is its endpoint."""

    process: subprocess.Popen
    port: int
    log_path: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: Any):
        """A boto3 S3 client for this endpoint with fake credentials and path-style URLs."""
        import boto3
        from botocore.config import Config

        config = Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1})
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION, config=config, **CREDENTIALS, **kwargs)

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a random name by default) and return its name."""
        name = name or f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def reset(self) -> None:
        """Forget every bucket and object (moto's reset API)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # type: ignore[union-attr]
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


def start_moto_server(timeout: float = 30.0) -> MotoServer:
    """Start moto's S3 server on a free loopback port and wait until it listens.

    Raises ``RuntimeError`` with the install hint when moto (or its server
    dependencies) is missing, or with the server's log when it fails to start.
    """
    for module in ("moto", "flask_cors"):
        if importlib.util.find_spec(module) is None:
            raise RuntimeError(f"{module} is not installed. {INSTALL_HINT}")

    log_fd, log_path = tempfile.mkstemp(prefix="moto-server-", suffix=".log")
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log_fd,
        text=True,
    )
    os.close(log_fd)

    first_line: list[str] = []
    reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    port_text = first_line[0].strip() if first_line else ""
    if not port_text.isdigit():
        process.kill()
        process.wait(timeout=10)
        process.stdin.close()  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
        with open(log_path, encoding="utf-8", errors="replace") as log_file:
            output = log_file.read()[-3000:]
        os.unlink(log_path)
        if "ModuleNotFoundError" in output or "ImportError" in output:
            raise RuntimeError(f"moto's server could not start: a dependency is missing. {INSTALL_HINT}\n{output}")
        raise RuntimeError(f"moto's server did not start within {timeout:.0f} s:\n{output}")
    return MotoServer(process=process, port=int(port_text), log_path=log_path)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[MotoServer]:
    """A moto S3 server for the whole session (per xdist worker); stopped at the end."""
    try:
        server = start_moto_server()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@dataclass(frozen=True)
class S3Bucket:
    """A fresh bucket on the moto server, with a client to inspect it."""

    name: str
    endpoint_url: str
    region: str
    client: Any


@pytest.fixture
def s3_bucket(s3_endpoint: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Bucket]:
    """An empty bucket for one test. Sets fake AWS credentials in the environment so a
    ``S3Storage`` built from config (``S3_BUCKET``, ``S3_ENDPOINT_URL``) can sign requests.
    The bucket and its objects are deleted afterwards."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    client = s3_endpoint.client()
    name = s3_endpoint.create_bucket()
    yield S3Bucket(name=name, endpoint_url=s3_endpoint.url, region=REGION, client=client)
    try:
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=obj["Key"])
        client.delete_bucket(Bucket=name)
    except Exception:  # noqa: BLE001 - a failed cleanup must not hide the test's result
        pass
