"""The program figures: one function per figure, each one SQL query (or a few) aggregated by the database.

Every function takes the acting user (an admin or a program lead, checked by
``policies.require_analytics``) and ``Filters``, and returns a ``Table``: the
same object feeds the HTML page, the CSV download and the JSON API. Nothing
here loops over rows to aggregate them; Python only merges a few per-credential
results and formats them.

Scope: credentials issued by the reader's organization, teachers of that
organization. Filters:

- date range: activity that happened in it (enrolments started, attempts
  submitted, reviews assigned or submitted, awards issued, calibration attempts);
- school: the teacher whose work it is (the author of the submission, the
  earner of the award; for reviewer load, the reviewer);
- framework: credentials aligned to a competency of that framework;
- credential: that one credential (a stack: its components, for stack figures).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.orm import aliased

from app.accounts.models import Role, School, User, UserRole
from app.analytics import journeys
from app.analytics.activity import (
    impact_facts,
    impact_per_credential,
    impact_per_measure,
    median_of_counts,
    open_past_due,
    reviewer_loads,
    school_first,
    school_submissions,
)
from app.analytics.policies import require_analytics
from app.analytics.models import AssignmentDay, CriterionDay, SchoolStaff, TurnaroundDay
from app.analytics.sql import days_between, percentiles, percentiles_from_counts, whole_days
from app.analytics.summaries import (
    PeerPairs,
    RefreshResult,
    SummaryStatus,
    counted_measures,
    improvement,
    refresh_summaries,
    relative_improvement,
    summary_status,
)
from app.credentials.models import (
    Award,
    CalibrationExemplar,
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    Framework,
    Level,
    Rubric,
    StackComponent,
    credential_competency,
)
from app.db import utcnow
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.extensions import db
from app.learning.models import Enrollment
from app.reviewers.models import Assignment, AssignmentStatus, CalibrationAttempt, Review, ReviewerRole, ReviewScore

DECIDED = (SubmissionStatus.PASSED, SubmissionStatus.NOT_YET)
SCHOOLS_PER_PAGE = 25
TOP_REVIEWERS = 25
TOP_CRITERIA = 15
TOP_MEASURES = 15


# --- shapes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # int, float, pct (a share 0..1), days, text

    def format(self, value: Any) -> str:
        """The value as the page and the CSV show it ('' when unknown)."""
        if value is None:
            return ""
        if self.kind == "pct":
            return f"{value * 100:.1f}"
        if self.kind in ("float", "days"):
            return f"{value:.1f}"
        if self.kind == "int":
            return f"{int(value)}"
        return str(value)


@dataclass(frozen=True)
class Table:
    """One table of figures: what the page shows beside its chart, the CSV holds and the API returns."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    total: int | None = None  # rows in all pages, when the table is paged
    # Whether the figures come from the summaries (as of their last refresh) or were computed live.
    summarised: bool = False

    def __post_init__(self) -> None:
        # PostgreSQL sums come back as Decimal: plain numbers serialize and format alike everywhere.
        for row in self.rows:
            for key, value in row.items():
                if isinstance(value, Decimal):
                    row[key] = int(value) if value == value.to_integral_value() else float(value)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    school_id: int | None = None
    framework_id: int | None = None
    credential_id: int | None = None
    page: int = 1

    @classmethod
    def default(cls, today: date | None = None) -> Filters:
        """The last twelve months: the window a program lead reads every week."""
        today = today or utcnow().date()
        return cls(start=today - timedelta(days=365), end=today)

    @property
    def start_at(self) -> datetime | None:
        return datetime.combine(self.start, time.min, tzinfo=UTC) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """The end day is included: the bound is the next midnight."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC) if self.end else None

    def as_args(self) -> dict[str, str]:
        """Query-string arguments that reproduce these filters (for CSV links and pagination)."""
        args = {"start": self.start.isoformat() if self.start else "", "end": self.end.isoformat() if self.end else ""}
        for name in ("school_id", "framework_id", "credential_id"):
            if getattr(self, name):
                args[name] = str(getattr(self, name))
        return args


@dataclass
class Scope:
    """The SQL conditions every figure applies: the reader's organization and the filters."""

    organization_id: int
    filters: Filters
    credential_kind: CredentialKind | None = CredentialKind.MICRO

    def credentials(self) -> Select:
        """Ids of the credentials in scope (of the kind asked for)."""
        query = select(Credential.id).where(Credential.issuer_id == self.organization_id)
        if self.credential_kind is not None:
            query = query.where(Credential.kind == self.credential_kind)
        f = self.filters
        if f.framework_id:
            aligned = (
                select(credential_competency.c.credential_id)
                .join(Competency, Competency.id == credential_competency.c.competency_id)
                .where(Competency.framework_id == f.framework_id)
            )
            query = query.where(Credential.id.in_(aligned))
        if f.credential_id:
            components = select(StackComponent.component_id).where(StackComponent.stack_id == f.credential_id)
            query = query.where(or_(Credential.id == f.credential_id, Credential.id.in_(components)))
        return query

    def teachers(self) -> Select | None:
        """Ids of the teachers of the school filter, or None when no school is chosen."""
        if not self.filters.school_id:
            return None
        return select(User.id).where(User.school_id == self.filters.school_id,
                                     User.organization_id == self.organization_id)

    def people(self, column) -> list[ColumnElement]:
        """Conditions limiting a user-id column to the school filter (none without one: the
        credential scope already keeps the figures to the organization's own programme)."""
        teachers = self.teachers()
        return [column.in_(teachers)] if teachers is not None else []

    def on_days(self, column) -> list[ColumnElement]:
        """Conditions on a summary's ``day`` column: the window's days, both ends included."""
        conditions = []
        if self.filters.start:
            conditions.append(column >= self.filters.start)
        if self.filters.end:
            conditions.append(column <= self.filters.end)
        return conditions

    def during(self, column) -> list[ColumnElement]:
        conditions = []
        if self.filters.start_at:
            conditions.append(column >= self.filters.start_at)
        if self.filters.end_before:
            conditions.append(column < self.filters.end_before)
        return conditions


def _scope(actor: User, filters: Filters, kind: CredentialKind | None = CredentialKind.MICRO) -> Scope:
    require_analytics(actor)
    # A reader with no organization sees no organization's data (-1 matches nothing).
    return Scope(organization_id=actor.organization_id or -1, filters=filters, credential_kind=kind)


# Set by ``_use_summaries`` while a figure (``@_figure``) runs: whether it read the summaries.
_used_summaries: ContextVar[bool] = ContextVar("analytics_used_summaries", default=False)
# The summaries' status for a whole dashboard (``build_dashboard``): read once, the same for every figure.
_dashboard_status: ContextVar[SummaryStatus | None] = ContextVar("analytics_dashboard_status", default=None)


