"""A small program whose every figure is computed by hand in the tests (see test_figures.py).

One microcredential M (3 criteria; levels 0 Not yet, 1 Developing, 2 Proficient (pass), 3 Exemplary),
one stack S = M + M2, schools Alder, Birch and Cedar, all in January 2026:

- t1 (Alder): enrolled 1 Jan; attempt 1 submitted 11 Jan, passed 15 Jan (award: 14 days).
- t2 (Alder): enrolled 1 Jan; attempt 1 submitted 10 Jan, not yet 12 Jan; attempt 2 submitted
  20 Jan, passed 31 Jan (award: 30 days). Also holds the stack award.
- t3 (Birch): enrolled 5 Jan; attempt 1 submitted 10 Jan, not yet 16 Jan.
- t4 (Birch): enrolled 5 Jan; only a draft (never submitted).
- t5 (Cedar): nothing.

Peer scores (criterion positions c1, c2, c3):
  t1 attempt 1: P1 [2, 2, 3], P2 [2, 1, 3]
  t2 attempt 1: P1 [1, 2, 1], P2 [3, 2, 0], coach [2, 1, 0]
Assignment days to complete: 2, 4 (t1a1); 1, 2, 10 (t2a1, the coach's 10 is past its 7-day due date);
6 (coach on t3a1); one declined (P3 on t3a1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import Role
from app.credentials.models import Award, CalibrationExemplar, RequirementKind
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.extensions import db
from app.learning.models import Enrollment
from app.reviewers.models import (
    Assignment,
    AssignmentStatus,
    CalibrationAttempt,
    Decision,
    DecisionBasis,
    Outcome,
    Review,
    ReviewerRole,
    ReviewScore,
)
from tests import factories


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


@dataclass
class Program:
    org: object
    micro: object
    micro2: object
    stack: object
    schools: dict
    teachers: dict
    reviewers: dict
    lead: object
    framework: object


def _submission(teacher, credential, attempt, status, submitted=None, decided=None, previous=None):
    row = Submission(teacher=teacher, credential=credential, attempt=attempt, status=status, previous=previous,
                     submitted_at=submitted, decided_at=decided, created_at=submitted or at(2),
                     updated_at=decided or submitted or at(2))
    db.session.add(row)
    db.session.flush()
    return row


def _review(submission, reviewer, role, assigned, days, levels, criteria, due_days=7):
    assignment = Assignment(submission=submission, reviewer=reviewer, role=role, status=AssignmentStatus.COMPLETED,
                            assigned_at=assigned, due_at=assigned + timedelta(days=due_days),
                            completed_at=assigned + timedelta(days=days))
    db.session.add(assignment)
    db.session.flush()
    if levels is not None:
        scores = [ReviewScore(criterion_id=c.id, level_id=c.levels[p].id) for c, p in zip(criteria, levels)]
        db.session.add(Review(assignment=assignment, submitted_at=assignment.completed_at, scores=scores))
    return assignment


def _data(submission, requirement, rows, carried_from=None):
    artifact = Artifact(submission=submission, requirement=requirement, kind=RequirementKind.DATA,
                        carried_from_id=carried_from.id if carried_from else None)
    artifact.measures = [ImpactMeasure(position=i, measure=m, unit=u, before=b, after=a, higher_is_better=h,
                                       students=20) for i, (m, u, b, a, h) in enumerate(rows)]
    db.session.add(artifact)
    db.session.flush()
    return artifact


def _award(teacher, credential, submission, issued):
    award = Award(credential=credential, recipient=teacher, submission_id=submission.id if submission else None,
                  recipient_email=teacher.email, salt="s", identity_hash="sha256$x", issued_at=issued)
    db.session.add(award)


@pytest.fixture
def program(app, org) -> Program:
    framework = factories.framework(org, competencies=2)
    micro = factories.micro_credential(org, competencies=framework.competencies, name="Micro M")
    micro2 = factories.micro_credential(org, name="Micro M2")
    stack = factories.stack_credential(org, [micro, micro2])
    schools = {name: factories.school(org, name) for name in ("Alder", "Birch", "Cedar")}
    t = {
        "t1": factories.user(organization=org, school=schools["Alder"], name="T One"),
        "t2": factories.user(organization=org, school=schools["Alder"], name="T Two"),
        "t3": factories.user(organization=org, school=schools["Birch"], name="T Three"),
        "t4": factories.user(organization=org, school=schools["Birch"], name="T Four"),
        "t5": factories.user(organization=org, school=schools["Cedar"], name="T Five"),
    }
    r = {
        "p1": factories.user(organization=org, name="Peer One"),
        "p2": factories.user(organization=org, name="Peer Two"),
        "p3": factories.user(organization=org, name="Peer Three"),
        "coach": factories.user(organization=org, roles={Role.COACH}, name="Coach Cole"),
    }
    lead = factories.user(organization=org, roles={Role.ANALYST}, name="Lead")
    criteria = micro.rubric.criteria
    data_req = next(req for req in micro.requirements if req.kind is RequirementKind.DATA)

    for name, day in (("t1", 1), ("t2", 1), ("t3", 5), ("t4", 5)):
        db.session.add(Enrollment(user=t[name], credential=micro, started_at=at(day)))

    t1a1 = _submission(t["t1"], micro, 1, SubmissionStatus.PASSED, at(11), at(15))
    t2a1 = _submission(t["t2"], micro, 1, SubmissionStatus.NOT_YET, at(10), at(12))
    t2a2 = _submission(t["t2"], micro, 2, SubmissionStatus.PASSED, at(20), at(31), previous=t2a1)
    t3a1 = _submission(t["t3"], micro, 1, SubmissionStatus.NOT_YET, at(10), at(16))
    _submission(t["t4"], micro, 1, SubmissionStatus.DRAFT)

    for submission, outcome in ((t1a1, Outcome.PASSED), (t2a1, Outcome.NOT_YET), (t2a2, Outcome.PASSED),
                                (t3a1, Outcome.NOT_YET)):
        db.session.add(Decision(submission=submission, outcome=outcome, basis=DecisionBasis.PEERS_AGREE,
                                decided_at=submission.decided_at))

    _review(t1a1, r["p1"], ReviewerRole.PEER, at(11), 2, [2, 2, 3], criteria)
    _review(t1a1, r["p2"], ReviewerRole.PEER, at(11), 4, [2, 1, 3], criteria)
    _review(t2a1, r["p1"], ReviewerRole.PEER, at(10), 1, [1, 2, 1], criteria)
    _review(t2a1, r["p2"], ReviewerRole.PEER, at(10), 2, [3, 2, 0], criteria)
    _review(t2a1, r["coach"], ReviewerRole.COACH, at(10), 10, [2, 1, 0], criteria)
    _review(t3a1, r["coach"], ReviewerRole.COACH, at(10), 6, None, criteria)
    db.session.add(Assignment(submission=t3a1, reviewer=r["p3"], role=ReviewerRole.PEER,
                              status=AssignmentStatus.DECLINED, assigned_at=at(10), due_at=at(17)))

    _award(t["t1"], micro, t1a1, at(15))
    _award(t["t2"], micro, t2a2, at(31))
    _award(t["t2"], stack, None, at(31))

    first = _data(t1a1, data_req, [("Quiz", "%", 40, 50, True), ("Absences", "count", 10, 6, False)])
    old = _data(t2a1, data_req, [("Quiz", "%", 50, 45, True)])
    _data(t2a2, data_req, [("Quiz", "%", 50, 45, True)], carried_from=old)  # a carried copy: counted once
    _data(t2a2, data_req, [("Quiz", "%", 20, 20, True)])
    _data(t3a1, data_req, [("Reading", "%", 0, 5, True)])
    assert first.id

    exemplar = CalibrationExemplar(credential=micro, title="Exemplar", body_md="Sample")
    db.session.add(exemplar)
    db.session.flush()
    for user, share, passed, day in ((r["p1"], 0.5, False, 2), (r["p1"], 1.0, True, 3), (r["p2"], 0.75, True, 3)):
        db.session.add(CalibrationAttempt(user=user, exemplar=exemplar, scores={}, exact_share=share, max_gap=1,
                                          passed=passed, created_at=at(day)))
    db.session.commit()
    return Program(org=org, micro=micro, micro2=micro2, stack=stack, schools=schools, teachers=t, reviewers=r,
                   lead=lead, framework=framework)
