"""Keeping the summaries fresh: after a decision or an award the request only marks the
submission's days (two small statements in the deciding transaction); the rebuild runs
off the request wherever a worker or cron can do it.

- With ``REDIS_URL``: one refresh job is queued after the deciding transaction commits,
  unless one is already pending (a flag in Redis set with NX, cleared when the job starts),
  so a burst of decisions queues one job, not one per decision. ``flask analytics schedule
  --every N`` also registers a periodic refresh on the workers.
- Without Redis: the marked days are rebuilt inline, in the deciding transaction, only when
  they hold few assignments (``ANALYTICS_INLINE_REFRESH_ROWS``, default 1,000; 0 never), so
  the embedded default shows fresh figures after each decision; at 100,000 teachers a
  decision's days hold about 3,000 assignments (a second to rebuild), so they wait for
  ``flask analytics refresh`` from cron.

The inline refresh skips, leaving the days marked, when another refresh holds the lock;
the dashboard shows how many marked days wait either way.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from app.analytics.models import AnalyticsDirtyDay
from app.analytics.summaries import _as_ranges, _during, mark_submission_days, refresh_summaries
from app.credentials.awards import award_issued
from app.extensions import db
from app.jobs import enqueue, redis_connection
from app.reviewers.models import Assignment
from app.reviewers.signals import submission_decided

log = logging.getLogger(__name__)

#: Set while a refresh job waits on the queue; the job clears it when it starts.
PENDING_KEY = "analytics:refresh-pending"
#: A job lost before it started (a flushed queue) blocks new ones for at most this long.
PENDING_TTL = 3600
#: The periodic refresh's id in rq-scheduler: one registration, replaced when made again.
SCHEDULE_JOB_ID = "analytics-refresh"
INLINE_ROWS_DEFAULT = 1000
_DUE = "analytics_refresh_due"  # session.info: this transaction marked days, queue a job when it commits


def refresh_marked_days() -> str:
    """The job (queued after decisions, or scheduled): clear the pending flag, rebuild the
    changed and marked days, commit. On ``flask jobs worker`` it runs in the worker's
    application context; anywhere else it makes its own."""
    if has_app_context():
        return _refresh_and_commit()
    from app import create_app

    with create_app().app_context():
        return _refresh_and_commit()


def _refresh_and_commit() -> str:
    if current_app.config.get("REDIS_URL"):
        redis_connection().delete(PENDING_KEY)  # decisions from now on queue the next job
    result = refresh_summaries(wait=True)
    db.session.commit()
    return result.summary()


def queue_refresh() -> bool:
    """Queue one refresh job unless one is already pending. True when a job was queued."""
    if not redis_connection().set(PENDING_KEY, "1", nx=True, ex=PENDING_TTL):
        return False
    enqueue(refresh_marked_days)
    return True


def _queue_after_commit(session: Session) -> None:
    if not session.info.pop(_DUE, False):
        return
    try:
        queue_refresh()
    except Exception:  # Redis down: the days stay marked for the next job, cron or scheduled refresh
        log.exception("could not queue the analytics refresh; the marked days wait")


def marked_assignments() -> int:
    """Assignments made on the marked days: what an inline refresh would rebuild (one indexed count)."""
    days = db.session.scalars(select(AnalyticsDirtyDay.day)).all()
    if not days:
        return 0
    return db.session.scalar(select(func.count()).select_from(Assignment)
                             .where(or_(*_during(Assignment.assigned_at, _as_ranges(days))))) or 0


def _inline_allowed() -> bool:
    limit = current_app.config.get("ANALYTICS_INLINE_REFRESH_ROWS", INLINE_ROWS_DEFAULT)
    return bool(limit) and marked_assignments() <= int(limit)


def _changed(submission_id: int | None) -> None:
    if submission_id is None or not mark_submission_days(submission_id):
        return
    if current_app.config.get("REDIS_URL"):
        # Queued after the commit, so the worker sees the marks and the decision itself.
        db.session.info[_DUE] = True
    elif _inline_allowed():
        refresh_summaries(wait=False)


def _on_decided(submission: Any, **_kwargs: Any) -> None:
    _changed(submission.id)


def _on_award(award: Any, **_kwargs: Any) -> None:
    _changed(getattr(award, "submission_id", None))


def _forget(session: Session, _previous: Any = None) -> None:
    session.info.pop(_DUE, None)  # rolled back: the marks are gone too


submission_decided.connect(_on_decided)
award_issued.connect(_on_award)
event.listen(Session, "after_commit", _queue_after_commit)
event.listen(Session, "after_rollback", _forget)