def _figure(function: Callable[..., Any]) -> Callable[..., Any]:
    """Marks the tables a figure function returns with whether it read the summaries (``Table.summarised``),
    as recorded by ``_use_summaries``; a nested figure's reads count for its own tables only."""

    @wraps(function)
    def figure(*args: Any, **kwargs: Any) -> Any:
        token = _used_summaries.set(False)
        try:
            result = function(*args, **kwargs)
            used = _used_summaries.get()
        finally:
            _used_summaries.reset(token)
        if isinstance(result, tuple):
            return tuple(replace(table, summarised=used) for table in result)
        return replace(result, summarised=used)

    return figure


def _use_summaries(live: bool, *reads_live: object) -> bool:
    """Whether a figure reads the per-day summaries: not when asked for the live reference, not when
    any of ``reads_live`` (the filters it answers live) is set, not before the first full refresh.
    Records the answer for ``@_figure``."""
    use = not live and not any(reads_live) and (_dashboard_status.get() or summary_status()).full_refreshed
    if use:
        _used_summaries.set(True)
    return use


def _summarised(scope: Scope, live: bool) -> bool:
    """``_use_summaries`` for most figures: one school reads live (the live query narrowed to its
    people is fast: see ``activity.school_first``)."""
    return _use_summaries(live, scope.filters.school_id)


def _school_people(scope: Scope, column, live: bool) -> list[ColumnElement]:
    """The school filter on a user-id column: the reference subquery when asked for the live
    reference, the school's ids fetched first otherwise (``activity.school_first``: fast)."""
    return scope.people(column) if live else school_first(scope, column)


def _share(part: Any, whole: Any) -> float | None:
    return (part or 0) / whole if whole else None


def _credential_names(ids: set[int]) -> dict[int, str]:
    """Display names ("Name (v2)" for later versions) of the given credentials, in one query."""
    if not ids:
        return {}
    rows = db.session.execute(select(Credential.id, Credential.name, Credential.version).where(Credential.id.in_(ids)))
    return {row.id: row.name if row.version == 1 else f"{row.name} (v{row.version})" for row in rows}


def _credentials_in_scope(scope: Scope) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Credential.id, Credential.name, Credential.version)
        .where(Credential.id.in_(scope.credentials()))
        .order_by(Credential.name, Credential.version)
    ).all()
    return [(row.id, row.name if row.version == 1 else f"{row.name} (v{row.version})") for row in rows]


# --- credentials dashboard ---------------------------------------------------------------------


def _attempts_per_teacher(scope: Scope):
    """Per (credential, teacher): attempts submitted in the window and how they ended."""
    decided = Submission.status.in_(DECIDED)
    one = Submission.attempt == 1
    return (
        select(
            Submission.credential_id.label("credential_id"),
            Submission.teacher_id.label("teacher_id"),
            func.count().label("submitted"),
            func.max(case((and_(one, decided), 1), else_=0)).label("first_decided"),
            func.max(case((and_(one, Submission.status == SubmissionStatus.PASSED), 1), else_=0)).label("first_passed"),
            func.max(case((decided, 1), else_=0)).label("decided"),
            func.max(case((Submission.status == SubmissionStatus.PASSED, 1), else_=0)).label("passed"),
            func.sum(case((decided, 1), else_=0)).label("decided_attempts"),
        )
        .where(
            Submission.credential_id.in_(scope.credentials()),
            Submission.submitted_at.is_not(None),
            *scope.during(Submission.submitted_at),
            *scope.people(Submission.teacher_id),
        )
        .group_by(Submission.credential_id, Submission.teacher_id)
        .subquery("per_teacher")
    )


