"""bench/upload: a 100 MB evidence upload through the app, beside a direct copy.

Serves the app with gunicorn (one sync worker) on 127.0.0.1, uploads one file
through ``POST /api/v1/submissions/{id}/artifacts`` as a demo teacher, and reads
the worker's peak resident memory (VmHWM) before and after. In the same run it
copies the same file without the app: ``cp`` for local disk, boto3
``upload_file`` for S3 (a moto server over HTTP). Prints a Markdown table.

    .venv/bin/python bench/upload.py [--size-mb 100] [--backend local|s3|both]

Targets (issue 3): server memory growth under 32 MB; throughput at least half
of the direct copy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.s3 import start_moto_server  # noqa: E402

PY = sys.executable
BOUNDARY = "----bench" + uuid.uuid4().hex


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_pdf(path: Path, size: int) -> None:
    """A file libmagic identifies as PDF, ``size`` bytes long, written in 1 MB chunks."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length " + str(size).encode() + b" >>\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    chunk = os.urandom(1024 * 1024)
    with path.open("wb") as fh:
        fh.write(head)
        left = size - len(head) - len(tail)
        while left > 0:
            fh.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
        fh.write(tail)


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def worker_pid(master_pid: int) -> int:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    if not children:
        raise RuntimeError("gunicorn has no worker")
    return int(children[0])


def request(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, (json.loads(raw) if raw and response.getheader("Content-Type", "").startswith("application/json") else None)


class MultipartFile:
    """A streaming multipart body: the file is read in chunks, never whole."""

    def __init__(self, fields: dict[str, str], name: str, path: Path):
        preamble = "".join(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n" for k, v in fields.items()
        )
        preamble += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                     "Content-Type: application/pdf\r\n\r\n")
        self.head = preamble.encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.path = path
        self.length = len(self.head) + path.stat().st_size + len(self.tail)

    def __iter__(self):
        yield self.head
        with self.path.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                yield chunk
        yield self.tail


def run_backend(backend: str, source: Path, workdir: Path, moto=None) -> dict:
    env = dict(os.environ)
    env.update({
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / f'{backend}.sqlite'}",
        "STORAGE_BACKEND": backend,
        "STORAGE_LOCAL_ROOT": str(workdir / f"files-{backend}"),
        "RATELIMIT_ENABLED": "false",
        "MAX_UPLOAD_BYTES": str(source.stat().st_size + 1024 * 1024),
        "TMPDIR": str(workdir),
    })
    if backend == "s3":
        bucket = moto.create_bucket(f"bench-{uuid.uuid4().hex[:8]}")
        env.update({"S3_BUCKET": bucket, "S3_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": "bench",
                    "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})
    flask = [PY, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "--workers", "1", "--timeout", "600", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, token = request(port, "POST", "/api/v1/tokens",
                                json.dumps({"email": "teacher.cedar@riverbend.example.org",
                                            "password": "demo-password-1"}),
                                {"Content-Type": "application/json"})
        assert status == 201, status
        auth = {"Authorization": f"Bearer {token['token']}"}
        catalog = request(port, "GET", "/api/v1/credentials?kind=micro", headers=auth)[1]["items"]
        credential = request(port, "GET", f"/api/v1/credentials/{catalog[0]['id']}", headers=auth)[1]
        requirement = next(r for r in credential["requirements"] if r["kind"] == "file")
        status, submission = request(port, "POST", "/api/v1/submissions",
                                     json.dumps({"credential_id": credential["id"]}),
                                     {**auth, "Content-Type": "application/json"})
        assert status in (200, 201), status
        worker = worker_pid(server.pid)
        before = peak_rss_kb(worker)
        body = MultipartFile({"requirement_id": str(requirement["id"])}, "classroom-video-notes.pdf", source)
        started = time.perf_counter()
        status, artifact = request(port, "POST", f"/api/v1/submissions/{submission['id']}/artifacts", body=body,
                                   headers={**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                                            "Content-Length": str(body.length)})
        elapsed = time.perf_counter() - started
        after = peak_rss_kb(worker)
        assert status == 201, (status, artifact)
        assert artifact["size"] == source.stat().st_size
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {"seconds": elapsed, "rss_before_mb": before / 1024, "rss_after_mb": after / 1024}


def direct_copy(backend: str, source: Path, workdir: Path, moto=None) -> float:
    started = time.perf_counter()
    if backend == "local":
        subprocess.run(["cp", str(source), str(workdir / "copy.bin")], check=True)
        os.sync()
    else:
        client = moto.client()
        bucket = moto.create_bucket(f"direct-{uuid.uuid4().hex[:8]}")
        client.upload_file(str(source), bucket, "copy.bin")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--backend", choices=["local", "s3", "both"], default="both")
    args = parser.parse_args()
    backends = ["local", "s3"] if args.backend == "both" else [args.backend]
    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    moto = start_moto_server() if "s3" in backends else None
    try:
        source = workdir / "evidence.pdf"
        make_pdf(source, args.size_mb * 1024 * 1024)
        size_mb = source.stat().st_size / (1024 * 1024)
        rows = []
        for backend in backends:
            app = run_backend(backend, source, workdir, moto)
            direct = direct_copy(backend, source, workdir, moto)
            growth = app["rss_after_mb"] - app["rss_before_mb"]
            rows.append((backend, size_mb / app["seconds"], size_mb / direct, growth, app["rss_after_mb"]))
        print(f"\nUpload of {size_mb:.0f} MB, one gunicorn sync worker, {time.strftime('%Y-%m-%d')}\n")
        print("| backend | through the app (MB/s) | direct copy (MB/s) | ratio | worker peak RSS growth (MB) | worker peak RSS (MB) |")
        print("|---|---|---|---|---|---|")
        ok = True
        for backend, app_rate, direct_rate, growth, peak in rows:
            ratio = app_rate / direct_rate
            ok &= growth < 32 and ratio >= 0.5
            direct_name = "cp" if backend == "local" else "boto3 upload_file"
            print(f"| {backend} | {app_rate:.1f} | {direct_rate:.1f} ({direct_name}) | {ratio:.2f} | {growth:.1f} | {peak:.1f} |")
        print("\ntargets (growth < 32 MB, ratio >= 0.5):", "met" if ok else "NOT met")
        return 0
    finally:
        if moto is not None:
            moto.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
