"""The refresh path: a decision only marks its days; the rebuild runs on one queued RQ job (a real
redis-server and a real `flask jobs worker`), inline when there is no Redis and the marked work is
small, or from `flask analytics refresh` when it is not; `flask analytics schedule` registers once."""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from sqlalchemy import select

from app import jobs
from app.analytics import hooks, services
from app.analytics.services import Filters
from app.analytics.summaries import refresh_summaries, summary_status
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus
from app.reviewers.signals import submission_decided
from tests.analytics.test_summaries import NOW, _assert_figures_equal_live, _filters_for
from tests.support.processes import app_env, app_processes


def _turnaround(program, **kw):
    return services.review_turnaround(program.lead, Filters(), now=NOW, **kw).rows


def _decide_later(n: int = 0) -> None:
    """Make the n-th completed review three days slower, then decide its submission (flushed, not committed)."""
    assignment = db.session.scalars(select(Assignment).where(Assignment.status == AssignmentStatus.COMPLETED)
                                    .order_by(Assignment.id)).all()[n]
    assignment.completed_at = assignment.completed_at + timedelta(days=3)
    db.session.flush()
    submission_decided.send(assignment.submission, decision=None)


def test_without_redis_a_small_change_is_refreshed_inline(app, program):
    refresh_summaries(full=True)
    db.session.commit()
    assert app.config["ANALYTICS_INLINE_REFRESH_ROWS"] > 0
    _decide_later()
    db.session.commit()
    assert summary_status().pending_days == 0
    _assert_figures_equal_live(program.lead, _filters_for(program))


def test_without_redis_more_than_the_inline_limit_waits_for_the_cli(app, runner, program):
    refresh_summaries(full=True)
    db.session.commit()
    app.config["ANALYTICS_INLINE_REFRESH_ROWS"] = 0
    _decide_later()
    db.session.commit()
    assert summary_status().pending_days >= 1  # only marked: the dashboard says days wait
    assert _turnaround(program) != _turnaround(program, live=True)
    result = runner.invoke(args=["analytics", "refresh"])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # a fresh look at what the other process committed
    assert summary_status().pending_days == 0
    _assert_figures_equal_live(program.lead, _filters_for(program))


def test_the_inline_limit_counts_the_marked_days_assignments(app, program):
    refresh_summaries(full=True)
    db.session.commit()
    assert hooks.marked_assignments() == 0
    app.config["ANALYTICS_INLINE_REFRESH_ROWS"] = 0
    _decide_later()
    marked = hooks.marked_assignments()
    assert marked >= 1
    app.config["ANALYTICS_INLINE_REFRESH_ROWS"] = marked
    assert hooks._inline_allowed()
    app.config["ANALYTICS_INLINE_REFRESH_ROWS"] = marked - 1
    assert not hooks._inline_allowed()


def test_with_redis_decisions_queue_one_job_and_a_worker_refreshes(app, program, redis_url, database_url, tmp_path):
    refresh_summaries(full=True)
    db.session.commit()
    app.config["REDIS_URL"] = redis_url
    queue = jobs.get_queue()
    _decide_later(0)
    _decide_later(1)
    assert queue.count == 0  # nothing is queued before the decision commits
    db.session.commit()
    assert queue.count == 1  # two decisions, one job
    _decide_later(2)
    db.session.commit()
    assert queue.count == 1  # still pending: no second job
    assert summary_status().pending_days >= 1
    assert _turnaround(program) != _turnaround(program, live=True)  # the request did not rebuild

    env = app_env(APP_ENV="testing", TEST_DATABASE_URL=database_url, REDIS_URL=redis_url)
    with app_processes() as start:
        worker = start(["jobs", "worker", "--burst"], env, tmp_path / "worker.log")
        assert worker.wait(timeout=120) == 0, worker.log()
    job = queue.fetch_job(queue.finished_job_registry.get_job_ids()[0])
    assert job.get_status() == "finished" and "refreshed" in job.return_value(), worker.log()
    db.session.rollback()  # a fresh look at what the other process committed
    assert summary_status().pending_days == 0
    _assert_figures_equal_live(program.lead, _filters_for(program))

    assert not Redis.from_url(redis_url).exists(hooks.PENDING_KEY)  # the job cleared it: the next decision queues
    _decide_later(3)
    db.session.commit()
    assert queue.count == 1


def test_scheduling_the_refresh_twice_leaves_one_schedule(app, runner, redis_url):
    app.config["REDIS_URL"] = redis_url
    for every in ("60", "120"):
        result = runner.invoke(args=["analytics", "schedule", "--every", every])
        assert result.exit_code == 0, result.output
    assert Redis.from_url(redis_url).zcard("rq:scheduler:scheduled_jobs") == 1
    assert [s.every for s in jobs.list_schedules()] == [120]
    result = runner.invoke(args=["analytics", "schedule", "--off"])
    assert result.exit_code == 0 and "removed" in result.output
    assert jobs.list_schedules() == []


def test_schedule_without_redis_says_to_use_cron(app, runner):
    result = runner.invoke(args=["analytics", "schedule"])
    assert result.exit_code == 1 and "flask analytics refresh" in result.output
