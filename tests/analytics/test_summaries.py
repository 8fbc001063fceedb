"""The per-day summaries: after a refresh (full, incremental, or inline after a decision) every
summary-backed figure equals its live reference, on the hand-computed program and on a generated
data set, on SQLite and PostgreSQL; reading them takes a bounded number of queries."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import User
from app.analytics import services
from app.analytics.models import AnalyticsDirtyDay, AnalyticsRefresh, CriterionDay
from app.analytics.services import Filters
from app.analytics.summaries import mark_submission_days, refresh_summaries, summary_status
from app.credentials.models import Credential, CredentialKind, Framework
from app.db import utcnow
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus, ReviewerRole
from app.reviewers.signals import submission_decided

NOW = datetime(2026, 3, 1, tzinfo=UTC)
LEAD = "lead@riverbend.example.org"  # the demo program lead
SUMMARISED = {
    "criteria": services.criteria_below_pass,
    "agreement": services.reviewer_agreement,
    "turnaround": lambda actor, filters, **kw: services.review_turnaround(actor, filters, now=NOW, **kw),
    "load": lambda actor, filters, **kw: services.reviewer_load(actor, filters, now=NOW, **kw),
    "spread": lambda actor, filters, **kw: services.load_distribution(actor, filters, now=NOW, **kw),
    "impact": services.impact_by_credential,
    "measures": services.impact_by_measure,
}


def _same_rows(summarised, live) -> None:
    assert len(summarised.rows) == len(live.rows)
    for got, want in zip(summarised.rows, live.rows, strict=True):
        assert got.keys() == want.keys()
        for key, value in want.items():
            other = got[key]
            if isinstance(value, float) or isinstance(other, float):
                assert other is not None and value is not None, (key, got, want)
                assert math.isclose(other, value, rel_tol=1e-12, abs_tol=1e-12), (key, got, want)
            else:
                assert other == value, (key, got, want)


def _assert_figures_equal_live(actor, filter_sets) -> int:
    compared = 0
    for filters in filter_sets:
        for name, figure in SUMMARISED.items():
            live = figure(actor, filters, live=True)
            summarised = figure(actor, filters)
            _same_rows(summarised, live)
            compared += len(live.rows)
    return compared


def _filters_for(program) -> list[Filters]:
    return [
        Filters(), Filters(start=date(2026, 1, 11)), Filters(end=date(2026, 1, 10)),
        Filters(start=date(2026, 1, 10), end=date(2026, 1, 10)), Filters(framework_id=program.framework.id),
        Filters(credential_id=program.micro.id), Filters(credential_id=program.stack.id),
        Filters(start=date(2027, 1, 1)),
        # Whole months (the reviewer load reads ReviewerMonth for them): January alone, January with
        # edge days either side, from a month's first day on, and a window holding no whole month.
        Filters(start=date(2026, 1, 1), end=date(2026, 1, 31)), Filters(start=date(2025, 12, 15), end=date(2026, 2, 10)),
        Filters(start=date(2025, 12, 1)), Filters(start=date(2026, 1, 1), end=date(2026, 1, 15)),
    ]


def test_before_the_first_refresh_figures_are_live(program):
    assert not summary_status().full_refreshed
    table = services.criteria_below_pass(program.lead, Filters())
    assert [(r["criterion"], r["scores"], r["below"]) for r in table.rows][0] == ("Criterion 3", 5, 3)


def test_full_refresh_gives_the_hand_computed_figures(program):
    result = refresh_summaries(full=True)
    db.session.commit()
    assert result.kind == "full" and summary_status().full_refreshed
    assert db.session.scalar(select(func.count()).select_from(CriterionDay)) > 0

    criteria = services.criteria_below_pass(program.lead, Filters())
    assert [(r["criterion"], r["scores"], r["below"]) for r in criteria.rows] == [
        ("Criterion 3", 5, 3), ("Criterion 2", 5, 2), ("Criterion 1", 5, 1),
    ]
    agreement = services.reviewer_agreement(program.lead, Filters())
    assert [(r["criterion"], r["pairs"], r["exact"], r["adjacent"]) for r in agreement.rows] == [
        ("Criterion 1", 2, 1, 1), ("Criterion 2", 2, 1, 2), ("Criterion 3", 2, 1, 2),
    ]
    turnaround = services.review_turnaround(program.lead, Filters(), now=NOW)
    m = next(r for r in turnaround.rows if r["credential"] == "Micro M")
    assert (m["assignments"], m["completed"], m["overdue"], m["declined"]) == (6, 6, 1, 1)
    assert (m["median_days"], m["p90_days"]) == (pytest.approx(3.0), pytest.approx(8.0))  # 1 2 2 4 6 10
    assert _assert_figures_equal_live(program.lead, _filters_for(program)) > 0


def test_a_school_filter_reads_live(program, monkeypatch):
    refresh_summaries(full=True)
    db.session.commit()
    db.session.execute(CriterionDay.__table__.delete())  # summaries wiped: only a live figure can be right
    birch = Filters(school_id=program.schools["Birch"].id)
    alder = Filters(school_id=program.schools["Alder"].id)
    assert services.criteria_below_pass(program.lead, birch).rows == []  # t3's only review has no scores
    assert services.criteria_below_pass(program.lead, alder).rows[0]["scores"] == 5


def test_refresh_is_incremental_and_idempotent(program):
    refresh_summaries(full=True)
    db.session.commit()
    assert refresh_summaries().days == 0  # nothing changed: nothing rebuilt
    reviewed = db.session.scalar(select(Assignment).where(Assignment.status == AssignmentStatus.COMPLETED)
                                 .order_by(Assignment.id).limit(1))
    pending = Assignment(submission_id=reviewed.submission_id, reviewer=program.reviewers["p3"],
                         role=ReviewerRole.PEER, status=AssignmentStatus.PENDING,
                         assigned_at=datetime(2026, 2, 1, tzinfo=UTC), due_at=datetime(2026, 2, 8, tzinfo=UTC))
    db.session.add(pending)
    db.session.commit()
    stale = services.review_turnaround(program.lead, Filters(), now=NOW)
    live = services.review_turnaround(program.lead, Filters(), now=NOW, live=True)
    assert stale.rows != live.rows  # the summaries lag until a refresh
    result = refresh_summaries()
    db.session.commit()
    assert result.kind == "days" and result.days >= 1
    _assert_figures_equal_live(program.lead, _filters_for(program))
    again = refresh_summaries()
    assert again.days == 0
    _assert_figures_equal_live(program.lead, _filters_for(program))


def test_a_decision_marks_and_refreshes_its_days_inline(program):
    refresh_summaries(full=True)
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.status == AssignmentStatus.COMPLETED)
                                   .order_by(Assignment.id).limit(1))
    assignment.completed_at = assignment.completed_at + timedelta(days=3)  # now 3 days later, past due
    db.session.flush()
    submission_decided.send(assignment.submission, decision=None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AnalyticsDirtyDay)) == 0  # refreshed inline
    _assert_figures_equal_live(program.lead, _filters_for(program))


def test_the_inline_refresh_never_starts_a_full_rebuild(program):
    # Before the first full rebuild (a new install, or an upgrade that emptied the summaries) a
    # decision marks its days and leaves the rebuild to `flask analytics refresh --full`.
    assignment = db.session.scalar(select(Assignment).where(Assignment.status == AssignmentStatus.COMPLETED)
                                   .order_by(Assignment.id).limit(1))
    submission_decided.send(assignment.submission, decision=None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AnalyticsDirtyDay)) >= 1
    assert db.session.scalar(select(func.count()).select_from(AnalyticsRefresh)) == 0
    assert refresh_summaries(wait=False).waits_for_full
    assert not summary_status().full_refreshed
    assert refresh_summaries().kind == "full"  # the CLI and the worker wait: they do rebuild


def test_marked_days_wait_and_show_on_the_status(program):
    refresh_summaries(full=True)
    db.session.commit()
    submission = db.session.scalar(select(Assignment.submission_id).limit(1))
    assert mark_submission_days(submission) >= 1
    status = summary_status()
    assert status.pending_days >= 1 and status.refreshed_at is not None
    refresh_summaries()
    assert summary_status().pending_days == 0


def test_the_cli_refreshes(app, runner, program):
    result = runner.invoke(args=["analytics", "refresh", "--full"])
    assert result.exit_code == 0, result.output
    assert "full" in result.output
    result = runner.invoke(args=["analytics", "refresh"])
    assert result.exit_code == 0 and "0 days" in result.output
    with app.app_context():
        kinds = db.session.scalars(select(AnalyticsRefresh.kind).order_by(AnalyticsRefresh.id)).all()
    assert kinds == ["full", "days"]


def test_reading_the_summaries_takes_a_bounded_number_of_queries(program):
    refresh_summaries(full=True)
    db.session.commit()
    engine = db.engine
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        services.build_dashboard(program.lead, "reviewers", Filters())
        board_queries = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert board_queries <= 22, board_queries


@pytest.mark.parametrize("seed", [3])
def test_generated_data_set_after_refresh_equals_live(app, seed):
    from app.demo.generate import generate_data
    from app.demo.loader import load_demo

    as_of = date(2026, 6, 30)
    load_demo()
    generate_data(teachers=300, seed=seed, as_of=as_of)
    db.session.commit()
    lead = db.session.scalar(select(User).where(User.email == LEAD))
    assert lead is not None
    org = lead.organization_id
    framework = db.session.scalar(select(Framework.id).where(Framework.organization_id == org).limit(1))
    micro = db.session.scalar(select(Credential.id).where(Credential.issuer_id == org,
                                                          Credential.kind == CredentialKind.MICRO).limit(1))
    stack = db.session.scalar(select(Credential.id).where(Credential.issuer_id == org,
                                                          Credential.kind == CredentialKind.STACK).limit(1))
    filter_sets = [
        Filters(), Filters(start=as_of - timedelta(days=365), end=as_of),
        Filters(start=as_of - timedelta(days=30), end=as_of), Filters(start=date(2025, 11, 3), end=date(2025, 11, 3)),
        Filters(framework_id=framework), Filters(credential_id=micro), Filters(credential_id=stack),
        Filters(start=date(2025, 12, 1), end=date(2026, 2, 28)), Filters(start=date(2025, 10, 15), end=date(2026, 3, 31)),
    ]
    refresh_summaries(full=True)
    db.session.commit()
    assert _assert_figures_equal_live(lead, filter_sets) > 50

    # Change a slice of the data the way the workflow does, then refresh incrementally.
    pending = db.session.scalars(select(Assignment).where(Assignment.status == AssignmentStatus.PENDING)
                                 .order_by(Assignment.id).limit(6)).all()
    for n, assignment in enumerate(pending):
        if n % 2:
            assignment.status = AssignmentStatus.DECLINED
        else:
            assignment.status, assignment.completed_at = AssignmentStatus.COMPLETED, assignment.assigned_at + timedelta(days=n)
    completed = db.session.scalars(select(Assignment).where(Assignment.status == AssignmentStatus.COMPLETED)
                                   .order_by(Assignment.id).limit(4)).all()
    for assignment in completed:
        assignment.status = AssignmentStatus.EXPIRED
    # Two undecided attempts are withdrawn (the generator leaves them in review): their classroom
    # measures leave the impact figures.
    waiting = db.session.scalars(
        select(Submission).join(Artifact, Artifact.submission_id == Submission.id)
        .join(ImpactMeasure, ImpactMeasure.artifact_id == Artifact.id)
        .where(Submission.status.in_([SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW]),
               Artifact.carried_from_id.is_(None))
        .order_by(Submission.id).distinct().limit(2)).all()
    assert waiting
    for submission in waiting:
        submission.status, submission.withdrawn_at = SubmissionStatus.WITHDRAWN, utcnow()
    db.session.commit()
    stale = services.impact_by_credential(lead, Filters())
    assert stale.rows != services.impact_by_credential(lead, Filters(), live=True).rows
    result = refresh_summaries()
    db.session.commit()
    assert result.kind == "days" and result.days >= 1
    _assert_figures_equal_live(lead, filter_sets)
