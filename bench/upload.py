"""bench/upload: a 100 MB evidence upload through the app, beside a direct copy.

Serves the app with gunicorn (one sync worker) on 127.0.0.1 and, as a demo
teacher, uploads one file through ``POST /api/v1/submissions/{id}/artifacts``
(after a small warm-up upload), several rounds per backend. The worker's peak
resident memory is reset just before each upload (``/proc/PID/clear_refs``) and
read after it, and also sampled while it runs; growth is peak minus the
resident size before. Each round also copies the same file without the app:
``cp`` plus a sync for local disk (the app fsyncs what it stores), boto3
``upload_file`` for S3 (the same moto server, over HTTP). Prints a Markdown
table of medians; exits 1 when a target is missed.

    .venv/bin/python bench/upload.py [--size-mb 100] [--backend local|s3|both] [--rounds 3]

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
import statistics
import tempfile
import threading
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


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> bool:
    """Reset the process's peak resident set (VmHWM) to its current size (Linux: clear_refs 5).

    Without this the peak would still hold whatever the worker did before the
    upload, such as hashing the password for the token (argon2 uses 64 MB), and
    the upload's own growth would not show."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler(threading.Thread):
    """Samples VmRSS every few milliseconds: the peak where clear_refs is not allowed."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self._done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, _status_kb(self.pid, "VmRSS"))
            self._done.wait(0.005)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak_kb


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


def run_backend(backend: str, source: Path, workdir: Path, moto, rounds: int) -> list[dict]:
    """Serve the app on ``backend`` and upload ``source`` ``rounds`` times, each beside a direct copy."""
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
    results = []
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

        def upload(path: Path) -> tuple[float, dict]:
            body = MultipartFile({"requirement_id": str(requirement["id"])}, "classroom-video-notes.pdf", path)
            started = time.perf_counter()
            status, artifact = request(port, "POST", f"/api/v1/submissions/{submission['id']}/artifacts", body=body,
                                       headers={**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                                                "Content-Length": str(body.length)})
            elapsed = time.perf_counter() - started
            assert status == 201, (status, artifact)
            assert artifact["size"] == path.stat().st_size
            # Remove it again, so every round uploads into the same, not yet full, part.
            assert request(port, "DELETE", f"/api/v1/artifacts/{artifact['id']}", headers=auth)[0] == 204
            return elapsed, artifact

        # Warm up with a small file: imports and caches that any first upload loads are not growth.
        small = workdir / "warm-up.pdf"
        make_pdf(small, 1024 * 1024)
        upload(small)
        for _ in range(rounds):
            baseline = _status_kb(worker, "VmRSS")
            reset = reset_peak(worker)
            # Sampling only where the peak cannot be reset: the sampler thread competes with
            # the sending thread for this process's interpreter lock and slows the upload.
            sampler = None if reset else RssSampler(worker)
            if sampler is not None:
                sampler.start()
            cpu_before = cpu_seconds(worker)
            elapsed, _ = upload(source)
            cpu = cpu_seconds(worker) - cpu_before
            peak = _status_kb(worker, "VmHWM") if sampler is None else sampler.stop()
            direct = direct_copy(backend, source, workdir, moto)
            results.append({"app_seconds": elapsed, "direct_seconds": direct, "baseline_mb": baseline / 1024,
                            "peak_mb": peak / 1024, "growth_mb": (peak - baseline) / 1024, "cpu_seconds": cpu,
                            "peak_method": "VmHWM after clear_refs" if reset else "VmRSS sampled every 5 ms"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return results


def direct_copy(backend: str, source: Path, workdir: Path, moto=None) -> float:
    """The same file copied without the app: ``cp`` then a sync (the app fsyncs what it stores),
    or boto3's ``upload_file`` to the same moto server."""
    started = time.perf_counter()
    if backend == "local":
        target = workdir / "copy.bin"
        subprocess.run(["cp", str(source), str(target)], check=True)
        os.sync()
        elapsed = time.perf_counter() - started
        target.unlink()
        return elapsed
    client = moto.client()
    bucket = moto.create_bucket(f"direct-{uuid.uuid4().hex[:8]}")
    client.upload_file(str(source), bucket, "copy.bin")
    elapsed = time.perf_counter() - started
    client.delete_object(Bucket=bucket, Key="copy.bin")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--backend", choices=["local", "s3", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3, help="uploads per backend, each beside a direct copy")
    args = parser.parse_args()
    backends = ["local", "s3"] if args.backend == "both" else [args.backend]
    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    moto = start_moto_server() if "s3" in backends else None
    try:
        source = workdir / "evidence.pdf"
        make_pdf(source, args.size_mb * 1024 * 1024)
        size_mb = source.stat().st_size / (1024 * 1024)
        load = os.getloadavg()[0]
        print(f"\nUpload of {size_mb:.0f} MB, one gunicorn sync worker, {args.rounds} rounds per backend "
              f"(medians), {time.strftime('%Y-%m-%d %H:%M')}, load average {load:.1f} on {os.cpu_count()} cores\n")
        print("| backend | through the app (MB/s) | direct copy (MB/s) | ratio | worker CPU per upload (s) "
              "| worker RSS before (MB) | worker peak RSS growth (MB) | peak measured by |")
        print("|---|---|---|---|---|---|---|---|")
        ok = True
        for backend in backends:
            rounds = run_backend(backend, source, workdir, moto, args.rounds)
            app_rate = statistics.median(size_mb / r["app_seconds"] for r in rounds)
            direct_rate = statistics.median(size_mb / r["direct_seconds"] for r in rounds)
            ratio = statistics.median(r["direct_seconds"] / r["app_seconds"] for r in rounds)
            growth = max(r["growth_mb"] for r in rounds)
            baseline = statistics.median(r["baseline_mb"] for r in rounds)
            ok &= growth < 32 and ratio >= 0.5
            direct_name = "cp + sync" if backend == "local" else "boto3 upload_file"
            cpu = statistics.median(r["cpu_seconds"] for r in rounds)
            print(f"| {backend} | {app_rate:.1f} | {direct_rate:.1f} ({direct_name}) | {ratio:.2f} | {cpu:.2f} "
                  f"| {baseline:.1f} | {growth:.1f} (largest of {len(rounds)}) | {rounds[0]['peak_method']} |")
            for i, r in enumerate(rounds, 1):
                print(f"<!-- {backend} round {i}: app {r['app_seconds']:.2f} s (worker CPU {r['cpu_seconds']:.2f} s), "
                      f"direct {r['direct_seconds']:.2f} s, growth {r['growth_mb']:.1f} MB -->")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
        print("targets (growth < 32 MB, ratio >= 0.5):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        if moto is not None:
            moto.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
