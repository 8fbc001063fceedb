"""The reviewers and impact figures on their summaries, and the school-first path: a chosen school
gives the live reference's answers for every summary-backed figure (without reading the summaries),
a withdrawn attempt leaves the impact figures at the next refresh, and the reviewers and impact
dashboards read a bounded number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from app.analytics import services
from app.analytics.models import ImpactFact, ReviewerDay, ReviewerMonth
from app.analytics.services import Filters
from app.analytics.summaries import SUMMARIES, month_ranges, refresh_summaries, reviewer_month_rows, whole_months
from app.reviewers.models import Assignment, AssignmentStatus
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.extensions import db
from tests import factories
from tests.analytics.test_summaries import SUMMARISED, _assert_figures_equal_live, _filters_for, _same_rows


def _school_filters(program) -> list[Filters]:
    return [Filters(school_id=school.id, start=start, end=end)
            for school in program.schools.values()
            for start, end in ((None, None), (date(2026, 1, 11), None), (None, date(2026, 1, 10)))]


def test_a_chosen_school_answers_as_the_live_reference_without_the_summaries(program):
    refresh_summaries(full=True)
    db.session.commit()
    for model, _columns, _rows in SUMMARIES:
        db.session.execute(model.__table__.delete())  # wiped: only a live answer can be right
    compared = 0
    for filters in _school_filters(program):
        for figure in SUMMARISED.values():
            live = figure(program.lead, filters, live=True)
            _same_rows(figure(program.lead, filters), live)
            compared += len(live.rows)
    assert compared > 0
    alder = Filters(school_id=program.schools["Alder"].id)
    assert services.criteria_below_pass(program.lead, alder).rows[0]["scores"] == 5


def test_a_school_without_teachers_has_no_rows(program):
    empty = factories.school(program.org, "Empty")
    db.session.commit()
    filters = Filters(school_id=empty.id)
    for name in ("criteria", "agreement", "load", "impact", "measures"):
        assert SUMMARISED[name](program.lead, filters).rows == [], name


def test_the_new_summaries_hold_rows_and_equal_live(program):
    refresh_summaries(full=True)
    db.session.commit()
    assert db.session.scalar(select(ReviewerDay.assigned).limit(1)) is not None
    assert db.session.scalar(select(ImpactFact.change).limit(1)) is not None
    _assert_figures_equal_live(program.lead, _filters_for(program))
    load = services.reviewer_load(program.lead, Filters())
    assert load.total and load.rows[0]["assigned"] >= load.rows[-1]["assigned"]


@pytest.mark.parametrize(("start", "end", "months"), [
    (None, None, (None, None)),
    (date(2026, 1, 1), date(2026, 1, 31), (date(2026, 1, 1), date(2026, 2, 1))),
    (date(2025, 12, 3), date(2026, 12, 3), (date(2026, 1, 1), date(2026, 12, 1))),
    (date(2025, 12, 31), date(2026, 2, 28), (date(2026, 1, 1), date(2026, 3, 1))),
    (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 3, 1))),  # leap year
    (date(2026, 1, 2), None, (date(2026, 2, 1), None)),
    (None, date(2026, 1, 30), (None, date(2026, 1, 1))),
    (date(2026, 1, 1), date(2026, 1, 30), None),
    (date(2026, 1, 10), date(2026, 2, 20), None),
    (date(2026, 1, 20), date(2026, 1, 10), None),  # an empty window
])
def test_the_whole_months_of_a_window(start, end, months):
    assert whole_months(start, end) == months


def test_the_months_a_refresh_rebuilds():
    assert month_ranges([(date(2026, 1, 30), date(2026, 2, 2)), (date(2026, 3, 5), date(2026, 3, 5)),
                         (date(2026, 6, 1), date(2026, 6, 30)), (date(2025, 12, 31), date(2025, 12, 31))]) == [
        (date(2025, 12, 1), date(2026, 3, 1)), (date(2026, 6, 1), date(2026, 6, 1))]


def _month_rows(query=None) -> list[tuple]:
    """The rows of ReviewerMonth (or of ``query``), the month as text: SQLite gives the rebuilt
    SELECT's month as a string."""
    m = ReviewerMonth
    query = query if query is not None else select(m.reviewer_id, m.issuer_id, m.month, m.assigned, m.completed,
                                                   m.open, m.closed_overdue, m.as_coach)
    return sorted((r[0], r[1], str(r[2])[:10], *r[3:]) for r in db.session.execute(query))


def test_the_load_reads_whole_months_from_the_month_summary(program):
    refresh_summaries(full=True)
    db.session.commit()
    assert _month_rows() and _month_rows() == _month_rows(reviewer_month_rows(None))
    january = Filters(start=date(2026, 1, 1), end=date(2026, 1, 31))
    before = {f: services.load_distribution(program.lead, f).rows[0]["max"]
              for f in (Filters(), january, Filters(start=date(2026, 1, 1), end=date(2026, 1, 30)),
                        Filters(credential_id=program.micro.id))}
    top = db.session.scalar(select(ReviewerMonth).order_by(ReviewerMonth.assigned.desc()).limit(1))
    top.assigned += 100  # only a figure that reads the month rows sees this
    db.session.commit()
    after = {f: services.load_distribution(program.lead, f).rows[0]["max"] for f in before}
    assert after[Filters()] == before[Filters()] + 100 and after[january] == before[january] + 100
    assert [after[f] for f in list(before)[2:]] == list(before.values())[2:]  # days only: no whole month, or one credential


def test_an_incremental_refresh_rebuilds_the_months_of_the_changed_days(program):
    refresh_summaries(full=True)
    db.session.commit()
    before = _month_rows()
    assignment = db.session.scalar(select(Assignment).where(Assignment.status == AssignmentStatus.COMPLETED)
                                   .order_by(Assignment.id).limit(1))
    assignment.status = AssignmentStatus.DECLINED
    db.session.commit()
    assert refresh_summaries().kind == "days"
    db.session.commit()
    rebuilt = _month_rows()
    assert rebuilt != before
    assert rebuilt == _month_rows(reviewer_month_rows(None))
    _assert_figures_equal_live(program.lead, _filters_for(program))


def test_a_withdrawn_attempt_leaves_the_impact_figures_at_the_next_refresh(program):
    refresh_summaries(full=True)
    db.session.commit()
    before = services.impact_by_credential(program.lead, Filters())
    submission = db.session.scalar(
        select(Submission).join(Artifact, Artifact.submission_id == Submission.id)
        .join(ImpactMeasure, ImpactMeasure.artifact_id == Artifact.id)
        .where(Submission.status != SubmissionStatus.WITHDRAWN).order_by(Submission.id).limit(1))
    submission.status = SubmissionStatus.WITHDRAWN
    db.session.commit()
    live = services.impact_by_credential(program.lead, Filters(), live=True)
    assert live.rows != before.rows
    assert services.impact_by_credential(program.lead, Filters()).rows == before.rows  # stale until a refresh
    assert refresh_summaries().days >= 1
    _assert_figures_equal_live(program.lead, _filters_for(program))


def test_the_reviewers_and_impact_dashboards_read_a_bounded_number_of_queries(program):
    refresh_summaries(full=True)
    db.session.commit()
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for name in ("reviewers", "impact"):
            for filters in (Filters(), Filters(school_id=program.schools["Alder"].id)):
                counted.clear()
                services.build_dashboard(program.lead, name, filters)
                # impact: the status, then per figure the credential ids, the counts and the two steps of the median
                assert len(counted) <= (22 if name == "reviewers" else 10), (name, filters, len(counted))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
