"""award_credential: one award per passed attempt, hashed identity, expiry, audit, signal."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit import AuditEvent
from app.credentials.awards import add_months, award_issued, identity_hash
from app.credentials.models import Award
from app.credentials.services import award_credential
from app.errors import Conflict
from app.evidence import services as evidence
from app.evidence.models import SubmissionStatus
from app.extensions import db
from tests import factories


@pytest.fixture
def passed(org):
    credential = factories.micro_credential(org)
    credential.validity_months = 36
    teacher = factories.user(roles={Role.TEACHER}, organization=org, email="Ana.Teacher@Example.org")
    submission = evidence.start_attempt(teacher=teacher, credential=credential)
    submission.status = SubmissionStatus.PASSED
    submission.decided_at = datetime(2026, 1, 31, 15, 0, tzinfo=timezone.utc)
    db.session.commit()
    return submission


def test_a_passed_attempt_earns_one_award(passed):
    received = []

    def receiver(award, actor):
        received.append(award.id)

    award_issued.connect(receiver)
    try:
        first = award_credential(passed)
        second = award_credential(passed)
        db.session.commit()
    finally:
        award_issued.disconnect(receiver)

    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Award)) == 1
    assert received == [first.id]
    assert first.recipient_id == passed.teacher_id and first.credential_id == passed.credential_id
    assert first.issued_at == passed.decided_at
    assert first.expires_at == datetime(2029, 1, 31, 15, 0, tzinfo=timezone.utc)
    expected = "sha256$" + hashlib.sha256(("ana.teacher@example.org" + first.salt).encode()).hexdigest()
    assert first.identity_hash == expected
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.issued"))
    assert event.object_id == first.id


def test_salts_are_fresh_per_award(org, passed):
    award = award_credential(passed)
    other = identity_hash(passed.teacher.email, "another-salt")
    assert award.salt != "another-salt" and award.identity_hash != other
    assert len(award.salt) == 32


@pytest.mark.parametrize("status", [s for s in SubmissionStatus if s is not SubmissionStatus.PASSED])
def test_only_a_passed_attempt_earns(passed, status):
    passed.status = status
    with pytest.raises(Conflict):
        award_credential(passed)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(datetime(2026, 1, 31), 1) == datetime(2026, 2, 28)
    assert add_months(datetime(2027, 11, 30), 3) == datetime(2028, 2, 29)
    assert add_months(datetime(2026, 5, 15), 12) == datetime(2027, 5, 15)
