"""bench/analytics: every analytics dashboard on a large generated data set, p95 per dashboard.

Generates (or reuses) a PostgreSQL database with ``flask demo generate``, then
requests each dashboard repeatedly through the Flask test client as the demo
program lead and prints a Markdown table of median and 95th-percentile times.

    # generate 100,000 teachers on a throwaway server, then time (the server is stopped at the end)
    .venv/bin/python bench/analytics.py --teachers 100000
    # time an existing database
    .venv/bin/python bench/analytics.py --database-url postgresql+psycopg://app@127.0.0.1:5432/bench

Target (issue 7): every dashboard under 500 ms at the 95th percentile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DASHBOARDS = ("credentials", "reviewers", "impact", "equity")
LEAD = "lead@riverbend.example.org"


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def time_dashboards(url: str, repeats: int, queries: dict[str, str]) -> list[tuple[str, str, float, float, int]]:
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db

    from tests.support.login_client import LoginClient

    app = create_app()
    app.test_client_class = LoginClient
    results = []
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD))
        lead_id = lead.id
    for label, query in queries.items():
        for name in DASHBOARDS:
            with app.app_context():
                client = app.test_client(user=db.session.get(User, lead_id))
                samples = []
                status = 0
                for _ in range(repeats + 1):
                    started = time.perf_counter()
                    response = client.get(f"/analytics/{name}{query}")
                    samples.append((time.perf_counter() - started) * 1000)
                    status = response.status_code
                samples = samples[1:]  # the first request warms caches and the connection pool
                results.append((label, name, statistics.median(samples), _p95(samples), status))
                print(f"| {label} | {name} | {statistics.median(samples):.0f} | {_p95(samples):.0f} | {status} |",
                      flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-12-01")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--database-url", help="time this database instead of generating one")
    parser.add_argument("--period", choices=["default", "all", "both"], default="both",
                        help="the last 12 months (default filters), all time, or both")
    args = parser.parse_args()

    server = None
    url = args.database_url
    if url is None:
        from tests.support.postgres import start_postgres

        server = start_postgres()
        url = server.url("app")
        _flask(url, "db", "upgrade")
        started = time.monotonic()
        _flask(url, "demo", "generate", "--teachers", str(args.teachers), "--seed", str(args.seed),
               "--as-of", args.as_of)
        print(f"generated in {time.monotonic() - started:.0f} s", file=sys.stderr)
    try:
        queries = {"last 12 months (default)": "", "all time": "?start=&end="}
        if args.period != "both":
            queries = dict([list(queries.items())[0 if args.period == "default" else 1]])
        print("| period | dashboard | median ms | p95 ms | status |")
        print("|---|---|---:|---:|---:|", flush=True)
        time_dashboards(url, args.repeats, queries)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