@_figure
def credential_outcomes(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """Per microcredential: enrolments, drop-off (started, never submitted), attempts
    submitted, first-attempt and eventual pass rates, and median days from the
    start of the enrolment to the award. Four queries live, five from the summaries (unless
    ``live`` or a school is chosen)."""
    scope = _scope(actor, filters)
    credentials = _credentials_in_scope(scope)
    if _summarised(scope, live):
        counts = journeys.outcome_counts(scope)
        return _outcomes_table(credentials, counts, counts, journeys.days_to_award(scope))

    per = _attempts_per_teacher(scope)
    outcomes = {
        row.credential_id: row
        for row in db.session.execute(
            select(
                per.c.credential_id,
                func.sum(per.c.submitted).label("submissions"),
                func.count().label("teachers"),
                func.sum(per.c.first_decided).label("first_decided"),
                func.sum(per.c.first_passed).label("first_passed"),
                func.sum(per.c.decided).label("decided"),
                func.sum(per.c.passed).label("passed"),
            ).group_by(per.c.credential_id)
        )
    }

    ever_submitted = (
        select(Submission.id)
        .where(Submission.teacher_id == Enrollment.user_id, Submission.credential_id == Enrollment.credential_id,
               Submission.submitted_at.is_not(None))
        .exists()
    )
    enrolments = {
        row.credential_id: row
        for row in db.session.execute(
            select(
                Enrollment.credential_id,
                func.count().label("enrollments"),
                func.sum(case((~ever_submitted, 1), else_=0)).label("never_submitted"),
            )
            .where(Enrollment.credential_id.in_(scope.credentials()), *scope.during(Enrollment.started_at),
                   *scope.people(Enrollment.user_id))
            .group_by(Enrollment.credential_id)
        )
    }

    days = {row.key: (row.n, row.median) for row in db.session.execute(_days_to_award(scope))}
    return _outcomes_table(credentials, {k: r._mapping for k, r in outcomes.items()},
                           {k: r._mapping for k, r in enrolments.items()}, days)


def _outcomes_table(credentials: list[tuple[int, str]], outcomes: dict, enrolments: dict, days: dict) -> Table:
    """The outcomes table from per-credential counts (``outcomes``: attempts and teachers;
    ``enrolments``: enrolments and never submitted; ``days``: awards and their median days to award)."""
    rows = []
    for credential_id, name in credentials:
        o, e, d = outcomes.get(credential_id), enrolments.get(credential_id), days.get(credential_id)
        e = e if e and e.get("enrollments") else None
        o = o if o and o.get("teachers") else None
        rows.append({
            "credential_id": credential_id,
            "credential": name,
            "enrollments": e["enrollments"] if e else 0,
            "never_submitted": e["never_submitted"] if e else 0,
            "drop_off": _share(e["never_submitted"], e["enrollments"]) if e else None,
            "submissions": o["submissions"] if o else 0,
            "teachers": o["teachers"] if o else 0,
            "first_attempt_pass": _share(o["first_passed"], o["first_decided"]) if o else None,
            "eventual_pass": _share(o["passed"], o["decided"]) if o else None,
            "awards": d[0] if d else 0,
            "median_days_to_award": d[1] if d else None,
        })
    return Table(
        key="outcomes", title="Outcomes per microcredential",
        columns=[
            Column("credential", "Microcredential", "text"),
            Column("enrollments", "Enrolments"),
            Column("never_submitted", "Started, never submitted"),
            Column("drop_off", "Drop-off (%)", "pct"),
            Column("submissions", "Attempts submitted"),
            Column("teachers", "Teachers who submitted"),
            Column("first_attempt_pass", "First-attempt pass rate (%)", "pct"),
            Column("eventual_pass", "Eventual pass rate (%)", "pct"),
            Column("awards", "Awards"),
            Column("median_days_to_award", "Median days, start to award", "days"),
        ],
        rows=rows,
        note=("Pass rates count teachers with a decided attempt in the period: first attempt = attempt 1 passed; "
              "eventual = any attempt passed. Drop-off: enrolments with no attempt ever submitted."),
    )


def _days_to_award(scope: Scope) -> Select:
    """Median days from the enrolment's start to the award, per credential (awards issued in the window)."""
    values = (
        select(Award.credential_id.label("key"), days_between(Award.issued_at, Enrollment.started_at).label("value"))
        .join(Enrollment, and_(Enrollment.user_id == Award.recipient_id, Enrollment.credential_id == Award.credential_id))
        .where(Award.credential_id.in_(scope.credentials()), Award.revoked_at.is_(None),
               *scope.during(Award.issued_at), *scope.people(Award.recipient_id))
    )
    return percentiles(values, {"median": 0.5}, keys=["key"])


@_figure
def attempts_to_pass(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """How many decided attempts the teachers who passed needed: 1, 2, 3, 4 or more. One query
    (from the summaries unless ``live`` or a school is chosen)."""
    scope = _scope(actor, filters)
    if _summarised(scope, live):
        counts = journeys.attempts_to_pass_counts(scope)
    else:
        per = _attempts_per_teacher(scope)
        bucket = case((per.c.decided_attempts >= 4, 4), else_=per.c.decided_attempts).label("attempts")
        result = db.session.execute(
            select(bucket, func.count().label("teachers")).where(per.c.passed == 1).group_by(bucket).order_by(bucket)
        ).all()
        counts = {row.attempts: row.teachers for row in result}
    total = sum(counts.values())
    rows = [
        {"attempts": "4 or more" if n == 4 else str(n), "teachers": counts.get(n, 0), "share": _share(counts.get(n, 0), total)}
        for n in (1, 2, 3, 4)
    ]
    return Table(
        key="attempts", title="Attempts needed to pass",
        columns=[Column("attempts", "Decided attempts", "text"), Column("teachers", "Teachers who passed"),
                 Column("share", "Share (%)", "pct")],
        rows=rows,
        note="Teachers who passed in the period, by how many of their attempts were decided.",
    )


@_figure
def criteria_below_pass(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """The rubric criteria most often scored below their pass level (reviews submitted in the window).
    Two queries from the summaries; live (``live=True`` or a school chosen) one, after the school's
    teacher ids when one is chosen."""
    scope = _scope(actor, filters)
    if _summarised(scope, live):
        below, total = func.sum(CriterionDay.below), func.sum(CriterionDay.scores)
        result = db.session.execute(
            select(
                Credential.id.label("credential_id"), Credential.name.label("credential"),
                Criterion.name.label("criterion"), total.label("scores"), below.label("below"),
            )
            .select_from(CriterionDay)
            .join(Criterion, Criterion.id == CriterionDay.criterion_id)
            .join(Rubric, Rubric.id == Criterion.rubric_id)
            .join(Credential, Credential.id == Rubric.credential_id)
            .where(CriterionDay.credential_id.in_(scope.credentials()), *scope.on_days(CriterionDay.day))
            .group_by(Credential.id, Credential.name, Criterion.id, Criterion.name)
            .having(total > 0)
            .order_by((below * 1.0 / total).desc(), Criterion.name, Credential.id, Criterion.id)
            .limit(TOP_CRITERIA)
        ).all()
        return _criteria_table(result)
    scored, passing = aliased(Level), aliased(Level)
    below = func.sum(case((scored.position < passing.position, 1), else_=0))
    total = func.count()
    result = db.session.execute(
        select(
            Credential.id.label("credential_id"), Credential.name.label("credential"),
            Criterion.name.label("criterion"), total.label("scores"), below.label("below"),
        )
        .select_from(ReviewScore)
        .join(Review, Review.id == ReviewScore.review_id)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(scored, scored.id == ReviewScore.level_id)
        .join(passing, and_(passing.criterion_id == ReviewScore.criterion_id, passing.is_pass.is_(True)))
        .join(Criterion, Criterion.id == ReviewScore.criterion_id)
        .join(Rubric, Rubric.id == Criterion.rubric_id)
        .join(Credential, Credential.id == Rubric.credential_id)
        .where(Review.submitted_at.is_not(None), Submission.credential_id.in_(scope.credentials()),
               *scope.during(Review.submitted_at), *_school_people(scope, Submission.teacher_id, live))
        .group_by(Credential.id, Credential.name, Criterion.id, Criterion.name)
        .order_by((below * 1.0 / total).desc(), Criterion.name, Credential.id, Criterion.id)
        .limit(TOP_CRITERIA)
    ).all()
    return _criteria_table(result)


def _criteria_table(result) -> Table:
    rows = [{"credential": r.credential, "criterion": r.criterion, "scores": r.scores, "below": r.below,
             "share": _share(r.below, r.scores)} for r in result]
    return Table(
        key="criteria", title="Criteria most often below the pass level",
        columns=[Column("criterion", "Criterion", "text"), Column("credential", "Microcredential", "text"),
                 Column("scores", "Scores given"), Column("below", "Below pass level"),
                 Column("share", "Share below (%)", "pct")],
        rows=rows,
        note="Every reviewer's score counts (peers and coaches), for reviews submitted in the period.",
    )


@_figure
def stack_progress(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """Per stack: teachers who started a component, who earned at least one, and the stack's awards.
    Three queries live (``live`` or a school chosen), one from the summaries."""
    scope = _scope(actor, filters, kind=CredentialKind.STACK)
    stacks = _credentials_in_scope(scope)
    if _summarised(scope, live):
        counts = journeys.stack_counts(scope)
        return _stacks_table(stacks, counts["started"], counts["earned"], counts["awarded"])
    stack_ids = scope.credentials()
    started = {
        row.stack_id: row.teachers
        for row in db.session.execute(
            select(StackComponent.stack_id, func.count(func.distinct(Enrollment.user_id)).label("teachers"))
            .join(Enrollment, Enrollment.credential_id == StackComponent.component_id)
            .where(StackComponent.stack_id.in_(stack_ids), *scope.during(Enrollment.started_at),
                   *scope.people(Enrollment.user_id))
            .group_by(StackComponent.stack_id)
        )
    }
    earned_one = {
        row.stack_id: row.teachers
        for row in db.session.execute(
            select(StackComponent.stack_id, func.count(func.distinct(Award.recipient_id)).label("teachers"))
            .join(Award, Award.credential_id == StackComponent.component_id)
            .where(StackComponent.stack_id.in_(stack_ids), Award.revoked_at.is_(None),
                   *scope.during(Award.issued_at), *scope.people(Award.recipient_id))
            .group_by(StackComponent.stack_id)
        )
    }
    awarded = {
        row.credential_id: row.awards
        for row in db.session.execute(
            select(Award.credential_id, func.count().label("awards"))
            .where(Award.credential_id.in_(stack_ids), Award.revoked_at.is_(None), *scope.during(Award.issued_at),
                   *scope.people(Award.recipient_id))
            .group_by(Award.credential_id)
        )
    }
    return _stacks_table(stacks, started, earned_one, awarded)


def _stacks_table(stacks: list[tuple[int, str]], started: dict, earned_one: dict, awarded: dict) -> Table:
    rows = [{
        "credential_id": cid, "stack": name, "started": started.get(cid, 0), "earned_component": earned_one.get(cid, 0),
        "awards": awarded.get(cid, 0), "completion": _share(awarded.get(cid, 0), started.get(cid, 0)),
    } for cid, name in stacks]
    return Table(
        key="stacks", title="Stacks",
        columns=[Column("stack", "Stack", "text"), Column("started", "Teachers who started a component"),
                 Column("earned_component", "Earned at least one component"), Column("awards", "Stack awards"),
                 Column("completion", "Awards per teacher started (%)", "pct")],
        rows=rows,
        note="Component enrolments started, component and stack awards issued in the period.",
    )


# --- reviewers dashboard ---------------------------------------------------------------------


def _assignments(scope: Scope) -> list[ColumnElement]:
    """Assignments (joined to their Submission) of credentials in scope, made in the window."""
    return [
        Submission.credential_id.in_(scope.credentials()),
        *scope.people(Submission.teacher_id),
        *scope.during(Assignment.assigned_at),
    ]


def _overdue(now: datetime) -> ColumnElement:
    """Completed after the due date, expired, or still pending past it."""
    return or_(
        and_(Assignment.status == AssignmentStatus.COMPLETED, Assignment.completed_at > Assignment.due_at),
        Assignment.status == AssignmentStatus.EXPIRED,
        and_(Assignment.status == AssignmentStatus.PENDING, Assignment.due_at < now),
    )


@_figure
def review_turnaround(actor: User, filters: Filters, *, now: datetime | None = None, live: bool = False) -> Table:
    """Per microcredential: assignments, median and 90th-percentile whole days to complete a review,
    and the overdue rate. Five queries from the summaries (open assignments past due are counted
    live: they change with the clock, and few are open), three live."""
    scope = _scope(actor, filters)
    now = now or utcnow()
    credentials = _credentials_in_scope(scope)
    fractions = {"median": 0.5, "p90": 0.9}
    if _summarised(scope, live):
        values = select(TurnaroundDay.credential_id.label("key"), TurnaroundDay.days_taken.label("value"),
                        TurnaroundDay.n.label("n")).where(TurnaroundDay.credential_id.in_(scope.credentials()),
                                                          *scope.on_days(TurnaroundDay.day))
        times = {row.key: row for row in db.session.execute(percentiles_from_counts(values, fractions, keys=["key"]))}
        overall = db.session.execute(percentiles_from_counts(values, fractions)).one()
        late = open_past_due(scope, now)
        open_overdue = dict(db.session.execute(
            select(late.c.credential_id, func.count()).group_by(late.c.credential_id)
        ).all())
        counts = {
            row.credential_id: {"assignments": row.assignments, "declined": row.declined,
                                "overdue": (row.closed_overdue or 0) + open_overdue.get(row.credential_id, 0)}
            for row in db.session.execute(
                select(AssignmentDay.credential_id, func.sum(AssignmentDay.assignments).label("assignments"),
                       func.sum(AssignmentDay.declined).label("declined"),
                       func.sum(AssignmentDay.closed_overdue).label("closed_overdue"))
                .where(AssignmentDay.credential_id.in_(scope.credentials()), *scope.on_days(AssignmentDay.day))
                .group_by(AssignmentDay.credential_id)
            )
        }
    else:
        values = (
            select(Submission.credential_id.label("key"),
                   whole_days(Assignment.completed_at, Assignment.assigned_at).label("value"))
            .join(Submission, Submission.id == Assignment.submission_id)
            .where(Assignment.status == AssignmentStatus.COMPLETED, *_assignments(scope))
        )
        times = {row.key: row for row in db.session.execute(percentiles(values, fractions, keys=["key"]))}
        counted = Assignment.status != AssignmentStatus.DECLINED
        counts = {
            row.credential_id: row._asdict()
            for row in db.session.execute(
                select(
                    Submission.credential_id,
                    func.sum(case((counted, 1), else_=0)).label("assignments"),
                    func.sum(case((and_(counted, _overdue(now)), 1), else_=0)).label("overdue"),
                    func.sum(case((Assignment.status == AssignmentStatus.DECLINED, 1), else_=0)).label("declined"),
                )
                .join(Submission, Submission.id == Assignment.submission_id)
                .where(*_assignments(scope))
                .group_by(Submission.credential_id)
            )
        }
        overall = db.session.execute(percentiles(values, fractions)).one()
    rows = []
    for credential_id, name in credentials:
        t, c = times.get(credential_id), counts.get(credential_id)
        rows.append({
            "credential_id": credential_id, "credential": name,
            "assignments": c["assignments"] if c else 0, "completed": t.n if t else 0,
            "median_days": t.median if t else None, "p90_days": t.p90 if t else None,
            "overdue": c["overdue"] if c else 0, "overdue_rate": _share(c["overdue"], c["assignments"]) if c else None,
            "declined": c["declined"] if c else 0,
        })
    total_assignments = sum(r["assignments"] for r in rows)
    total_overdue = sum(r["overdue"] for r in rows)
    rows.append({
        "credential_id": None, "credential": "All microcredentials", "assignments": total_assignments,
        "completed": overall.n or 0, "median_days": overall.median, "p90_days": overall.p90,
        "overdue": total_overdue, "overdue_rate": _share(total_overdue, total_assignments),
        "declined": sum(r["declined"] for r in rows),
    })
    return Table(
        key="turnaround", title="Review turnaround",
        columns=[Column("credential", "Microcredential", "text"), Column("assignments", "Assignments"),
                 Column("completed", "Reviews completed"), Column("median_days", "Median days", "days"),
                 Column("p90_days", "90th percentile, days", "days"), Column("overdue", "Overdue"),
                 Column("overdue_rate", "Overdue rate (%)", "pct"), Column("declined", "Declined")],
        rows=rows,
        note=("Assignments made in the period (declined ones apart). Days: whole days from assignment to the "
              "completed review. Overdue: completed after the due date, expired, or still open past it today."),
    )


def reviewer_load(actor: User, filters: Filters, *, now: datetime | None = None, live: bool = False) -> Table:
    """The reviewers with the most assignments in the window: assigned, completed, open, overdue."""
    return _load_tables(actor, filters, now=now, live=live)[0]


def load_distribution(actor: User, filters: Filters, *, now: datetime | None = None, live: bool = False) -> Table:
    """How assignments spread over reviewers: median, 90th percentile and maximum per reviewer."""
    return _load_tables(actor, filters, now=now, live=live)[1]


@_figure
def _load_tables(actor: User, filters: Filters, *, now: datetime | None = None,
                 live: bool = False) -> tuple[Table, Table]:
    """Load per reviewer and the load spread from one query over the per-reviewer counts of the
    window (``activity.reviewer_loads``: the summaries, with the open assignments past due counted
    live; or live with ``live=True`` or a school chosen): the spread row joined to the top reviewers."""
    scope = _scope(actor, filters)
    now = now or utcnow()
    loads = reviewer_loads(scope, _summarised(scope, live), now, _overdue(now), [
        Submission.credential_id.in_(scope.credentials()),
        Assignment.status != AssignmentStatus.DECLINED,
        *scope.during(Assignment.assigned_at),
        *scope.people(Assignment.reviewer_id),
    ])
    spread = percentiles(select(loads.c.assigned.label("value")),
                         {"median": 0.5, "p90": 0.9, "max": 1.0}).subquery("spread")
    # Only the reviewers with at least the 25th-highest load (ties kept) are joined to their names:
    # joined whole, PostgreSQL hashed every user (50 ms at 100,000 teachers) to name 25.
    cutoff = (select(loads.c.assigned).order_by(loads.c.assigned.desc())
              .offset(TOP_REVIEWERS - 1).limit(1).scalar_subquery())
    top = (
        select(User.id, User.name, loads.c.assigned, loads.c.completed, loads.c.open, loads.c.overdue,
               loads.c.as_coach)
        .join(User, User.id == loads.c.reviewer_id)
        .where(loads.c.assigned >= func.coalesce(cutoff, 0))
        .order_by(loads.c.assigned.desc(), User.name, User.id)
        .limit(TOP_REVIEWERS)
        .subquery("top")
    )
    result = db.session.execute(
        select(spread.c.n.label("spread_n"), spread.c.median, spread.c.p90, spread.c.max, top)
        .select_from(spread).outerjoin(top, true())
        .order_by(top.c.assigned.desc(), top.c.name, top.c.id)
    ).all()
    first = result[0]
    rows = [{"reviewer_id": r.id, "reviewer": r.name, "assigned": r.assigned, "completed": r.completed,
             "open": r.open, "overdue": r.overdue, "as_coach": r.as_coach,
             "overdue_rate": _share(r.overdue, r.assigned)} for r in result if r.id is not None]
    load = Table(
        key="load", title="Load per reviewer",
        columns=[Column("reviewer", "Reviewer", "text"), Column("assigned", "Assigned"),
                 Column("completed", "Completed"), Column("open", "Open now"), Column("overdue", "Overdue"),
                 Column("overdue_rate", "Overdue rate (%)", "pct"), Column("as_coach", "As coach")],
        rows=rows, total=first.spread_n or 0,
        note=f"The {TOP_REVIEWERS} reviewers with the most assignments in the period (declined ones apart).",
    )
    spread_table = Table(
        key="spread", title="Assignments per reviewer",
        columns=[Column("reviewers", "Reviewers"), Column("median", "Median per reviewer", "float"),
                 Column("p90", "90th percentile", "float"), Column("max", "Most", "float")],
        rows=[{"reviewers": first.spread_n or 0, "median": first.median, "p90": first.p90, "max": first.max}],
    )
    return load, spread_table


@_figure
def reviewer_agreement(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """Agreement between peers scoring the same submission, per criterion: pairs of scores,
    exact agreement (same level) and within one level. Two queries from the summaries; live one,
    after the school's teacher and submission ids when one is chosen."""
    scope = _scope(actor, filters)
    if _summarised(scope, live):
        pairs = func.sum(CriterionDay.pairs)
        result = db.session.execute(
            select(
                Credential.name.label("credential"), Criterion.name.label("criterion"), pairs.label("pairs"),
                func.sum(CriterionDay.exact).label("exact"), func.sum(CriterionDay.adjacent).label("adjacent"),
            )
            .select_from(CriterionDay)
            .join(Criterion, Criterion.id == CriterionDay.criterion_id)
            .join(Rubric, Rubric.id == Criterion.rubric_id)
            .join(Credential, Credential.id == Rubric.credential_id)
            .where(CriterionDay.credential_id.in_(scope.credentials()), *scope.on_days(CriterionDay.day))
            .group_by(Credential.id, Credential.name, Criterion.id, Criterion.position, Criterion.name)
            .having(pairs > 0)
            .order_by(Credential.name, Criterion.position, Credential.id, Criterion.id)
        ).all()
        return _agreement_table(result)
    p = PeerPairs()
    result = db.session.execute(
        p.joined(select(
            Credential.name.label("credential"), Criterion.name.label("criterion"), func.count().label("pairs"),
            p.exact().label("exact"), p.adjacent().label("adjacent"),
        ))
        .join(Criterion, Criterion.id == p.score.criterion_id)
        .join(Rubric, Rubric.id == Criterion.rubric_id)
        .join(Credential, Credential.id == Rubric.credential_id)
        .where(Submission.credential_id.in_(scope.credentials()), *scope.during(p.review.submitted_at),
               *(scope.people(Submission.teacher_id) if live
                 else school_submissions(scope, p.assignment.submission_id)))
        .group_by(Credential.id, Credential.name, Criterion.id, Criterion.position, Criterion.name)
        .order_by(Credential.name, Criterion.position, Credential.id, Criterion.id)
    ).all()
    return _agreement_table(result)


def _agreement_table(result) -> Table:
    rows = [{"credential": r.credential, "criterion": r.criterion, "pairs": r.pairs, "exact": r.exact,
             "exact_rate": _share(r.exact, r.pairs), "adjacent": r.adjacent,
             "adjacent_rate": _share(r.adjacent, r.pairs)} for r in result]
    return Table(
        key="agreement", title="Agreement between peer reviewers",
        columns=[Column("criterion", "Criterion", "text"), Column("credential", "Microcredential", "text"),
                 Column("pairs", "Pairs of scores"), Column("exact", "Same level"),
                 Column("exact_rate", "Exact agreement (%)", "pct"), Column("adjacent", "Within one level"),
                 Column("adjacent_rate", "Exact or adjacent (%)", "pct")],
        rows=rows,
        note="Every pair of peers who scored the same submission, compared criterion by criterion.",
    )


@_figure
def calibration_results(actor: User, filters: Filters) -> Table:
    """Per microcredential: calibration attempts, the share passed, and peers who tried and passed. One query."""
    scope = _scope(actor, filters)
    result = db.session.execute(
        select(
            CalibrationExemplar.credential_id,
            func.count().label("attempts"),
            func.sum(case((CalibrationAttempt.passed.is_(True), 1), else_=0)).label("passed"),
            func.count(func.distinct(CalibrationAttempt.user_id)).label("peers"),
            func.count(func.distinct(case((CalibrationAttempt.passed.is_(True), CalibrationAttempt.user_id)))).label("peers_passed"),
            func.avg(CalibrationAttempt.exact_share).label("exact_share"),
        )
        .join(CalibrationExemplar, CalibrationExemplar.id == CalibrationAttempt.exemplar_id)
        .where(CalibrationExemplar.credential_id.in_(scope.credentials()), *scope.during(CalibrationAttempt.created_at),
               *scope.people(CalibrationAttempt.user_id))
        .group_by(CalibrationExemplar.credential_id)
    ).all()
    names = _credential_names({r.credential_id for r in result})
    rows = [{"credential": names[r.credential_id], "attempts": r.attempts, "passed": r.passed,
             "pass_rate": _share(r.passed, r.attempts), "peers": r.peers, "peers_passed": r.peers_passed,
             "peer_pass_rate": _share(r.peers_passed, r.peers), "exact_share": r.exact_share} for r in result]
    rows.sort(key=lambda row: row["credential"])
    return Table(
        key="calibration", title="Calibration",
        columns=[Column("credential", "Microcredential", "text"), Column("attempts", "Attempts"),
                 Column("passed", "Passed"), Column("pass_rate", "Attempt pass rate (%)", "pct"),
                 Column("peers", "Peers who tried"), Column("peers_passed", "Peers who passed"),
                 Column("peer_pass_rate", "Peer pass rate (%)", "pct"),
                 Column("exact_share", "Mean exact match with the reference (%)", "pct")],
        rows=rows,
    )


# --- impact dashboard ----------------------------------------------------------------------


def _measures(scope: Scope) -> list[ColumnElement]:
    """Counted measures (``summaries.counted_measures``) of attempts submitted in the window."""
    return [
        *counted_measures(),
        Submission.credential_id.in_(scope.credentials()),
        *scope.during(Submission.submitted_at),
        *scope.people(Submission.teacher_id),
    ]


@_figure
def impact_by_credential(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """Per microcredential: measures reported, teachers reporting, the median relative change
    and the shares improved, unchanged and worse. Three queries over the summaries
    (``activity.impact_per_credential``); two over the raw rows (``live=True`` or a school chosen)."""
    scope = _scope(actor, filters)
    if _summarised(scope, live):
        result, medians = impact_per_credential(scope)
    else:
        result, medians = _live_impact_per_credential(scope)
    names = _credential_names({r.credential_id for r in result})
    rows = [{
        "credential": names[r.credential_id], "measures": r.measures, "teachers": r.teachers,
        "students": r.students, "median_change": medians.get(r.credential_id),
        "improved": _share(r.improved, r.measures), "unchanged": _share(r.unchanged, r.measures),
        "worse": _share(r.worse, r.measures),
    } for r in result]
    rows.sort(key=lambda row: row["credential"])
    return Table(
        key="impact", title="Classroom measures per microcredential",
        columns=[Column("credential", "Microcredential", "text"), Column("measures", "Measures reported"),
                 Column("teachers", "Teachers reporting"), Column("students", "Students (as reported)"),
                 Column("median_change", "Median change (% of the starting value)", "float"),
                 Column("improved", "Improved (%)", "pct"), Column("unchanged", "Unchanged (%)", "pct"),
                 Column("worse", "Worse (%)", "pct")],
        rows=rows,
        note=("Change is signed by each measure's direction: a fall in absences counts as an improvement. "
              "Measures that started at 0 have no relative change and are left out of the median."),
    )


def _live_impact_per_credential(scope: Scope) -> tuple[list, dict[int, float]]:
    facts = impact_facts(_measures(scope))
    change = facts.c.change
    base = select(facts.c.credential_id.label("key"), facts.c.relative.label("value"))
    medians = {row.key: row.median for row in db.session.execute(percentiles(base, {"median": 0.5}, keys=["key"]))}
    # Per teacher first, then per credential: a hash aggregate instead of COUNT(DISTINCT)'s sort.
    per_teacher = (
        select(
            facts.c.credential_id, func.count().label("measures"),
            func.sum(case((change > 0, 1), else_=0)).label("improved"),
            func.sum(case((change == 0, 1), else_=0)).label("unchanged"),
            func.sum(case((change < 0, 1), else_=0)).label("worse"),
            func.sum(facts.c.students).label("students"),
        )
        .group_by(facts.c.credential_id, facts.c.teacher_id)
        .subquery("per_teacher")
    )
    t = per_teacher.c
    result = db.session.execute(
        select(t.credential_id, func.sum(t.measures).label("measures"), func.count().label("teachers"),
               func.sum(t.improved).label("improved"), func.sum(t.unchanged).label("unchanged"),
               func.sum(t.worse).label("worse"), func.sum(t.students).label("students"))
        .group_by(t.credential_id)
    ).all()
    return result, medians


@_figure
def impact_by_measure(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """The most reported measures, each in its own unit: how often, median change, share improved.
    Three queries over the summaries (``activity.impact_per_measure``), two over the raw rows."""
    scope = _scope(actor, filters)
    if _summarised(scope, live):
        result, medians = impact_per_measure(scope, TOP_MEASURES)
    else:
        result, medians = _live_impact_per_measure(scope)
    rows = [{
        "measure": r.measure, "unit": r.unit, "reported": r.reported,
        "direction": "higher is better" if r.higher_better * 2 >= r.reported else "lower is better",
        "median_change": medians.get((r.measure, r.unit)), "improved": _share(r.improved, r.reported),
    } for r in result]
    return Table(
        key="measures", title="Most reported measures",
        columns=[Column("measure", "Measure", "text"), Column("unit", "Unit", "text"),
                 Column("direction", "Direction", "text"), Column("reported", "Times reported"),
                 Column("median_change", "Median change (in its unit, signed)", "float"),
                 Column("improved", "Improved (%)", "pct")],
        rows=rows,
    )


def _live_impact_per_measure(scope: Scope) -> tuple[list, dict[tuple[str, str], float]]:
    facts = impact_facts(_measures(scope))
    medians = {(r.measure, r.unit): r.median
               for r in db.session.execute(median_of_counts(facts, [facts.c.measure, facts.c.unit], facts.c.change))}
    reported = func.count()
    result = db.session.execute(
        select(
            facts.c.measure, facts.c.unit, reported.label("reported"),
            func.sum(case((facts.c.higher_is_better.is_(True), 1), else_=0)).label("higher_better"),
            func.sum(case((facts.c.change > 0, 1), else_=0)).label("improved"),
        )
        .group_by(facts.c.measure, facts.c.unit)
        .order_by(reported.desc(), facts.c.measure)
        .limit(TOP_MEASURES)
    ).all()
    return result, medians


# --- equity and coverage -------------------------------------------------------------------


@_figure
def school_participation(actor: User, filters: Filters, *, live: bool = False) -> Table:
    """Per school, lowest share earning first: teachers, who has started, who is earning,
    who has not started. Two queries (the page and the count); from the summaries unless
    ``live`` or a framework or credential is chosen."""
    scope = _scope(actor, filters)
    teacher = UserRole.role == Role.TEACHER
    # Distinct people joined (not IN inside CASE: a large IN list is rescanned per row when it
    # does not fit the planner's hash memory).
    started = (
        select(Enrollment.user_id.label("user_id"))
        .where(Enrollment.credential_id.in_(scope.credentials()), *scope.during(Enrollment.started_at))
        .group_by(Enrollment.user_id)
        .subquery("started")
    )
    earning = (
        select(Award.recipient_id.label("user_id"))
        .where(Award.credential_id.in_(scope.credentials()), Award.revoked_at.is_(None),
               *scope.during(Award.issued_at))
        .group_by(Award.recipient_id)
        .subquery("earning")
    )
    schools = select(School.id).where(School.organization_id == scope.organization_id)
    if filters.school_id:
        schools = schools.where(School.id == filters.school_id)
    if _use_summaries(live, filters.framework_id, filters.credential_id):
        # From the summaries: every microcredential of the organization (a framework or a credential
        # chosen reads live), the teachers as counted at the last refresh (``SchoolStaff``).
        counts = journeys.school_counts(scope, schools).subquery("counts")
        teachers = SchoolStaff.teachers
        n_started, n_earning = func.coalesce(counts.c.started, 0), func.coalesce(counts.c.earning, 0)
        query = (
            select(School.id, School.name, teachers.label("teachers"), n_started.label("started"),
                   n_earning.label("earning"), func.count().over().label("schools"))
            .join(SchoolStaff, SchoolStaff.school_id == School.id)
            .outerjoin(counts, counts.c.school_id == School.id)
            .where(School.id.in_(schools))
        )
    else:
        teachers = func.count(User.id)
        n_started = func.count(started.c.user_id)
        n_earning = func.count(earning.c.user_id)
        query = (
            select(School.id, School.name, teachers.label("teachers"), n_started.label("started"),
                   n_earning.label("earning"), func.count().over().label("schools"))
            .join(User, and_(User.school_id == School.id, User.active.is_(True)))
            .join(UserRole, and_(UserRole.user_id == User.id, teacher))
            .outerjoin(started, started.c.user_id == User.id)
            .outerjoin(earning, earning.c.user_id == User.id)
            .where(School.id.in_(schools))
            .group_by(School.id, School.name)
        )
    query = query.order_by((n_earning * 1.0 / teachers), School.name)
    page = max(filters.page, 1)
    result = db.session.execute(query.limit(SCHOOLS_PER_PAGE).offset((page - 1) * SCHOOLS_PER_PAGE)).all()
    total = result[0].schools if result else db.session.scalar(
        select(func.count()).select_from(query.subquery())) if page > 1 else 0
    rows = [{
        "school_id": r.id, "school": r.name, "teachers": r.teachers, "started": r.started,
        "not_started": r.teachers - r.started, "earning": r.earning,
        "earning_share": _share(r.earning, r.teachers), "not_started_share": _share(r.teachers - r.started, r.teachers),
    } for r in result]
    return Table(
        key="schools", title="Participation by school",
        columns=[Column("school", "School", "text"), Column("teachers", "Teachers"),
                 Column("started", "Started a credential"), Column("not_started", "Not started"),
                 Column("not_started_share", "Not started (%)", "pct"), Column("earning", "Earned a credential"),
                 Column("earning_share", "Earning (%)", "pct")],
        rows=rows, total=total,
        note="Schools with the lowest share of teachers earning come first. Teachers: active accounts with the teacher role.",
    )


@_figure
def competency_coverage(actor: User, filters: Filters, school_ids: list[int]) -> Table:
    """Schools x competencies: teachers of each school holding an award aligned to each
    competency. For the schools given (one page of ``school_participation``). Two queries."""
    scope = _scope(actor, filters, kind=None)
    frameworks = select(Framework.id).where(Framework.organization_id == scope.organization_id)
    if filters.framework_id:
        frameworks = frameworks.where(Framework.id == filters.framework_id)
    competencies = db.session.execute(
        select(Competency.id, Competency.code, Competency.name)
        .where(Competency.framework_id.in_(frameworks), Competency.retired_at.is_(None))
        .order_by(Competency.framework_id, Competency.position)
    ).all()
    counts = {}
    if school_ids and competencies:
        counts = {
            (r.school_id, r.competency_id): r.teachers
            for r in db.session.execute(
                select(User.school_id, credential_competency.c.competency_id,
                       func.count(func.distinct(Award.recipient_id)).label("teachers"))
                .join(User, User.id == Award.recipient_id)
                .join(credential_competency, credential_competency.c.credential_id == Award.credential_id)
                .where(User.school_id.in_(school_ids), Award.revoked_at.is_(None),
                       Award.credential_id.in_(scope.credentials()), *scope.during(Award.issued_at))
                .group_by(User.school_id, credential_competency.c.competency_id)
            )
        }
    columns = [Column("school", "School", "text"), Column("teachers", "Teachers")] + [
        Column(f"c{c.id}", c.code, "int") for c in competencies
    ]
    return Table(
        key="coverage", title="Competency coverage by school",
        columns=columns,
        rows=[{"school_id": sid, **{f"c{c.id}": counts.get((sid, c.id), 0) for c in competencies}} for sid in school_ids],
        note="Teachers of each school holding a credential aligned to the competency (awards issued in the period). "
             + " ".join(f"{c.code}: {c.name}." for c in competencies),
    )


# --- dashboards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    tables: list[Table]
    # How fresh the summary-backed figures are (None until the first refresh; live figures are current).
    refreshed_at: datetime | None = None
    pending_days: int = 0

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def summarised(self) -> bool:
        """Whether any of its tables comes from the summaries (then "as of" the last refresh applies)."""
        return any(t.summarised for t in self.tables)

    @property
    def live_tables(self) -> list[Table]:
        """The tables computed live for this request (current, whatever the last refresh)."""
        return [t for t in self.tables if not t.summarised]


def credentials_dashboard(actor: User, filters: Filters) -> Dashboard:
    return Dashboard("credentials", "Credentials", [
        credential_outcomes(actor, filters), attempts_to_pass(actor, filters),
        criteria_below_pass(actor, filters), stack_progress(actor, filters),
    ])


def reviewers_dashboard(actor: User, filters: Filters) -> Dashboard:
    load, spread = _load_tables(actor, filters)
    return Dashboard("reviewers", "Reviewers", [
        review_turnaround(actor, filters), spread, load, reviewer_agreement(actor, filters),
        calibration_results(actor, filters),
    ])


def impact_dashboard(actor: User, filters: Filters) -> Dashboard:
    return Dashboard("impact", "Impact", [impact_by_credential(actor, filters), impact_by_measure(actor, filters)])


def equity_dashboard(actor: User, filters: Filters) -> Dashboard:
    schools = school_participation(actor, filters)
    coverage = competency_coverage(actor, filters, [row["school_id"] for row in schools.rows])
    names = {row["school_id"]: row for row in schools.rows}
    for row in coverage.rows:
        row["school"] = names[row["school_id"]]["school"]
        row["teachers"] = names[row["school_id"]]["teachers"]
    return Dashboard("equity", "Equity and coverage", [schools, coverage])


DASHBOARDS: dict[str, Callable[[User, Filters], Dashboard]] = {
    "credentials": credentials_dashboard,
    "reviewers": reviewers_dashboard,
    "impact": impact_dashboard,
    "equity": equity_dashboard,
}


def build_dashboard(actor: User, name: str, filters: Filters) -> Dashboard:
    """The named dashboard with all its tables; raises NotFound for an unknown name."""
    from app.errors import NotFound

    require_analytics(actor)
    if name not in DASHBOARDS:
        raise NotFound("No such dashboard.")
    status = summary_status()
    token = _dashboard_status.set(status)
    try:
        board = DASHBOARDS[name](actor, filters)
    finally:
        _dashboard_status.reset(token)
    return replace(board, refreshed_at=status.refreshed_at, pending_days=status.pending_days)


def refresh_analytics(actor: User, *, full: bool = False) -> RefreshResult:
    """Refresh the dashboards' summaries now (admins and program leads): the days changed since the
    last refresh, or every day with ``full``. Waits for a refresh already running. Flushes."""
    require_analytics(actor)
    return refresh_summaries(full=full, wait=True)


_TABLES: dict[str, dict[str, Callable[[User, Filters], Table]]] = {
    "credentials": {"outcomes": credential_outcomes, "attempts": attempts_to_pass, "criteria": criteria_below_pass,
                    "stacks": stack_progress},
    "reviewers": {"turnaround": review_turnaround, "spread": load_distribution, "load": reviewer_load,
                  "agreement": reviewer_agreement, "calibration": calibration_results},
    "impact": {"impact": impact_by_credential, "measures": impact_by_measure},
    "equity": {"schools": school_participation,
               "coverage": lambda actor, filters: equity_dashboard(actor, filters).table("coverage")},
}


def build_table(actor: User, name: str, key: str, filters: Filters) -> Table:
    """One table of a dashboard (for CSV and the API); raises NotFound for unknown names."""
    from app.errors import NotFound

    require_analytics(actor)
    if key not in _TABLES.get(name, {}):
        raise NotFound("No such table.")
    return _TABLES[name][key](actor, filters)


@dataclass(frozen=True)
class FilterOptions:
    schools: list[tuple[int, str]]
    frameworks: list[tuple[int, str]]
    credentials: list[tuple[int, str]]


def filter_options(actor: User) -> FilterOptions:
    """What the filter form offers: the organization's schools, frameworks and credentials. Three queries."""
    require_analytics(actor)
    org = actor.organization_id or -1
    schools = db.session.execute(select(School.id, School.name).where(School.organization_id == org).order_by(School.name)).all()
    frameworks = db.session.execute(
        select(Framework.id, Framework.name).where(Framework.organization_id == org).order_by(Framework.name)).all()
    credentials = db.session.execute(
        select(Credential.id, Credential.name, Credential.version, Credential.kind)
        .where(Credential.issuer_id == org).order_by(Credential.kind, Credential.name, Credential.version)).all()
    return FilterOptions(
        schools=[(r.id, r.name) for r in schools],
        frameworks=[(r.id, r.name) for r in frameworks],
        credentials=[(r.id, (r.name if r.version == 1 else f"{r.name} (v{r.version})")
                      + (" (stack)" if r.kind is CredentialKind.STACK else "")) for r in credentials],
    )


__all__ = [
    "DASHBOARDS", "Column", "Dashboard", "FilterOptions", "Filters", "Table", "attempts_to_pass",
    "build_dashboard", "build_table", "calibration_results", "competency_coverage", "credential_outcomes", "criteria_below_pass",
    "filter_options", "impact_by_credential", "refresh_analytics", "impact_by_measure", "load_distribution", "review_turnaround",
    "reviewer_agreement", "reviewer_load", "school_participation", "stack_progress",
]
