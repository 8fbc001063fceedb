"""Fixtures for the review workflow: a credential, a teacher at one school, calibrated peers
and a coach at another, and helpers to submit an attempt and score it."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from app.accounts.models import Role
from app.credentials.models import RequirementKind
from app.evidence import services as evidence
from app.extensions import db
from app.reviewers import services
from app.reviewers.models import ReviewerRole
from app.db import utcnow
from tests import factories
from tests.evidence.conftest import png_bytes


@pytest.fixture
def world(org):
    """Two schools; a teacher at the first, three calibrated peers and a coach at the second."""
    school_a, school_b = factories.school(org, "North School"), factories.school(org, "South School")
    credential = factories.micro_credential(org, name="Exit Tickets")
    teacher = factories.user(organization=org, school=school_a, name="Tina Teacher", email="tina@example.org")
    peers = [factories.user(organization=org, school=school_b, name=f"Peer {i}") for i in range(3)]
    for peer in peers:
        row = factories.qualification(peer, credential=credential, role=ReviewerRole.PEER)
        row.calibrated_at = utcnow()
    coach = factories.user(roles={Role.COACH}, organization=org, school=school_b, name="Cora Coach")
    factories.qualification(coach, credential=credential, role=ReviewerRole.COACH)
    db.session.commit()
    return SimpleNamespace(org=org, credential=credential, teacher=teacher, peers=peers, coach=coach,
                           school_a=school_a, school_b=school_b)


def fill_and_submit(teacher, credential, submission=None):
    """Start (or take) a draft, give every required part evidence, submit; commit."""
    submission = submission or evidence.start_attempt(teacher=teacher, credential=credential)
    for requirement in credential.requirements:
        if requirement.kind is RequirementKind.TEXT:
            evidence.save_text(teacher=teacher, submission=submission, requirement=requirement, text="My lesson.")
        elif requirement.kind is RequirementKind.FILE:
            evidence.add_file(teacher=teacher, submission=submission, requirement=requirement, filename="board.png",
                              stream=io.BytesIO(png_bytes()))
        elif requirement.kind is RequirementKind.DATA:
            evidence.save_data_table(teacher=teacher, submission=submission, requirement=requirement,
                                     rows=[{"measure": "Exit ticket", "unit": "%", "before": "50", "after": "70"}])
    if submission.previous_id:
        evidence.save_change_note(teacher=teacher, submission=submission, text="I added a second exit ticket.")
    evidence.submit_attempt(teacher=teacher, submission=submission)
    db.session.commit()
    return submission


def scores_at(credential, position: int, comment: str = "Needs more student voice."):
    """A ScoreInput per criterion at the level in ``position`` (0 = lowest)."""
    return [
        services.ScoreInput(c.id, c.levels[position].id, comment if position < 2 else "")
        for c in credential.rubric.criteria
    ]


def review(assignment, position: int, *, feedback: str = "Thoughtful work."):
    out = services.record_review(reviewer=assignment.reviewer, assignment=assignment,
                                 scores=scores_at(assignment.submission.credential, position),
                                 feedback=feedback, submit=True)
    db.session.commit()
    return out
