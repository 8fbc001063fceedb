"""bench/reviews: assignment and the agreement report as the reviewer pool and history grow.

Builds a throwaway SQLite database (or the one in ``--database-url``), a credential and a
pool of N qualified peers with random open loads, then times ``fill_assignments`` for fresh
submissions (the query that ranks the whole pool) and ``credential_agreement`` over every
decided review. Prints a Markdown table; compare the ratios between pool sizes measured in
one run, not absolute numbers between runs.

    .venv/bin/python bench/reviews.py [--pools 10,100,1000] [--submissions 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(pool: int, submissions: int, url: str) -> dict[str, float]:
    from sqlalchemy import create_engine

    from app import create_app
    from app.accounts.models import Organization, School, User
    from app.db import Base, utcnow
    from app.evidence.models import Submission, SubmissionStatus
    from app.extensions import db
    from app.reviewers import agreement, services
    from app.reviewers.models import Qualification, QualificationSource, ReviewerRole
    from config import TestingConfig
    from tests import factories

    engine = create_engine(url)
    import app.models  # noqa: F401

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    config = type("Bench", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    application = create_app(config)
    rng = random.Random(pool)
    with application.app_context():
        org = Organization(slug="bench", name="Bench", url="https://bench.example.org", email="b@example.org")
        schools = [School(organization=org, name=f"School {i}") for i in range(5)]
        db.session.add_all([org, *schools])
        credential = factories.micro_credential(org)
        people = []
        for i in range(pool):
            user = User(email=f"peer{i}@example.org", name=f"Peer {i}", password_hash="x", organization=org,
                        school=rng.choice(schools))
            user.set_roles(set())
            people.append(user)
            db.session.add(Qualification(user=user, credential=credential, role=ReviewerRole.PEER,
                                         source=QualificationSource.GRANT, active=True, calibrated_at=utcnow()))
        teachers = []
        for i in range(submissions):
            teacher = User(email=f"t{i}@example.org", name=f"T {i}", password_hash="x", organization=org,
                           school=rng.choice(schools))
            teacher.set_roles(set())
            teachers.append(teacher)
        db.session.add_all(people + teachers)
        db.session.commit()
        timings = []
        for teacher in teachers:
            submission = Submission(teacher=teacher, credential=credential, attempt=1,
                                    status=SubmissionStatus.SUBMITTED, submitted_at=utcnow())
            db.session.add(submission)
            db.session.flush()
            start = time.perf_counter()
            created = services.fill_assignments(submission)
            timings.append(time.perf_counter() - start)
            db.session.commit()
            criteria = credential.rubric.criteria
            for a in created:
                position = rng.choice([1, 2, 2, 3])
                services.record_review(
                    reviewer=a.reviewer, assignment=a, feedback="ok", submit=True,
                    scores=[services.ScoreInput(c.id, c.levels[position].id, "comment") for c in criteria],
                )
            db.session.commit()
        start = time.perf_counter()
        report = agreement.credential_agreement(credential)
        agreement_s = time.perf_counter() - start
        assert report.criteria
    return {"assign_ms": statistics.median(timings) * 1000, "agreement_ms": agreement_s * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pools", default="10,100,1000")
    parser.add_argument("--submissions", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: a throwaway SQLite file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pool in [int(p) for p in args.pools.split(",")]:
            url = args.database_url or f"sqlite:///{Path(tmp) / f'bench-{pool}.sqlite'}"
            rows.append((pool, run(pool, args.submissions, url)))
    base = rows[0][1]
    print("| reviewers in pool | assign (median ms) | ratio | agreement report (ms) | ratio |")
    print("|---|---|---|---|---|")
    for pool, r in rows:
        print(f"| {pool} | {r['assign_ms']:.2f} | {r['assign_ms'] / base['assign_ms']:.2f} | "
              f"{r['agreement_ms']:.1f} | {r['agreement_ms'] / base['agreement_ms']:.2f} |")


if __name__ == "__main__":
    main()
