"""Building the per-day summaries (``models.py``) from the raw rows, in set-based SQL.

``refresh_summaries(full=True)`` rebuilds every summary table; otherwise only the
days that changed are rebuilt: days marked dirty (after decisions and awards,
``mark_submission_days``) and the days of every assignment and submitted review
of a submission whose assignments or reviews changed since the last refresh.
Each rebuild deletes the days' rows and inserts them again from one
``INSERT ... SELECT`` per table, so running it twice changes nothing (safe for
cron). On PostgreSQL an advisory lock keeps two refreshes from interleaving;
the inline refresh after a decision skips (and leaves its days marked) when
another refresh holds it.

The SELECTs use the same joins and conditions as the live figures in
``services.py``; ``tests/analytics/test_summaries.py`` proves the figures read
from here equal the live ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, delete, func, insert, literal, or_, select, union, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from app.accounts.models import Role, User, UserRole
from app.analytics.journeys import JOURNEY_SUMMARIES, journey_changed_days, journey_days_of_submissions
from app.analytics.models import (
    AnalyticsDirtyDay,
    AnalyticsRefresh,
    AssignmentDay,
    CriterionDay,
    ImpactDay,
    ImpactFact,
    ImpactMeasureDay,
    ImpactTeacherDay,
    ReviewerDay,
    ReviewerMonth,
    SchoolStaff,
    TurnaroundDay,
)
from app.analytics.sql import bucket_of, day_of, dialect_name, month_of, whole_days
from app.credentials.models import Credential, CredentialKind, Level
from app.db import utcnow
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus, Review, ReviewerRole, ReviewScore

LOCK_KEY = 7_007_001  # pg advisory lock: one refresh at a time
# Histogram buckets of the impact medians (``sql.median_by_buckets``). Wider buckets make fewer
# histogram rows per day and longer walks inside the median's bucket; at 100,000 teachers these
# widths give 88,000 ``ImpactDay`` and 207,000 ``ImpactMeasureDay`` rows for 1.46 million measures
# (docs/benchmarks.md).
RELATIVE_BUCKET = 10.0  # percent of the starting value
CHANGE_BUCKET = 5.0  # units of the measure
RANGES_PER_STATEMENT = 40

Ranges = list[tuple[date, date]]


@dataclass(frozen=True)
class RefreshResult:
    kind: str
    days: int
    started_at: datetime
    finished_at: datetime
    skipped: bool = False
    waits_for_full: bool = False  # skipped because no full rebuild was ever made

    def summary(self) -> str:
        if self.waits_for_full:
            return "No full rebuild yet: the marked days wait for `flask analytics refresh --full`."
        if self.skipped:
            return "Another refresh is running; the marked days wait for the next one."
        what = "every day" if self.kind == "full" else f"{self.days} day{'s' if self.days != 1 else ''}"
        return f"Analytics summaries refreshed ({self.kind}: {what}) in {(self.finished_at - self.started_at).total_seconds():.1f} s."


@dataclass(frozen=True)
class SummaryStatus:
    """How fresh the summaries are: the last refresh that finished, and days still waiting."""

    refreshed_at: datetime | None
    full_refreshed: bool
    pending_days: int


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _during(column, ranges: Ranges | None) -> list[ColumnElement]:
    """``column`` falls on one of the day ranges (inclusive); no condition for a full rebuild."""
    if ranges is None:
        return []
    return [or_(*(and_(column >= _midnight(first), column < _midnight(last + timedelta(days=1)))
                  for first, last in ranges))]


def _as_ranges(days: Iterable[date]) -> Ranges:
    """Consecutive days merged into (first, last) ranges."""
    ranges: Ranges = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


class PeerPairs:
    """Every pair of submitted peer reviews of one attempt that scored the same criterion (each pair
    once): the join the live agreement figure and its summary both count. ``review`` and ``score``
    are the first review of a pair and its score; ``gap`` is the distance between the two levels."""

    def __init__(self) -> None:
        self.assignment, self._other_assignment = aliased(Assignment), aliased(Assignment)
        self.review, self._other_review = aliased(Review), aliased(Review)
        self.score, self._other_score = aliased(ReviewScore), aliased(ReviewScore)
        self._level, self._other_level = aliased(Level), aliased(Level)
        self.gap = self._level.position - self._other_level.position

    def exact(self) -> ColumnElement:
        return func.sum(case((self.gap == 0, 1), else_=0))

    def adjacent(self) -> ColumnElement:
        return func.sum(case((and_(self.gap >= -1, self.gap <= 1), 1), else_=0))

    def joined(self, query: Select) -> Select:
        """``query`` over the pairs, joined to the attempt (``Submission``)."""
        a1, a2, r1, r2 = self.assignment, self._other_assignment, self.review, self._other_review
        s1, s2, l1, l2 = self.score, self._other_score, self._level, self._other_level
        return (
            query.select_from(s1)
            .join(r1, r1.id == s1.review_id)
            .join(a1, a1.id == r1.assignment_id)
            .join(a2, and_(a2.submission_id == a1.submission_id, a2.id > a1.id, a2.role == ReviewerRole.PEER))
            .join(r2, r2.assignment_id == a2.id)
            .join(s2, and_(s2.review_id == r2.id, s2.criterion_id == s1.criterion_id))
            .join(l1, l1.id == s1.level_id)
            .join(l2, l2.id == s2.level_id)
            .join(Submission, Submission.id == a1.submission_id)
            .where(a1.role == ReviewerRole.PEER, r1.submitted_at.is_not(None), r2.submitted_at.is_not(None))
        )


def _day_rows(days_column) -> ColumnElement:
    return day_of(days_column).label("day")


# --- the SELECTs (the live figures' joins, grouped by day) --------------------------------------


def criterion_day_rows(ranges: Ranges | None) -> Select:
    """Scores and peer pairs per credential, criterion and review day."""
    scored, passing = aliased(Level), aliased(Level)
    scores = (
        select(
            Submission.credential_id.label("credential_id"), ReviewScore.criterion_id.label("criterion_id"),
            _day_rows(Review.submitted_at), func.count().label("scores"),
            func.sum(case((scored.position < passing.position, 1), else_=0)).label("below"),
            literal(0).label("pairs"), literal(0).label("exact"), literal(0).label("adjacent"),
        )
        .select_from(ReviewScore)
        .join(Review, Review.id == ReviewScore.review_id)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(scored, scored.id == ReviewScore.level_id)
        .join(passing, and_(passing.criterion_id == ReviewScore.criterion_id, passing.is_pass.is_(True)))
        .where(Review.submitted_at.is_not(None), *_during(Review.submitted_at, ranges))
        .group_by(Submission.credential_id, ReviewScore.criterion_id, day_of(Review.submitted_at))
    )
    p = PeerPairs()
    pairs = (
        p.joined(select(
            Submission.credential_id.label("credential_id"), p.score.criterion_id.label("criterion_id"),
            _day_rows(p.review.submitted_at), literal(0).label("scores"), literal(0).label("below"),
            func.count().label("pairs"), p.exact().label("exact"), p.adjacent().label("adjacent"),
        ))
        .where(*_during(p.review.submitted_at, ranges))
        .group_by(Submission.credential_id, p.score.criterion_id, day_of(p.review.submitted_at))
    )
    both = union_all(scores, pairs).subquery("both")
    return select(
        both.c.credential_id, both.c.criterion_id, both.c.day, func.sum(both.c.scores), func.sum(both.c.below),
        func.sum(both.c.pairs), func.sum(both.c.exact), func.sum(both.c.adjacent),
    ).group_by(both.c.credential_id, both.c.criterion_id, both.c.day)


def closed_overdue() -> ColumnElement:
    """Overdue for good: completed after the due date, or expired (pending ones depend on today)."""
    return or_(
        and_(Assignment.status == AssignmentStatus.COMPLETED, Assignment.completed_at > Assignment.due_at),
        Assignment.status == AssignmentStatus.EXPIRED,
    )


def assignment_day_rows(ranges: Ranges | None) -> Select:
    counted = Assignment.status != AssignmentStatus.DECLINED
    return (
        select(
            Submission.credential_id, _day_rows(Assignment.assigned_at),
            func.sum(case((counted, 1), else_=0)),
            func.sum(case((Assignment.status == AssignmentStatus.DECLINED, 1), else_=0)),
            func.sum(case((and_(counted, closed_overdue()), 1), else_=0)),
        )
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(*_during(Assignment.assigned_at, ranges))
        .group_by(Submission.credential_id, day_of(Assignment.assigned_at))
    )


def turnaround_day_rows(ranges: Ranges | None) -> Select:
    taken = whole_days(Assignment.completed_at, Assignment.assigned_at)
    return (
        select(Submission.credential_id, _day_rows(Assignment.assigned_at), taken.label("days_taken"), func.count())
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.status == AssignmentStatus.COMPLETED, Assignment.completed_at.is_not(None),
               *_during(Assignment.assigned_at, ranges))
        .group_by(Submission.credential_id, day_of(Assignment.assigned_at), taken)
    )


# --- reviewers and impact (the figures of app/analytics/activity.py) ----------------------------


def _count(condition) -> ColumnElement:
    return func.sum(case((condition, 1), else_=0))


def reviewer_day_rows(ranges: Ranges | None) -> Select:
    """Per reviewer, credential and day assigned: the load counts (declined assignments apart)."""
    count = _count
    return (
        select(
            Assignment.reviewer_id, Submission.credential_id, _day_rows(Assignment.assigned_at), func.count(),
            count(Assignment.status == AssignmentStatus.COMPLETED), count(Assignment.status == AssignmentStatus.PENDING),
            count(closed_overdue()), count(Assignment.role == ReviewerRole.COACH),
        )
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.status != AssignmentStatus.DECLINED, *_during(Assignment.assigned_at, ranges))
        .group_by(Assignment.reviewer_id, Submission.credential_id, day_of(Assignment.assigned_at))
    )


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None] | None:
    """The calendar months lying wholly inside the window (both ends included): those from ``first``
    up to before ``after`` (``None``: unbounded on that side); ``None`` when the window holds none."""
    first = None if start is None else start if start.day == 1 else next_month(start)
    after = None if end is None else next_month(end) if (end + timedelta(days=1)).day == 1 else first_of_month(end)
    if first is not None and after is not None and first >= after:
        return None
    return first, after


def month_ranges(ranges: Ranges) -> Ranges:
    """The calendar months the day ranges touch, as merged (first month, last month) ranges of
    first days."""
    months: Ranges = []
    for first, last in sorted(ranges):
        first, last = first_of_month(first), first_of_month(last)
        if months and first <= next_month(months[-1][1]):
            months[-1] = (months[-1][0], max(last, months[-1][1]))
        else:
            months.append((first, last))
    return months


def reviewer_month_rows(months: Ranges | None) -> Select:
    """``ReviewerDay`` summed per reviewer, issuer and month over microcredentials: read after the days."""
    d = ReviewerDay
    month = month_of(d.day)
    on_months = [] if months is None else [
        or_(*(and_(d.day >= first, d.day < next_month(last)) for first, last in months))]
    return (
        select(d.reviewer_id, Credential.issuer_id, month.label("month"), func.sum(d.assigned),
               func.sum(d.completed), func.sum(d.open), func.sum(d.closed_overdue), func.sum(d.as_coach))
        .join(Credential, Credential.id == d.credential_id)
        .where(Credential.kind == CredentialKind.MICRO, *on_months)
        .group_by(d.reviewer_id, Credential.issuer_id, month)
    )


def school_staff_rows(_ranges: Ranges | None = None) -> Select:
    """Active teachers per school: the rows of ``SchoolStaff``, always all of them (accounts and
    roles carry no day to rebuild by)."""
    return (select(User.school_id, func.count(User.id))
            .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.TEACHER))
            .where(User.active.is_(True), User.school_id.is_not(None)).group_by(User.school_id))


def improvement() -> ColumnElement:
    """after - before, signed so that a positive number is always an improvement."""
    return case((ImpactMeasure.higher_is_better.is_(True), ImpactMeasure.after - ImpactMeasure.before),
                else_=ImpactMeasure.before - ImpactMeasure.after)


def relative_improvement() -> ColumnElement:
    """The improvement as a percentage of the starting value (None when it started at 0)."""
    return case((ImpactMeasure.before != 0, improvement() * 100.0 / func.abs(ImpactMeasure.before)), else_=None)


def counted_measures() -> list[ColumnElement]:
    """Measures reported on submitted, not withdrawn attempts; a table carried into a resubmission
    unchanged is counted once (on the attempt it was first written for)."""
    return [Artifact.carried_from_id.is_(None), Submission.submitted_at.is_not(None),
            Submission.status != SubmissionStatus.WITHDRAWN]


def impact_fact_rows(ranges: Ranges | None) -> Select:
    """One row per counted measure, keyed by the day its attempt was submitted."""
    return (
        select(
            ImpactMeasure.id, Submission.credential_id, _day_rows(Submission.submitted_at), Submission.teacher_id,
            ImpactMeasure.measure, ImpactMeasure.unit, ImpactMeasure.higher_is_better, improvement(),
            relative_improvement(), func.coalesce(ImpactMeasure.students, 0),
            bucket_of(relative_improvement(), RELATIVE_BUCKET), bucket_of(improvement(), CHANGE_BUCKET),
        )
        .select_from(ImpactMeasure)
        .join(Artifact, Artifact.id == ImpactMeasure.artifact_id)
        .join(Submission, Submission.id == Artifact.submission_id)
        .where(*counted_measures(), *_during(Submission.submitted_at, ranges))
    )


def _on_days(column, ranges: Ranges | None) -> list[ColumnElement]:
    """A summary's ``day`` column falls on one of the day ranges; no condition for a full rebuild."""
    if ranges is None:
        return []
    return [or_(*(column.between(first, last) for first, last in ranges))]


