"""The reviewers and impact figures at scale: where their rows come from, and the school-first
path for a chosen school.

Load per reviewer and the load spread read per-reviewer counts (``reviewer_loads``) and the
impact figures read one row per counted measure (``impact_facts``), either from the summaries
(``ReviewerDay``, ``ImpactFact``; ``summaries.py`` builds them) or from the raw rows: the same
columns either way, so each figure is one aggregate over whichever source, and the live source
stays the reference the tests compare with. Calibration is not summarised: it reads a few
thousand attempts (2 to 12 ms at 100,000 teachers), and its distinct peers per window would
need a row per attempt anyway.

With a school chosen, the figures read the raw rows of that school's people (the
summaries hold no school). Given the school as a subquery, PostgreSQL plans for an
unknown number of teachers and hashes the whole score or pair tables (criteria below
pass took 12 s, agreement 1.4 s at 100,000 teachers); given the school's teacher ids
as values, it follows the indexes from those few teachers to their submissions,
reviews and scores. ``school_first`` fetches the ids first (one indexed query) and
gives the condition with the ids written in; the answers are those of the subquery.
Where the join would still start from the far end (the peer pairs), ``school_submissions``
does the same with the ids of the school's submissions.
"""

from __future__ import annotations

from typing import Any

from datetime import datetime

from sqlalchemy import CTE, ColumnElement, Select, Subquery, case, false, func, select

from app.analytics.models import ImpactFact, ReviewerDay
from app.analytics.sql import percentiles_from_counts
from app.analytics.summaries import improvement, relative_improvement
from app.evidence.models import Artifact, ImpactMeasure, Submission
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus, ReviewerRole


def _count(condition) -> ColumnElement:
    return func.sum(case((condition, 1), else_=0))


def open_past_due(scope: Any, now: datetime) -> Subquery:
    """Open assignments past due, made in the window, of credentials in scope: ``credential_id``
    and ``reviewer_id`` per assignment. Counted live beside the summaries (they change with the
    clock, and few are open); the credential is a lookup per open assignment, not a join
    (PostgreSQL would hash the whole submission table)."""
    credential = (select(Submission.credential_id).where(Submission.id == Assignment.submission_id)
                  .correlate(Assignment).scalar_subquery())
    rows = (
        select(credential.label("credential_id"), Assignment.reviewer_id.label("reviewer_id"))
        .where(Assignment.status == AssignmentStatus.PENDING, Assignment.due_at < now,
               *scope.during(Assignment.assigned_at))
        .subquery("open_rows")
    )
    return select(rows).where(rows.c.credential_id.in_(scope.credentials())).subquery("open_past_due")


def reviewer_loads(scope: Any, summarised: bool, now: datetime, overdue: ColumnElement,
                   raw: list[ColumnElement]) -> CTE:
    """Per reviewer with assignments in the window (declined ones apart): ``assigned``,
    ``completed``, ``open``, ``overdue`` (``overdue`` is the live condition) and ``as_coach``.
    A CTE: the top reviewers and the spread read it in one statement, PostgreSQL computes it once.
    ``raw`` holds the live conditions on ``Assignment`` joined to its ``Submission``."""
    if not summarised:
        return (
            select(Assignment.reviewer_id.label("reviewer_id"), func.count().label("assigned"),
                   _count(Assignment.status == AssignmentStatus.COMPLETED).label("completed"),
                   _count(Assignment.status == AssignmentStatus.PENDING).label("open"),
                   _count(overdue).label("overdue"), _count(Assignment.role == ReviewerRole.COACH).label("as_coach"))
            .join(Submission, Submission.id == Assignment.submission_id)
            .where(*raw)
            .group_by(Assignment.reviewer_id)
            .cte("loads")
        )
    days = (
        select(ReviewerDay.reviewer_id, func.sum(ReviewerDay.assigned).label("assigned"),
               func.sum(ReviewerDay.completed).label("completed"), func.sum(ReviewerDay.open).label("open"),
               func.sum(ReviewerDay.closed_overdue).label("closed_overdue"),
               func.sum(ReviewerDay.as_coach).label("as_coach"))
        .where(ReviewerDay.credential_id.in_(scope.credentials()), *scope.on_days(ReviewerDay.day))
        .group_by(ReviewerDay.reviewer_id)
        .subquery("days")
    )
    late_rows = open_past_due(scope, now)
    late = (select(late_rows.c.reviewer_id, func.count().label("n"))
            .group_by(late_rows.c.reviewer_id).subquery("late"))
    return (
        select(days.c.reviewer_id, days.c.assigned, days.c.completed, days.c.open,
               (days.c.closed_overdue + func.coalesce(late.c.n, 0)).label("overdue"), days.c.as_coach)
        .outerjoin(late, late.c.reviewer_id == days.c.reviewer_id)
        .cte("loads")
    )


def median_of_counts(facts: Subquery, keys: list, value) -> Select:
    """The exact median of ``value`` per ``keys`` over the rows of ``facts``, from the count of each
    distinct value (``percentiles_from_counts``): for values that repeat across the window (the
    signed changes: 2,672 distinct among 1.46 million measures at 100,000 teachers), grouping
    first leaves a few thousand rows to rank instead of sorting every measure."""
    names = [key.name for key in keys]
    counts = select(*keys, value.label("value"), func.count().label("n")).group_by(*keys, value)
    return percentiles_from_counts(counts, {"median": 0.5}, keys=names)


def impact_facts(scope: Any, summarised: bool, raw: list[ColumnElement]) -> Subquery:
    """One row per counted measure in the window: ``credential_id``, ``teacher_id``, ``measure``,
    ``unit``, ``higher_is_better``, ``change`` (signed), ``relative`` (% of the start, None from 0)
    and ``students``. ``raw`` holds the live conditions on the measure's ``Submission``."""
    if summarised:
        f = ImpactFact
        return (
            select(f.credential_id, f.teacher_id, f.measure, f.unit, f.higher_is_better, f.change, f.relative,
                   f.students)
            .where(f.credential_id.in_(scope.credentials()), *scope.on_days(f.day))
            .subquery("facts")
        )
    return (
        select(Submission.credential_id, Submission.teacher_id, ImpactMeasure.measure, ImpactMeasure.unit,
               ImpactMeasure.higher_is_better, improvement().label("change"), relative_improvement().label("relative"),
               func.coalesce(ImpactMeasure.students, 0).label("students"))
        .join(Artifact, Artifact.id == ImpactMeasure.artifact_id)
        .join(Submission, Submission.id == Artifact.submission_id)
        .where(*raw)
        .subquery("facts")
    )


def school_first(scope: Any, column) -> list[ColumnElement]:
    """Conditions limiting a user-id ``column`` to the chosen school's teachers, as a list of
    ids fetched first (none without a school; a school without teachers matches nothing)."""
    teachers = scope.teachers()
    if teachers is None:
        return []
    ids = db.session.scalars(teachers).all()
    return [column.in_(ids)] if ids else [false()]


def school_submissions(scope: Any, column) -> list[ColumnElement]:
    """Conditions limiting a submission-id ``column`` to the attempts of the chosen school's
    teachers, as ids fetched first (for joins the planner would otherwise start from the far
    end, such as the peer pairs). None without a school."""
    teachers = school_first(scope, Submission.teacher_id)
    if not teachers:
        return []
    ids = db.session.scalars(select(Submission.id).where(*teachers)).all()
    return [column.in_(ids)] if ids else [false()]


__all__ = ["impact_facts", "median_of_counts", "open_past_due", "reviewer_loads", "school_first", "school_submissions"]
