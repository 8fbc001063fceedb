"""bench/verify: bulk verification of 10,000 awards on SQLite and PostgreSQL.

Creates a fresh database per backend (a SQLite file; a throwaway PostgreSQL
server via tests/support/postgres.py), inserts one issuer, one credential and
N awards, then posts the roster to ``POST /api/v1/verify/bulk`` (JSON items
with e-mail addresses, so the recipient check runs too) and as a CSV to the HR
roster page, through the Flask test client. Prints server time (median of the
runs after one warm-up) and the SQL statements per request.

    .venv/bin/python bench/verify.py                # both backends, 10,000 rows, 3 runs
    .venv/bin/python bench/verify.py --rows 10000 --runs 5 --backend sqlite
    .venv/bin/python bench/verify.py --backend sqlite --runs 1 --profile   # cProfile to stderr

Target (issue 6): under 2 s for 10,000 awards, with a bounded number of queries.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(url: str, rows: int, runs: int, profile: bool = False) -> list[tuple[str, float, int, int]]:
    from sqlalchemy import create_engine, event

    from app import create_app
    from app.accounts.models import Role
    from app.db import Base
    from app.extensions import db
    from config import TestingConfig
    from tests import factories
    from tests.support.login_client import LoginClient
    from tests.verify.conftest import many_awards

    import app.models  # noqa: F401

    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    flask_app = create_app(config)
    flask_app.test_client_class = LoginClient
    results = []
    with flask_app.app_context():
        org = factories.organization()
        credential = factories.micro_credential(org)
        teacher = factories.user(organization=org, email="teacher@example.org")
        hr = factories.user(roles={Role.HR}, organization=org, email="hr@example.org")
        uuids = many_awards(credential, teacher, rows)
        client = flask_app.test_client()
        token = client.post("/api/v1/tokens", json={"email": hr.email, "password": factories.PASSWORD,
                                                    "scopes": ["verify"]}).get_json()["token"]
        items = [{"input": u, "email": "teacher@example.org"} for u in uuids]
        csv_body = ("award,email\n" + "\n".join(f"http://localhost/ob/assertions/{u},teacher@example.org"
                                                 for u in uuids) + "\n").encode()
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        hr_client = flask_app.test_client(user=hr)

        def api():
            response = client.post("/api/v1/verify/bulk", json={"items": items},
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200 and response.get_json()["summary"] == {"valid": rows}, response.status_code

        def page():
            response = hr_client.post("/verify/rosters", data={"file": (io.BytesIO(csv_body), "roster.csv")},
                                      content_type="multipart/form-data")
            assert response.status_code == 302, response.status_code

        for name, call in (("API JSON", api), ("page CSV", page)):
            samples, counts = [], []
            for _ in range(runs + 1):
                statements.clear()
                started = time.perf_counter()
                call()
                samples.append(time.perf_counter() - started)
                counts.append(len(statements))
            results.append((name, statistics.median(samples[1:]), max(counts[1:]), rows))
            if profile:
                _profile(name, call)
    return results


def _profile(name: str, call) -> None:
    """One more call under cProfile, to stderr: the 25 costliest functions by cumulative time, 15 by own time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(call)
    print(f"--- profile: {name}", file=sys.stderr)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="profile one more call of each (to stderr)")
    args = parser.parse_args()
    os.environ.setdefault("APP_ENV", "testing")
    print("| database | call | rows | median server time (s) | SQL statements |")
    print("|---|---|---|---|---|")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            for name, seconds, queries, rows in run(f"sqlite:///{directory}/bench.sqlite", args.rows, args.runs, args.profile):
                print(f"| SQLite | {name} | {rows:,} | {seconds:.2f} | {queries} |", flush=True)
    if args.backend in ("postgresql", "both"):
        from tests.support.postgres import start_postgres

        server = start_postgres()
        try:
            for name, seconds, queries, rows in run(server.url("app"), args.rows, args.runs, args.profile):
                print(f"| PostgreSQL | {name} | {rows:,} | {seconds:.2f} | {queries} |", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