def _signs(change) -> list[ColumnElement]:
    """How many of the changes improved, stayed and got worse."""
    return [_count(change > 0), _count(change == 0), _count(change < 0)]


def impact_day_rows(ranges: Ranges | None) -> Select:
    """From the measure rows (rebuilt first): per credential, day and relative-change bucket."""
    f = ImpactFact
    return (select(f.credential_id, f.day, f.relative_bucket, func.count(), *_signs(f.change), func.sum(f.students))
            .where(*_on_days(f.day, ranges)).group_by(f.credential_id, f.day, f.relative_bucket))


def impact_measure_day_rows(ranges: Ranges | None) -> Select:
    """From the measure rows: per credential, measure, unit, day and change bucket."""
    f = ImpactFact
    return (
        select(f.credential_id, f.measure, f.unit, f.day, f.change_bucket, func.count(),
               _count(f.higher_is_better.is_(True)), _count(f.change > 0))
        .where(*_on_days(f.day, ranges)).group_by(f.credential_id, f.measure, f.unit, f.day, f.change_bucket)
    )


def impact_teacher_day_rows(ranges: Ranges | None) -> Select:
    """From the measure rows: per credential and day, the teachers reporting, by the day of the same
    teacher's previous report there (the previous measure's day: the later measures of one day are
    left out). A rebuild of some days reads every measure of the teachers with one on those days."""
    f = ImpactFact
    conditions = [] if ranges is None else [f.teacher_id.in_(select(f.teacher_id).where(*_on_days(f.day, ranges)))]
    previous = func.lag(f.day, 1).over(partition_by=[f.teacher_id, f.credential_id], order_by=[f.day, f.measure_id])
    events = select(f.credential_id, f.day, previous.label("prev1")).where(*conditions).subquery("events")
    e = events.c
    return (select(e.credential_id, e.day, e.prev1, func.count())
            .where(or_(e.prev1.is_(None), e.prev1 < e.day), *_on_days(e.day, ranges))
            .group_by(e.credential_id, e.day, e.prev1))


