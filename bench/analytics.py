"""bench/analytics: every analytics dashboard on a large generated data set, p95 per dashboard.

Generates (or reuses) a PostgreSQL database with ``flask demo generate``, then
requests each dashboard repeatedly through the Flask test client as the demo
program lead and prints a Markdown table of median and 95th-percentile times.

    # generate 100,000 teachers on a throwaway server, then time (the server is stopped at the end)
    .venv/bin/python bench/analytics.py --teachers 100000
    # time an existing database
    .venv/bin/python bench/analytics.py --database-url postgresql+psycopg://app@127.0.0.1:5432/bench --summaries
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


def time_dashboards(url: str, repeats: int, queries: dict[str, str],
                    dashboards: tuple[str, ...] = DASHBOARDS) -> list[tuple[str, str, float, float, int]]:
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
        for name in dashboards:
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
                bare = time_bare(repeats)
                results.append((label, name, statistics.median(samples), _p95(samples), status))
                print(f"| {label} | {name} | {statistics.median(samples):.0f} | {_p95(samples):.0f} | "
                      f"{bare:.2f} | {statistics.median(samples) / bare:.0f} | {status} |", flush=True)
    return results


def time_bare(repeats: int) -> float:
    """Median ms of a bare Flask endpoint through its test client, timed right after each
    dashboard: the ratio of the two cancels out how fast the machine is at the moment."""
    from flask import Flask

    bare = Flask("bare")
    bare.add_url_rule("/", "bare", lambda: "ok")
    client = bare.test_client()
    samples = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        client.get("/")
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:])


def _figures(services) -> dict:
    """Every summary-backed figure by name (each takes ``live=True`` for the live reference)."""
    return {"criteria below pass": services.criteria_below_pass, "peer agreement": services.reviewer_agreement,
            "review turnaround": services.review_turnaround, "outcomes": services.credential_outcomes,
            "attempts to pass": services.attempts_to_pass, "stacks": services.stack_progress,
            "participation by school": services.school_participation}


def time_summaries(url: str, repeats: int, live_repeats: int, only: list[str] | None = None,
                   school_id: int | None = None, refresh: bool = True) -> None:
    """Refresh times (one day incremental) and each summary-backed figure read from the summaries,
    by default window, all time and one school, p95 over ``repeats``; once live for comparison."""
    os.environ["DATABASE_URL"] = url
    from datetime import timedelta

    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import School, User
    from app.analytics import services
    from app.analytics.models import AnalyticsDirtyDay
    from app.analytics.summaries import refresh_summaries, summary_status
    from app.db import utcnow
    from app.extensions import db

    app = create_app()
    with app.app_context():
        if not summary_status().full_refreshed:
            started = time.perf_counter()
            refresh_summaries(full=True)
            db.session.commit()
            print(f"full refresh: {time.perf_counter() - started:.1f} s", flush=True)
        lead = db.session.scalar(select(User).where(User.email == LEAD))
        if refresh:
            day = utcnow().date() - timedelta(days=1)
            db.session.add(AnalyticsDirtyDay(day=day))
            db.session.commit()
            started = time.perf_counter()
            result = refresh_summaries()
            db.session.commit()
            print(f"incremental refresh ({result.days} day(s)): {(time.perf_counter() - started) * 1000:.0f} ms",
                  flush=True)
        school = school_id or db.session.scalar(
            select(School.id).where(School.organization_id == lead.organization_id).limit(1))
        windows = {"last 12 months": services.Filters.default(), "all time": services.Filters(),
                   "last 12 months, one school": services.Filters(**{**services.Filters.default().__dict__,
                                                                      "school_id": school})}
        figures = {name: figure for name, figure in _figures(services).items() if not only or name in only}
        print("| window | figure | summaries median ms | summaries p95 ms | live ms |")
        print("|---|---|---:|---:|---:|", flush=True)
        for label, filters in windows.items():
            for name, figure in figures.items():
                samples = []
                for _ in range(repeats + 1):
                    db.session.remove()
                    started = time.perf_counter()
                    figure(lead, filters)
                    samples.append((time.perf_counter() - started) * 1000)
                samples = samples[1:]
                live = ""
                if live_repeats:
                    started = time.perf_counter()
                    figure(lead, filters, live=True)
                    live = f"{(time.perf_counter() - started) * 1000:.0f}"
                print(f"| {label} | {name} | {statistics.median(samples):.0f} | {_p95(samples):.0f} | {live} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-12-01")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--database-url", help="time this database instead of generating one")
    parser.add_argument("--period", choices=["default", "all", "both"], default="both",
                        help="the last 12 months (default filters), all time, or both")
    parser.add_argument("--summaries", action="store_true",
                        help="time the refresh and the summary-backed figures (and each once live) instead of the pages")
    parser.add_argument("--no-live", action="store_true", help="with --summaries: skip the live comparison")
    parser.add_argument("--figures", help="with --summaries: a comma-separated list of the figures to time "
                                          "(default: all; names as printed)")
    parser.add_argument("--school", type=int, help="with --summaries: the school id of the one-school window "
                                                   "(default: the organization's first school); for the pages: "
                                                   "time each period with this school as well")
    parser.add_argument("--dashboards", help="a comma-separated list of the dashboards to time (default: all)")
    parser.add_argument("--no-refresh", action="store_true", help="with --summaries: skip the incremental refresh")
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
        if args.summaries:
            only = [name.strip() for name in args.figures.split(",")] if args.figures else None
            time_summaries(url, args.repeats, 0 if args.no_live else 1, only, args.school, not args.no_refresh)
            return
        queries = {"last 12 months (default)": "", "all time": "?start=&end="}
        if args.school:
            queries = {f"{label}, school {args.school}": f"{query or '?'}{'&' if query else ''}school_id={args.school}"
                       for label, query in queries.items()} | queries
        if args.period != "both":
            queries = dict([list(queries.items())[0 if args.period == "default" else 1]])
        print("| period | dashboard | median ms | p95 ms | bare Flask median ms | median / bare | status |")
        print("|---|---|---:|---:|---:|---:|---:|", flush=True)
        time_dashboards(url, args.repeats, queries,
                        tuple(args.dashboards.split(",")) if args.dashboards else DASHBOARDS)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
