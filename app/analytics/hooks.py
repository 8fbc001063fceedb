"""Keeping the summaries fresh: after a decision or an award, mark the submission's days and
refresh them through ``app.jobs.enqueue`` (inline by default, on RQ with ``REDIS_URL``).

Marking is two small statements in the deciding transaction. The inline refresh
rebuilds only the marked days (a few index range scans) and skips, leaving the
days marked, when another refresh holds the lock; ``flask analytics refresh``
from cron picks up whatever is left.
"""

from __future__ import annotations

from typing import Any

from flask import has_app_context

from app.analytics.summaries import mark_submission_days, refresh_summaries
from app.credentials.awards import award_issued
from app.jobs import enqueue
from app.reviewers.signals import submission_decided


def refresh_marked_days() -> str:
    """The job: rebuild the marked days. Inline it joins the caller's transaction; on a worker it
    runs in its own app context and commits."""
    if has_app_context():
        return refresh_summaries(wait=False).summary()
    from app import create_app
    from app.extensions import db

    with create_app().app_context():
        result = refresh_summaries(wait=True)
        db.session.commit()
        return result.summary()


def _changed(submission_id: int | None) -> None:
    if submission_id is not None and mark_submission_days(submission_id):
        enqueue(refresh_marked_days)


def _on_decided(submission: Any, **_kwargs: Any) -> None:
    _changed(submission.id)


def _on_award(award: Any, **_kwargs: Any) -> None:
    _changed(getattr(award, "submission_id", None))


submission_decided.connect(_on_decided)
award_issued.connect(_on_award)
