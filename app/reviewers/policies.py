"""Reviewer-side read rules for evidence, registered with ``app.evidence.policies``.

Evidence may not import this package, so the rules that need assignments and
qualifications live here and register themselves when the package is imported
(``app/reviewers/__init__.py`` imports this module).
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from app.accounts.models import User
from app.credentials.models import Competency, Credential, credential_competency
from app.evidence.models import Submission
from app.evidence.policies import register_viewer_rule
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus, Qualification, ReviewerRole

#: Assignments that still give their reviewer access to the attempt's evidence.
VIEWING_ASSIGNMENT_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.COMPLETED)


def assigned_or_coach(user: User, submission: Submission) -> bool:
    """Whether ``user`` is a reviewer of this attempt or a coach of its credential.

    True for a pending or completed assignment of ``user`` on ``submission``
    (declined and expired ones no longer count), or an active coach
    qualification on the submission's credential (any version of the same
    slug) or on a framework one of its competencies belongs to. One query.
    """
    assigned = select(Assignment.id).where(
        Assignment.submission_id == submission.id,
        Assignment.reviewer_id == user.id,
        Assignment.status.in_(VIEWING_ASSIGNMENT_STATUSES),
    )
    slug = select(Credential.slug).where(Credential.id == submission.credential_id).scalar_subquery()
    same_credential = select(Credential.id).where(Credential.slug == slug)
    frameworks = (
        select(Competency.framework_id)
        .join(credential_competency, credential_competency.c.competency_id == Competency.id)
        .where(credential_competency.c.credential_id == submission.credential_id)
    )
    coach = select(Qualification.id).where(
        Qualification.user_id == user.id,
        Qualification.role == ReviewerRole.COACH,
        Qualification.active.is_(True),
        or_(Qualification.credential_id.in_(same_credential), Qualification.framework_id.in_(frameworks)),
    )
    return bool(db.session.scalar(select(or_(exists(assigned), exists(coach)))))


register_viewer_rule(assigned_or_coach)
