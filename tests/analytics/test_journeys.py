"""The journey summaries (outcomes per credential, attempts to pass): after a refresh, full or
incremental, they give the live figures exactly, on the hand-computed program and on a generated
data set, on SQLite and PostgreSQL, for every window and filter; a school reads live."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import Role, User
from app.analytics import services
from app.analytics.models import AttemptDay, AttemptMark, OutcomeDay
from app.analytics.services import Filters
from app.analytics.summaries import refresh_summaries
from app.credentials.models import Credential, CredentialKind, Framework
from app.evidence.models import Submission, SubmissionStatus
from app.extensions import db
from app.learning.models import Enrollment
from tests import factories
from tests.analytics.test_summaries import _filters_for, _same_rows

LEAD = "lead@riverbend.example.org"
JOURNEYS = {"outcomes": services.credential_outcomes, "attempts": services.attempts_to_pass,
            "stacks": services.stack_progress, "schools": services.school_participation}


def _assert_journeys_equal_live(actor, filter_sets) -> int:
    compared = 0
    for filters in filter_sets:
        for figure in JOURNEYS.values():
            live = figure(actor, filters, live=True)
            _same_rows(figure(actor, filters), live)
            compared += sum(1 for row in live.rows if any(v not in (0, None) for k, v in row.items()
                                                          if k not in ("credential", "credential_id", "attempts", "stack",
                                                                       "school", "school_id", "teachers")))
    return compared


def _program_filters(program) -> list[Filters]:
    return _filters_for(program) + [
        Filters(start=date(2026, 1, 12)), Filters(start=date(2026, 1, 20), end=date(2026, 1, 31)),
        Filters(start=date(2026, 1, 11), end=date(2026, 1, 20)), Filters(school_id=program.schools["Alder"].id),
        Filters(start=date(2026, 1, 12), school_id=program.schools["Alder"].id),
    ]


def test_the_summaries_give_the_hand_computed_outcomes(program):
    refresh_summaries(full=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutcomeDay)) > 0
    m = next(r for r in services.credential_outcomes(program.lead, Filters()).rows if r["credential"] == "Micro M")
    assert (m["enrollments"], m["never_submitted"], m["submissions"], m["teachers"]) == (4, 1, 4, 3)
    assert m["first_attempt_pass"] == pytest.approx(1 / 3) and m["eventual_pass"] == pytest.approx(2 / 3)
    assert (m["awards"], m["median_days_to_award"]) == (2, pytest.approx(22.0))
    later = next(r for r in services.credential_outcomes(program.lead, Filters(start=date(2026, 1, 12))).rows
                 if r["credential"] == "Micro M")
    assert (later["enrollments"], later["submissions"], later["teachers"], later["eventual_pass"]) == (0, 1, 1, 1.0)
    attempts = services.attempts_to_pass(program.lead, Filters())
    assert [(r["attempts"], r["teachers"]) for r in attempts.rows] == [("1", 1), ("2", 1), ("3", 0), ("4 or more", 0)]
    # From 11 January t2's first attempt (10 January) is outside the window: her pass needed one in it.
    window = services.attempts_to_pass(program.lead, Filters(start=date(2026, 1, 11)))
    assert [(r["attempts"], r["teachers"]) for r in window.rows][:2] == [("1", 2), ("2", 0)]
    stack = services.stack_progress(program.lead, Filters()).rows[0]
    assert (stack["started"], stack["earned_component"], stack["awards"]) == (
        services.stack_progress(program.lead, Filters(), live=True).rows[0]["started"], 2, 1)
    schools = {r["school"]: r for r in services.school_participation(program.lead, Filters()).rows}
    assert (schools["Alder"]["started"], schools["Alder"]["earning"], schools["Birch"]["started"]) == (2, 2, 2)
    assert _assert_journeys_equal_live(program.lead, _program_filters(program)) > 0


def test_the_summaries_are_read_not_the_raw_rows(program):
    refresh_summaries(full=True)
    db.session.commit()
    for table in (AttemptDay, AttemptMark):  # only the summaries can now be wrong
        db.session.execute(table.__table__.delete())
    m = next(r for r in services.credential_outcomes(program.lead, Filters()).rows if r["credential"] == "Micro M")
    assert m["teachers"] == 0 and m["submissions"] == 0  # no teachers: the attempts count as none
    birch = Filters(school_id=program.schools["Birch"].id)  # a school reads live
    m = next(r for r in services.credential_outcomes(program.lead, birch).rows if r["credential"] == "Micro M")
    assert (m["enrollments"], m["never_submitted"], m["submissions"]) == (2, 1, 1)


def test_the_teachers_per_school_are_counted_at_every_refresh(program):
    refresh_summaries(full=True)
    db.session.commit()

    def teachers(**kw) -> dict[str, int]:
        return {r["school"]: r["teachers"] for r in services.school_participation(program.lead, Filters(), **kw).rows}

    assert teachers() == teachers(live=True) == {"Alder": 2, "Birch": 2, "Cedar": 1}
    factories.user(organization=program.org, school=program.schools["Cedar"])
    factories.user(organization=program.org, school=program.schools["Cedar"], roles={Role.COACH})  # not a teacher
    program.teachers["t1"].active = False
    db.session.commit()
    assert teachers() == {"Alder": 2, "Birch": 2, "Cedar": 1}  # as of the last refresh
    assert teachers(live=True) == {"Alder": 1, "Birch": 2, "Cedar": 2}
    refresh_summaries()
    db.session.commit()
    assert teachers() == teachers(live=True)
    _assert_journeys_equal_live(program.lead, _program_filters(program))


def test_an_incremental_refresh_picks_up_new_attempts_and_enrolments(program):
    refresh_summaries(full=True)
    db.session.commit()
    t3, t5 = program.teachers["t3"], program.teachers["t5"]
    first = db.session.scalar(select(Submission).where(Submission.teacher_id == t3.id))
    db.session.add(Submission(teacher=t3, credential=program.micro, attempt=2, status=SubmissionStatus.PASSED,
                              previous=first, submitted_at=datetime(2026, 1, 25, 9, tzinfo=UTC),
                              decided_at=datetime(2026, 1, 28, tzinfo=UTC)))
    db.session.add(Enrollment(user=t5, credential=program.micro, started_at=datetime(2026, 1, 21, tzinfo=UTC)))
    db.session.commit()
    stale = services.credential_outcomes(program.lead, Filters())
    assert stale.rows != services.credential_outcomes(program.lead, Filters(), live=True).rows
    result = refresh_summaries()
    db.session.commit()
    assert result.kind == "days" and result.days >= 2
    assert _assert_journeys_equal_live(program.lead, _program_filters(program)) > 0
    attempts = services.attempts_to_pass(program.lead, Filters())
    assert [(r["attempts"], r["teachers"]) for r in attempts.rows][:2] == [("1", 1), ("2", 2)]
    assert refresh_summaries().days == 0


def test_the_credentials_dashboard_takes_a_bounded_number_of_queries(program):
    refresh_summaries(full=True)
    db.session.commit()
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        services.build_dashboard(program.lead, "credentials", Filters())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(counted) <= 16, len(counted)


def test_generated_data_set_journeys_equal_live(app):
    from app.demo.generate import generate_data
    from app.demo.loader import load_demo

    as_of = date(2026, 6, 30)
    load_demo()
    generate_data(teachers=300, seed=5, as_of=as_of)
    db.session.commit()
    lead = db.session.scalar(select(User).where(User.email == LEAD))
    org = lead.organization_id
    framework = db.session.scalar(select(Framework.id).where(Framework.organization_id == org).limit(1))
    micro = db.session.scalar(select(Credential.id).where(Credential.issuer_id == org,
                                                          Credential.kind == CredentialKind.MICRO).limit(1))
    stack = db.session.scalar(select(Credential.id).where(Credential.issuer_id == org,
                                                          Credential.kind == CredentialKind.STACK).limit(1))
    school = db.session.scalar(select(User.school_id).where(User.organization_id == org, User.school_id.is_not(None))
                               .order_by(User.id).limit(1))
    filter_sets = [
        Filters(), Filters(start=as_of - timedelta(days=365), end=as_of), Filters(start=as_of - timedelta(days=30), end=as_of),
        Filters(start=as_of - timedelta(days=120), end=as_of - timedelta(days=60)),
        Filters(start=date(2025, 11, 3), end=date(2025, 11, 3)),
        Filters(framework_id=framework), Filters(credential_id=micro), Filters(credential_id=stack),
        Filters(school_id=school), Filters(start=as_of - timedelta(days=365), end=as_of, school_id=school),
        Filters(page=2), Filters(start=as_of - timedelta(days=30), end=as_of, page=2),
    ]
    refresh_summaries(full=True)
    db.session.commit()
    assert _assert_journeys_equal_live(lead, filter_sets) > 20
    retried = db.session.scalar(select(func.count()).select_from(Submission).where(Submission.attempt >= 2))
    assert retried > 0  # the data set exercises teachers' later attempts

    # Decide a slice of the open attempts the way the workflow does, then refresh incrementally.
    open_ones = db.session.scalars(select(Submission).where(Submission.status.in_(
        (SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW))).order_by(Submission.id).limit(6)).all()
    assert open_ones
    for n, submission in enumerate(open_ones):
        submission.status = SubmissionStatus.PASSED if n % 2 else SubmissionStatus.NOT_YET
    db.session.commit()
    result = refresh_summaries()
    db.session.commit()
    assert result.kind == "days" and result.days >= 1
    _assert_journeys_equal_live(lead, filter_sets)
