"""The sweep on a schedule: `flask reviews schedule` on a real Redis, with `flask jobs scheduler` and
`flask jobs worker` running as separate processes, expires and reassigns overdue assignments on time,
run after run."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus
from tests.reviewers.conftest import fill_and_submit
from tests.support.processes import app_env, app_processes, wait_for

EVERY = 3  # seconds between sweeps


def _status(assignment_id: int) -> AssignmentStatus:
    db.session.remove()  # a fresh look at what the worker committed
    status = db.session.get(Assignment, assignment_id).status
    db.session.rollback()
    return status


def _pending_ids(submission_id: int) -> list[int]:
    db.session.remove()
    ids = list(db.session.scalars(
        select(Assignment.id).where(Assignment.submission_id == submission_id,
                                    Assignment.status == AssignmentStatus.PENDING).order_by(Assignment.id)
    ))
    db.session.rollback()
    return ids


def test_the_scheduled_sweep_expires_and_reassigns_overdue_reviews_on_time(world, app, redis_url, database_url,
                                                                           tmp_path):
    submission = fill_and_submit(world.teacher, world.credential)
    late, other = [db.session.get(Assignment, i) for i in _pending_ids(submission.id)]
    late.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    late_id, late_reviewer, other_id = late.id, late.reviewer_id, other.id

    app.config["REDIS_URL"] = redis_url
    result = app.test_cli_runner().invoke(args=["reviews", "schedule", "--every", str(EVERY)])
    assert result.exit_code == 0, result.output

    env = app_env(APP_ENV="testing", TEST_DATABASE_URL=database_url, REDIS_URL=redis_url)
    with app_processes() as start:
        scheduler = start(["jobs", "scheduler", "--interval", "1"], env, tmp_path / "scheduler.log")
        worker = start(["jobs", "worker"], env, tmp_path / "worker.log")

        def logs() -> str:
            return f"--- scheduler\n{scheduler.log()}\n--- worker\n{worker.log()}"

        # First run: the overdue assignment expires and another qualified peer gets the attempt.
        wait_for(lambda: _status(late_id) is AssignmentStatus.EXPIRED, timeout=90, what="the first sweep", logs=logs)
        pending = _pending_ids(submission.id)
        assert len(pending) == 2 and other_id in pending and late_id not in pending
        db.session.remove()
        newcomer = db.session.get(Assignment, max(pending))
        assert newcomer.reviewer_id != late_reviewer
        db.session.rollback()

        # A later run, with nobody calling it: the next assignment that falls overdue expires too.
        db.session.remove()
        db.session.get(Assignment, other_id).due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        overdue_at = time.monotonic()
        wait_for(lambda: _status(other_id) is AssignmentStatus.EXPIRED, timeout=90, what="the next sweep", logs=logs)
        took = time.monotonic() - overdue_at
        assert scheduler.process.poll() is None and worker.process.poll() is None, logs()
    # Within one interval plus the worker's start of a job (generous: the machine may be loaded).
    assert took < EVERY + 30, took
