"""``flask demo generate``: a consistent data set the dashboards can read, refused twice for one seed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.credentials.models import Award, CredentialKind, Credential
from app.evidence.models import Artifact, Submission, SubmissionStatus
from app.extensions import db
from app.reviewers.models import Decision, Review, ReviewScore


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_generate_writes_a_consistent_program(app, runner):
    result = runner.invoke(args=["demo", "generate", "--teachers", "60", "--seed", "7", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert "Generated" in result.output

    submitted = select(Submission.id).where(Submission.submitted_at.is_not(None),
                                            Submission.status != SubmissionStatus.WITHDRAWN)
    assert _count(submitted) > 100
    decided = select(Submission.id).where(Submission.status.in_([SubmissionStatus.PASSED, SubmissionStatus.NOT_YET]))
    assert _count(select(Decision.id)) == _count(decided)
    assert _count(select(Artifact.id)) == _count(submitted)  # one classroom-data table per submitted attempt
    passed = select(Submission.id).where(Submission.status == SubmissionStatus.PASSED)
    micro_awards = select(Award.id).where(Award.submission_id.is_not(None))
    assert _count(micro_awards) == _count(passed)
    stack_awards = select(Award.id).join(Credential).where(Credential.kind == CredentialKind.STACK)
    assert _count(stack_awards) > 0
    assert _count(select(ReviewScore.id)) >= 3 * _count(select(Review.id))
    latest = db.session.scalar(select(func.max(Submission.submitted_at)))
    assert latest.date() <= date(2026, 6, 30)

    again = runner.invoke(args=["demo", "generate", "--teachers", "5", "--seed", "7"])
    assert again.exit_code != 0 and "already" in again.output


def test_a_small_data_set_with_few_reviewers_outside_a_school_is_generated(app, runner):
    """With 60 teachers and seed 3 some teacher has fewer calibrated reviewers outside her school than
    her attempt needs peers: they then come from her own school (the generator used to look for
    others for ever)."""
    result = runner.invoke(args=["demo", "generate", "--teachers", "60", "--seed", "3", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    reviews = select(Review.id)
    assert _count(reviews) > 0
