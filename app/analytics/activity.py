"""The reviewers and impact figures at scale: where their rows come from, and the school-first
path for a chosen school.

Load per reviewer and the load spread read per-reviewer counts (``reviewer_loads``), either from
the summaries (``ReviewerDay``; ``summaries.py`` builds it) or from the raw rows: the same columns
either way, so each figure is one aggregate over whichever source, and the live source stays the
reference the tests compare with.

The impact figures read the raw measure rows live (``impact_facts``) and, from the summaries,
additive counts per day (``ImpactDay``, ``ImpactMeasureDay``, ``ImpactTeacherDay``). Their
medians are exact and need no sort of every measure (``sql.median_by_buckets``): the days' histograms
of the changes give the bucket that holds the middle, and only that bucket's measure rows
(``ImpactFact``, through an index that holds the value) are ranked.

Calibration is not summarised: it reads a few thousand attempts (2 to 12 ms at 100,000
teachers), and its distinct peers per window would need a row per attempt anyway.

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

from collections.abc import Callable
from typing import Any

from datetime import datetime

from sqlalchemy import CTE, ColumnElement, Row, Select, Subquery, case, false, func, or_, select, union_all

from app.analytics.journeys import first_in_window
from app.analytics.models import ImpactDay, ImpactFact, ImpactMeasureDay, ImpactTeacherDay, ReviewerDay, ReviewerMonth
from app.analytics.sql import median_by_buckets, percentiles_from_counts
from app.analytics.summaries import improvement, relative_improvement, whole_months
from app.credentials.models import CredentialKind
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
    days = _reviewer_counts(scope)
    late_rows = open_past_due(scope, now)
    late = (select(late_rows.c.reviewer_id, func.count().label("n"))
            .group_by(late_rows.c.reviewer_id).subquery("late"))
    return (
        select(days.c.reviewer_id, days.c.assigned, days.c.completed, days.c.open,
               (days.c.closed_overdue + func.coalesce(late.c.n, 0)).label("overdue"), days.c.as_coach)
        .outerjoin(late, late.c.reviewer_id == days.c.reviewer_id)
        .cte("loads")
    )


def _reviewer_counts(scope: Any) -> Subquery:
    """Per reviewer, the load counts of the window from the summaries: the whole months from
    ``ReviewerMonth`` and the edge days from ``ReviewerDay`` when the scope is every microcredential
    of the organization (no framework or credential chosen), the days alone otherwise."""
    d, m = ReviewerDay, ReviewerMonth

    def counts(t) -> list:
        return [t.reviewer_id, t.assigned, t.completed, t.open, t.closed_overdue, t.as_coach]

    day_rows = select(*counts(d)).where(d.credential_id.in_(scope.credentials()), *scope.on_days(d.day))
    f = scope.filters
    months = None
    if not (f.framework_id or f.credential_id) and scope.credential_kind == CredentialKind.MICRO:
        months = whole_months(f.start, f.end)
    if months is None:
        rows = day_rows.subquery("rows")
    else:
        first, after = months
        month_rows = select(*counts(m)).where(m.issuer_id == scope.organization_id,
                                             *([m.month >= first] if first else []),
                                             *([m.month < after] if after else []))
        edges = [*([d.day < first] if first else []), *([d.day >= after] if after else [])]
        rows = (union_all(month_rows, day_rows.where(or_(*edges))) if edges else month_rows).subquery("rows")
    return (
        select(rows.c.reviewer_id, func.sum(rows.c.assigned).label("assigned"),
               func.sum(rows.c.completed).label("completed"), func.sum(rows.c.open).label("open"),
               func.sum(rows.c.closed_overdue).label("closed_overdue"), func.sum(rows.c.as_coach).label("as_coach"))
        .group_by(rows.c.reviewer_id)
        .subquery("days")
    )


def median_of_counts(facts: Subquery, keys: list, value) -> Select:
    """The exact median of ``value`` per ``keys`` over the rows of ``facts``, from the count of each
    distinct value (``percentiles_from_counts``): for values that repeat across the window (the
    signed changes: 2,672 distinct among 1.46 million measures at 100,000 teachers), grouping
    first leaves a few thousand rows to rank instead of sorting every measure."""
    names = [key.name for key in keys]
    counts = select(*keys, value.label("value"), func.count().label("n")).group_by(*keys, value)
    return percentiles_from_counts(counts, {"median": 0.5}, keys=names)


def impact_facts(raw: list[ColumnElement]) -> Subquery:
    """The live reference: one row per counted measure, ``credential_id``, ``teacher_id``, ``measure``,
    ``unit``, ``higher_is_better``, ``change`` (signed), ``relative`` (% of the start, None from 0)
    and ``students``. ``raw`` holds the conditions on the measure's ``Submission``."""
    return (
        select(Submission.credential_id, Submission.teacher_id, ImpactMeasure.measure, ImpactMeasure.unit,
               ImpactMeasure.higher_is_better, improvement().label("change"), relative_improvement().label("relative"),
               func.coalesce(ImpactMeasure.students, 0).label("students"))
        .join(Artifact, Artifact.id == ImpactMeasure.artifact_id)
        .join(Submission, Submission.id == Artifact.submission_id)
        .where(*raw)
        .subquery("facts")
    )


