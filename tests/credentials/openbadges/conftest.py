"""Fixtures for Open Badges: an issuer with a passed attempt, and awards made through award_credential."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.credentials.services import award_credential
from app.db import utcnow
from app.evidence.models import SubmissionStatus
from app.extensions import db
from tests import factories

RECIPIENT = "Ana.Teacher@Example.org"


@pytest.fixture
def framework(org):
    fw = factories.framework(org, competencies=2)
    fw.competencies[0].external_url = "https://standards.example.org/c1"
    fw.competencies[0].description = "Plans station rotations."
    db.session.commit()
    return fw


@pytest.fixture
def credential(org, framework):
    return factories.micro_credential(org, competencies=list(framework.competencies), name="Station Rotation")


@pytest.fixture
def teacher(org):
    return factories.user(roles={Role.TEACHER}, organization=org, email=RECIPIENT, name="Ana Teacher")


@pytest.fixture
def admin(org):
    return factories.user(roles={Role.ADMIN}, organization=org, name="Ada Admin")


def passed_submission(teacher, credential, *, decided_at=None):
    from sqlalchemy import func, select

    from app.evidence.models import Submission

    attempts = db.session.scalar(select(func.count()).select_from(Submission).where(
        Submission.teacher_id == teacher.id, Submission.credential_id == credential.id))
    submission = factories.submission(teacher, credential, status=SubmissionStatus.PASSED, attempt=attempts + 1)
    submission.decided_at = decided_at or utcnow() - timedelta(minutes=1)
    db.session.commit()
    return submission


def issue(teacher, credential, **kwargs):
    award = award_credential(passed_submission(teacher, credential, **kwargs))
    db.session.commit()
    return award


@pytest.fixture
def award(teacher, credential):
    return issue(teacher, credential)


@pytest.fixture
def count_queries(app):
    """A context manager counting the SQL statements run inside it."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        statements: list[str] = []

        def listener(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)

    return counting
