"""flask awards reconcile: a passed attempt without an award gets one, once."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from app.credentials.models import Award, AwardDocument
from app.credentials.openbadges import publishing
from app.extensions import db
from tests.credentials.openbadges.conftest import passed_submission


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_reconcile_awards_passed_attempts_without_one_idempotently(runner, teacher, credential):
    submission = passed_submission(teacher, credential)  # the "crash": passed, never awarded
    result = runner.invoke(args=["awards", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "Awarded 1 passed attempt" in result.output
    award = db.session.scalar(select(Award).where(Award.submission_id == submission.id))
    assert award is not None and award.recipient_id == teacher.id
    assert _count(AwardDocument) == len(publishing.SIGNED) + len(publishing.BAKED)

    again = runner.invoke(args=["awards", "reconcile"])
    assert "Awarded 0 passed attempt" in again.output and "published 0" in again.output
    assert _count(Award) == 1


def test_reconcile_publishes_awards_missing_documents(runner, award):
    db.session.execute(delete(AwardDocument))
    db.session.commit()
    result = runner.invoke(args=["awards", "reconcile"])
    assert "published 1" in result.output
    assert _count(AwardDocument) == len(publishing.SIGNED) + len(publishing.BAKED)