SUMMARIES = (
    (CriterionDay, ["credential_id", "criterion_id", "day", "scores", "below", "pairs", "exact", "adjacent"],
     criterion_day_rows),
    (AssignmentDay, ["credential_id", "day", "assignments", "declined", "closed_overdue"], assignment_day_rows),
    (TurnaroundDay, ["credential_id", "day", "days_taken", "n"], turnaround_day_rows),
    (ReviewerDay, ["reviewer_id", "credential_id", "day", "assigned", "completed", "open", "closed_overdue", "as_coach"],
     reviewer_day_rows),
    (ImpactFact, ["measure_id", "credential_id", "day", "teacher_id", "measure", "unit", "higher_is_better", "change",
                  "relative", "students", "relative_bucket", "change_bucket"], impact_fact_rows),
    # Read from the measure rows: after them.
    (ImpactDay, ["credential_id", "day", "bucket", "measures", "improved", "unchanged", "worse", "students"],
     impact_day_rows),
    (ImpactMeasureDay, ["credential_id", "measure", "unit", "day", "bucket", "reported", "higher_better", "improved"],
     impact_measure_day_rows),
    (ImpactTeacherDay, ["credential_id", "day", "prev1", "n"], impact_teacher_day_rows),
    *JOURNEY_SUMMARIES,
)
MONTH_COLUMNS = ["reviewer_id", "issuer_id", "month", "assigned", "completed", "open", "closed_overdue", "as_coach"]