def _in_scope(scope: Any) -> Callable[[Any], list[ColumnElement]]:
    """The conditions putting a summary's rows in scope and window, given the summary model. The
    credential ids are fetched first (one small query) and written in: given the subquery,
    PostgreSQL joins it once per measure row the medians read."""
    ids = db.session.scalars(scope.credentials()).all()

    def conditions(model: Any) -> list[ColumnElement]:
        return [model.credential_id.in_(ids) if ids else false(), *scope.on_days(model.day)]

    return conditions


def impact_per_credential(scope: Any) -> tuple[list[Row], dict[int, float]]:
    """``impact_by_credential`` from the summaries, four queries: per credential ``credential_id``,
    ``measures``, ``teachers``, ``improved``, ``unchanged``, ``worse`` and ``students``, and the
    median relative change per credential (the histogram of ``ImpactDay``, then one bucket's rows)."""
    d, t, f = ImpactDay, ImpactTeacherDay, ImpactFact
    in_scope = _in_scope(scope)
    teachers = (
        select(t.credential_id, func.sum(t.n).label("teachers"))
        .where(*in_scope(t), first_in_window(t.prev1, scope))
        .group_by(t.credential_id)
        .subquery("teachers")
    )
    counts = (
        select(d.credential_id, func.sum(d.measures).label("measures"), func.sum(d.improved).label("improved"),
               func.sum(d.unchanged).label("unchanged"), func.sum(d.worse).label("worse"),
               func.sum(d.students).label("students"))
        .where(*in_scope(d)).group_by(d.credential_id).subquery("counts")
    )
    result = db.session.execute(
        select(*counts.c, func.coalesce(teachers.c.teachers, 0).label("teachers"))
        .outerjoin(teachers, teachers.c.credential_id == counts.c.credential_id)
    ).all()
    histogram = select(d.credential_id, d.bucket, d.measures.label("n")).where(*in_scope(d))
    values = (select(f.credential_id, f.relative_bucket.label("bucket"), f.relative.label("value"))
              .where(*in_scope(f)))
    medians = median_by_buckets(histogram, values, ["credential_id"])
    return result, {key[0]: median for key, median in medians.items()}


def impact_per_measure(scope: Any, top: int) -> tuple[list[Row], dict[tuple[str, str], float]]:
    """``impact_by_measure`` from the summaries, four queries: the ``top`` most reported measures
    (``measure``, ``unit``, ``reported``, ``higher_better``, ``improved``) and their median changes
    (the histogram of ``ImpactMeasureDay``, then one bucket's rows)."""
    m, f = ImpactMeasureDay, ImpactFact
    in_scope = _in_scope(scope)
    reported = func.sum(m.reported)
    result = db.session.execute(
        select(m.measure, m.unit, reported.label("reported"), func.sum(m.higher_better).label("higher_better"),
               func.sum(m.improved).label("improved"))
        .where(*in_scope(m)).group_by(m.measure, m.unit).order_by(reported.desc(), m.measure).limit(top)
    ).all()
    histogram = select(m.measure, m.unit, m.bucket, m.reported.label("n")).where(*in_scope(m))
    values = (select(f.measure, f.unit, f.change_bucket.label("bucket"), f.change.label("value"))
              .where(*in_scope(f)))
    medians = median_by_buckets(histogram, values, ["measure", "unit"], wanted={(r.measure, r.unit) for r in result})
    return result, medians


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


__all__ = ["impact_facts", "impact_per_credential", "impact_per_measure", "median_of_counts", "open_past_due", "reviewer_loads", "school_first", "school_submissions"]
