"""How the review workflow hooks into evidence without evidence importing it.

* ``submission_submitted``: assign reviewers by the credential's policy;
* ``submission_withdrawn``: close the attempt's pending assignments;
* the feedback loader: the decision's per-criterion levels and comments for the
  teacher's attempt and history pages and ``GET /api/v1/submissions/{id}``
  (reviewer names never included).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.credentials.models import Criterion, Level
from app.evidence.models import Submission
from app.evidence.services import AttemptFeedback, CriterionFeedback, register_feedback_loader
from app.evidence.signals import submission_submitted, submission_withdrawn
from app.extensions import db
from app.reviewers import services
from app.reviewers.models import Assignment, AssignmentStatus, Decision, Review


def _on_submitted(submission: Submission, **_: object) -> None:
    services.fill_assignments(submission)


def _on_withdrawn(submission: Submission, **_: object) -> None:
    services.close_for_withdrawal(submission)


def load_feedback(submissions: Sequence[Submission]) -> dict[int, AttemptFeedback]:
    """Feedback for decided attempts, in four queries whatever their number."""
    ids = [s.id for s in submissions]
    decisions = {d.submission_id: d for d in db.session.scalars(select(Decision).where(Decision.submission_id.in_(ids)))}
    if not decisions:
        return {}
    reviews = list(db.session.scalars(
        select(Review).join(Review.assignment)
        .where(Assignment.submission_id.in_(decisions), Assignment.status == AssignmentStatus.COMPLETED,
               Review.submitted_at.is_not(None))
        .options(selectinload(Review.scores), selectinload(Review.assignment))
        .order_by(Review.submitted_at, Review.id)
    ))
    level_ids = {int(v) for d in decisions.values() for v in d.levels.values()}
    levels = {lv.id: lv for lv in db.session.scalars(select(Level).where(Level.id.in_(level_ids or {-1})))}
    criterion_ids = {lv.criterion_id for lv in levels.values()}
    criteria = {c.id: c for c in db.session.scalars(
        select(Criterion).where(Criterion.id.in_(criterion_ids or {-1})).options(selectinload(Criterion.levels))
    )}
    by_submission: dict[int, list[Review]] = {}
    for review in reviews:
        by_submission.setdefault(review.assignment.submission_id, []).append(review)
    out: dict[int, AttemptFeedback] = {}
    for submission_id, decision in decisions.items():
        mine = by_submission.get(submission_id, [])
        rows = []
        for criterion in sorted((criteria[lv.criterion_id] for lv in (levels.get(v) for v in decision.levels.values()) if lv),
                                key=lambda c: (c.position, c.id)):
            level = levels[decision.levels[str(criterion.id)]]
            comments = [s.comment for r in mine for s in r.scores if s.criterion_id == criterion.id and s.comment.strip()]
            pass_level = criterion.pass_level
            rows.append(CriterionFeedback(
                criterion=criterion.name, level=level.label, comment="\n\n".join(comments),
                passed=None if pass_level is None else level.position >= pass_level.position,
            ))
        out[submission_id] = AttemptFeedback(
            outcome=decision.outcome.value, decided_at=decision.decided_at,
            feedback_md=tuple(r.feedback for r in mine if r.feedback.strip()), criteria=tuple(rows),
        )
    return out


submission_submitted.connect(_on_submitted)
submission_withdrawn.connect(_on_withdrawn)
register_feedback_loader(load_feedback)
