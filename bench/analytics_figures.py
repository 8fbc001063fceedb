"""bench/analytics_figures: the reviewers and impact figures, one by one, through the services (no HTTP).

For an existing database (summaries refreshed), times each figure of the reviewers and
impact dashboards (and the two dashboards whole, ``dashboard:reviewers`` and ``dashboard:impact``)
for the default window, all time and one school (the school with the most teachers), and prints a Markdown table of median and 95th-percentile milliseconds.

    .venv/bin/python bench/analytics_figures.py --database-url postgresql+psycopg://app@127.0.0.1:5432/bench --repeats 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEAD = "lead@riverbend.example.org"
FIGURES = ("review_turnaround", "reviewer_load", "load_distribution", "reviewer_agreement", "calibration_results",
           "criteria_below_pass", "impact_by_credential", "impact_by_measure", "dashboard:reviewers", "dashboard:impact")


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--as-of", default="2026-12-01", help="the day the default window ends (the data set's as-of)")
    parser.add_argument("--figures", default=",".join(FIGURES))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    from sqlalchemy import func, select

    from app import create_app
    from app.accounts.models import User
    from app.analytics import services
    from app.extensions import db

    app = create_app()
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD))
        school = db.session.scalar(select(User.school_id).where(User.school_id.is_not(None))
                                   .group_by(User.school_id).order_by(func.count().desc(), User.school_id).limit(1))
        default = services.Filters.default(date.fromisoformat(args.as_of))
        windows = {"last 12 months": default, "all time": services.Filters(),
                   "last 12 months, one school": services.Filters(start=default.start, end=default.end, school_id=school)}
        print(f"load average: {open('/proc/loadavg').read().strip()}")
        print("| window | figure | median ms | p95 ms |")
        print("|---|---|---:|---:|")
        for label, filters in windows.items():
            for name in args.figures.split(","):
                if name.startswith("dashboard:"):  # a whole dashboard, as the page builds it
                    def figure(actor, f, board=name.split(":", 1)[1]):
                        return services.build_dashboard(actor, board, f)
                else:
                    figure = getattr(services, name)
                figure(lead, filters)  # warm-up
                samples = []
                for _ in range(args.repeats):
                    began = time.perf_counter()
                    figure(lead, filters)
                    samples.append((time.perf_counter() - began) * 1000)
                    db.session.rollback()
                print(f"| {label} | {name} | {statistics.median(samples):.0f} | {_p95(samples):.0f} |", flush=True)
        print(f"load average: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
