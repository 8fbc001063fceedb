"""The demo catalog works with the qualification rules: every demo micro gets its reviewers."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.credentials.models import CoachRule, Credential, CredentialKind
from app.db import utcnow
from app.demo.loader import load_demo
from app.evidence.models import Submission, SubmissionStatus
from app.extensions import db
from app.reviewers import services
from app.reviewers.models import ReviewerRole


def test_every_demo_micro_gets_peers_from_another_school_and_a_coach(app):
    load_demo()
    db.session.commit()
    teacher = db.session.scalar(select(User).where(User.email.like("teacher.cedar@%")))
    micros = db.session.scalars(select(Credential).where(Credential.kind == CredentialKind.MICRO,
                                                         Credential.published.is_(True))).all()
    assert micros
    for credential in micros:
        submission = Submission(teacher=teacher, credential=credential, attempt=1, status=SubmissionStatus.SUBMITTED,
                                submitted_at=utcnow())
        db.session.add(submission)
        db.session.flush()
        assert services.eligible_reviewers(submission, ReviewerRole.COACH), credential.slug
        created = services.fill_assignments(submission)
        policy = services.policy_of(credential)
        peers = [a for a in created if a.role is ReviewerRole.PEER]
        assert len(peers) == policy.peer_reviews, credential.slug
        if policy.exclude_same_school:
            assert all(a.reviewer.school_id != teacher.school_id for a in peers)
        assert (policy.coach_rule is CoachRule.ALWAYS) == any(a.role is ReviewerRole.COACH for a in created)
        db.session.rollback()
