"""bench/badges: the cost of publishing one award, and the hosted assertion's throughput.

Part 1 (in process, median of ``--repeat`` runs, one award on a temporary SQLite
database and local storage): baking a PNG and an SVG, writing the image file
(for the "less than writing it twice" target), signing the OB 2.0 JWS, the
OB 3.0 VC-JWT and the eddsa-rdfc-2022 Data Integrity proof, and the whole
``publish_award`` (all of the above plus storing nine documents).

Part 2: the app under gunicorn (2 sync workers) answering
``GET /ob/assertions/<uuid>`` beside a bare Flask app returning a JSON body of
the same size (``bench/badges_bare.py``, also 2 workers), loaded with ``wrk``
in alternating rounds in the same run; the ratio is what counts.

    .venv/bin/python bench/badges.py [--repeat 50] [--rounds 3] [--seconds 5]

Targets (issue 5): the assertion endpoint serves at least 0.8 of the bare
endpoint's requests per second; baking a PNG costs less than writing the image
file twice.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(fn, repeat: int) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def setup_environment(workdir: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
        "STORAGE_BACKEND": "local",
        "STORAGE_LOCAL_ROOT": str(workdir / "files"),
        "BASE_URL": f"http://127.0.0.1:{port}",
    }
    os.environ.update(env)
    return env


def make_award():
    """An issuer, a micro credential and one award (published through award_issued)."""
    from app.db import Base
    from app.extensions import db
    from tests import factories
    from tests.credentials.openbadges.conftest import issue

    Base.metadata.create_all(db.engine)
    org = factories.organization()
    fw = factories.framework(org)
    credential = factories.micro_credential(org, competencies=list(fw.competencies), name="Station Rotation")
    teacher = factories.user(organization=org, email="bench.teacher@example.org")
    return issue(teacher, credential)


def part_one(award, repeat: int, workdir: Path) -> dict[str, float]:
    from app.credentials.models import KeyAlgorithm
    from app.credentials.openbadges import baking, images, keys, ob2, ob3, publishing

    org = award.credential.issuer
    rsa = keys.active_key(org, KeyAlgorithm.RSA)
    ed = keys.active_key(org, KeyAlgorithm.ED25519)
    png = images.badge_png(award.credential)
    svg = images.badge_svg(award.credential)
    hosted = json.dumps(ob2.assertion(award))
    jws = ob2.signed_assertion(award, rsa)
    target = workdir / "image.png"

    def write_image():
        with open(target, "wb") as handle:
            handle.write(png)

    def publish_fresh():
        from sqlalchemy import delete

        from app.credentials.models import AwardDocument
        from app.extensions import db

        db.session.execute(delete(AwardDocument).where(AwardDocument.award_id == award.id))
        publishing.publish_award(award)
        db.session.rollback()

    return {
        "image_bytes": len(png),
        "bake_png": timed(lambda: baking.bake_png(png, hosted), repeat),
        "bake_svg": timed(lambda: baking.bake_svg(svg, verify=jws), repeat),
        "write_png_file": timed(write_image, repeat),
        "sign_jws": timed(lambda: ob2.signed_assertion(award, rsa), repeat),
        "sign_vc_jwt": timed(lambda: ob3.sign_vc_jwt(award, rsa), repeat),
        "sign_eddsa_rdfc_2022": timed(lambda: ob3.sign_data_integrity(award, ed), max(5, repeat // 5)),
        "publish_award": timed(publish_fresh, max(5, repeat // 5)),
    }


def wait_for(port: int, path: str, timeout: float = 120) -> None:
    import http.client

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status in (200, 404):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not answer {path}")


def gunicorn(app_ref: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_ref],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def wrk(url: str, seconds: int) -> float:
    done = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", url], capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} failed responses")
    return float(match.group(1))


def part_two(award_uuid: str, body: bytes, env: dict[str, str], app_port: int, rounds: int, seconds: int,
             workdir: Path):
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    bare_port = free_port()
    cold_port = free_port()
    bare_env = {**env, "BENCH_BARE_BODY": body.decode()}
    app_server = gunicorn("wsgi:app", app_port, env, workdir / "app.log")
    # The same app with the assertion cache off: every request reads the database.
    cold_server = gunicorn("wsgi:app", cold_port, {**env, "OB_ASSERTION_CACHE_SECONDS": "0"}, workdir / "cold.log")
    bare_server = gunicorn("bench.badges_bare:app", bare_port, bare_env, workdir / "bare.log")
    try:
        wait_for(app_port, f"/ob/assertions/{award_uuid}")
        wait_for(cold_port, f"/ob/assertions/{award_uuid}")
        wait_for(bare_port, "/json")
        urls = {
            "app": f"http://127.0.0.1:{app_port}/ob/assertions/{award_uuid}",
            "cold": f"http://127.0.0.1:{cold_port}/ob/assertions/{award_uuid}",
            "bare": f"http://127.0.0.1:{bare_port}/json",
        }
        for url in urls.values():
            wrk(url, 1)  # warm up
        rps: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                rps[name].append(wrk(url, seconds))
        return rps
    finally:
        for server in (app_server, cold_server, bare_server):
            stop(server)
        for name in ("app", "cold", "bare"):
            text = (workdir / f"{name}.log").read_text(errors="replace").strip()
            if text:
                print(f"[{name} server log]\n{text[-2000:]}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-badges-"))
    port = free_port()
    env = setup_environment(workdir, port)
    try:
        from app import create_app

        app = create_app()
        with app.app_context():
            award = make_award()
            costs = part_one(award, args.repeat, workdir)
            client = app.test_client()
            body = client.get(f"/ob/assertions/{award.uuid}").data
            uuid = award.uuid
        rps = part_two(uuid, body, env, port, args.rounds, args.seconds, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    ms = {k: v * 1000 for k, v in costs.items() if k != "image_bytes"}
    print(f"## Publishing one award (median of {args.repeat} runs; image {costs['image_bytes']:,} bytes)\n")
    print("| step | ms |\n|---|---|")
    for name, value in ms.items():
        print(f"| {name} | {value:.3f} |")
    bake_ratio = costs["bake_png"] / (2 * costs["write_png_file"])
    print(f"\nbake_png / (2 x write_png_file) = {bake_ratio:.2f} (target < 1)\n")
    print(f"## Hosted assertion under gunicorn, 2 sync workers, wrk -t2 -c8 -d{args.seconds}s, {args.rounds} rounds\n")
    labels = {"app": "GET /ob/assertions/<uuid> (default: 5 s cache)",
              "cold": "GET /ob/assertions/<uuid>, OB_ASSERTION_CACHE_SECONDS=0",
              "bare": "bare Flask JSON, same body"}
    print("| endpoint | requests/s per round | median |\n|---|---|---|")
    for name, label in labels.items():
        print(f"| {label} | {', '.join(f'{r:.0f}' for r in rps[name])} | {statistics.median(rps[name]):.0f} |")
    for name in ("app", "cold"):
        paired = statistics.median(a / b for a, b in zip(rps[name], rps["bare"]))
        print(f"\n{labels[name]} / bare: median of per-round ratios {paired:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