# --- which days changed ----------------------------------------------------------------------


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _day_parts(submissions: Select) -> list[Select]:
    """The days whose summaries hold something of these submissions: assignments made, the attempt
    submitted (its classroom measures), reviews submitted, and the journey days of their teachers
    (attempts submitted, enrolments started, awards issued)."""
    return [
        select(day_of(Assignment.assigned_at).label("day")).where(Assignment.submission_id.in_(submissions)),
        select(day_of(Submission.submitted_at).label("day"))
        .where(Submission.id.in_(submissions), Submission.submitted_at.is_not(None)),
        select(day_of(Review.submitted_at).label("day"))
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.submission_id.in_(submissions), Review.submitted_at.is_not(None)),
        *journey_days_of_submissions(submissions),
    ]


def changed_days(since: datetime) -> set[date]:
    """Days touched by assignments or reviews written since ``since``, the submission days of
    attempts written since (submitted or withdrawn: their classroom measures), and the journey
    days of teachers whose attempts, enrolments, accounts or awards changed. One query."""
    touched = union(
        select(Assignment.submission_id).where(Assignment.updated_at >= since),
        select(Assignment.submission_id).join(Review, Review.assignment_id == Assignment.id)
        .where(Review.updated_at >= since),
        # Not rows stamped in the future (imported or generated data): they would be rebuilt every time.
        select(Submission.id).where(Submission.updated_at >= since, Submission.updated_at <= utcnow()),
    )
    submitted = (select(day_of(Submission.submitted_at).label("day"))
                 .where(Submission.updated_at >= since, Submission.submitted_at.is_not(None)))
    days = union(*_day_parts(select(touched.subquery().c[0])), submitted, *journey_changed_days(since))
    return {_as_date(day) for day in db.session.scalars(days)}


def mark_submission_days(submission_id: int) -> int:
    """Mark the days of one submission's assignments and reviews for the next refresh. Two statements."""
    days = {_as_date(day) for day in db.session.scalars(union(*_day_parts(select(literal(submission_id)))))}
    if not days:
        return 0
    now = utcnow()
    rows = [{"day": day, "marked_at": now} for day in sorted(days)]
    if dialect_name() == "postgresql":
        statement = pg_insert(AnalyticsDirtyDay).values(rows)
        statement = statement.on_conflict_do_update(index_elements=["day"], set_={"marked_at": now})
    else:
        statement = sqlite_insert(AnalyticsDirtyDay).values(rows)
        statement = statement.on_conflict_do_update(index_elements=["day"], set_={"marked_at": now})
    db.session.execute(statement)
    return len(days)


# --- refresh ---------------------------------------------------------------------------------


def _lock(wait: bool) -> bool:
    if dialect_name() != "postgresql":
        return True
    if wait:
        db.session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
        return True
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))))


def _replace(table, key: str, columns: list[str], rows, ranges: Ranges | None) -> None:
    """Delete the rows of ``table`` whose ``key`` falls on the ranges (all of them for ``None``)
    and insert them again from ``rows(ranges)``, a few ranges per statement."""
    if ranges is None:
        db.session.execute(delete(table))
        db.session.execute(insert(table).from_select(columns, rows(None)))
        return
    for start in range(0, len(ranges), RANGES_PER_STATEMENT):
        chunk = ranges[start:start + RANGES_PER_STATEMENT]
        db.session.execute(delete(table).where(or_(*(table.c[key].between(a, b) for a, b in chunk))))
        db.session.execute(insert(table).from_select(columns, rows(chunk)))


def _rebuild(ranges: Ranges | None) -> None:
    for model, columns, rows in SUMMARIES:
        _replace(model.__table__, "day", columns, rows, ranges)
    # The months holding the rebuilt days, from the rebuilt ReviewerDay rows.
    _replace(ReviewerMonth.__table__, "month", MONTH_COLUMNS, reviewer_month_rows,
             None if ranges is None else month_ranges(ranges))



def last_refresh() -> AnalyticsRefresh | None:
    return db.session.scalar(
        select(AnalyticsRefresh).where(AnalyticsRefresh.finished_at.is_not(None))
        .order_by(AnalyticsRefresh.finished_at.desc(), AnalyticsRefresh.id.desc()).limit(1)
    )


def refresh_summaries(*, full: bool = False, wait: bool = True) -> RefreshResult:
    """Rebuild the summaries: everything (``full``, or when no full rebuild was ever made) or
    the days that changed since the last refresh plus the marked ones. Flushes; the caller
    commits. With ``wait=False`` (the inline refresh after a decision) a refresh already
    running elsewhere is not waited for, and a full rebuild is not started (minutes on a large
    data set, after an upgrade that emptied the summaries): the days stay marked."""
    started = utcnow()
    if not _lock(wait):
        return RefreshResult("days", 0, started, started, skipped=True)
    previous = last_refresh()
    full_done = db.session.scalar(select(func.count()).where(AnalyticsRefresh.kind == "full",
                                                             AnalyticsRefresh.finished_at.is_not(None)))
    if not full and not full_done and not wait:
        return RefreshResult("days", 0, started, started, skipped=True, waits_for_full=True)
    if full or not full_done:
        _rebuild(None)
        db.session.execute(delete(AnalyticsDirtyDay).where(AnalyticsDirtyDay.marked_at <= started))
        kind, count = "full", 0
    else:
        marked = {_as_date(day) for day in db.session.scalars(
            select(AnalyticsDirtyDay.day).where(AnalyticsDirtyDay.marked_at <= started))}
        days = marked | changed_days(previous.started_at)
        ranges = _as_ranges(days)
        if ranges:
            _rebuild(ranges)
        if marked:
            db.session.execute(delete(AnalyticsDirtyDay).where(AnalyticsDirtyDay.marked_at <= started))
        kind, count = "days", len(days)
    _replace(SchoolStaff.__table__, "school_id", ["school_id", "teachers"], school_staff_rows, None)
    finished = utcnow()
    db.session.add(AnalyticsRefresh(kind=kind, started_at=started, finished_at=finished, days=count))
    db.session.flush()
    return RefreshResult(kind, count, started, finished)


def summary_status() -> SummaryStatus:
    """When the summaries were last refreshed and how many marked days wait. One query."""
    row = db.session.execute(
        select(
            select(func.max(AnalyticsRefresh.finished_at)).scalar_subquery().label("refreshed_at"),
            select(func.count()).where(AnalyticsRefresh.kind == "full", AnalyticsRefresh.finished_at.is_not(None))
            .scalar_subquery().label("full"),
            select(func.count()).select_from(AnalyticsDirtyDay).scalar_subquery().label("pending"),
        )
    ).one()
    refreshed_at = row.refreshed_at
    if isinstance(refreshed_at, str):  # SQLite through a scalar subquery: no column type to convert
        refreshed_at = datetime.fromisoformat(refreshed_at).replace(tzinfo=UTC)
    elif refreshed_at is not None and refreshed_at.tzinfo is None:
        refreshed_at = refreshed_at.replace(tzinfo=UTC)
    return SummaryStatus(refreshed_at=refreshed_at, full_refreshed=bool(row.full), pending_days=row.pending or 0)


__all__ = ["RefreshResult", "SummaryStatus", "changed_days", "last_refresh", "mark_submission_days",
           "refresh_summaries", "summary_status"]
