"""The teachers' journeys from the summaries: outcomes per credential and attempts to pass.

Three per-day tables (``models.py``: ``OutcomeDay``, ``AttemptDay``, ``AwardDay``) are built here
in set-based SQL and registered in ``summaries.SUMMARIES``; the readers below give the numbers the
live queries in ``services.py`` give, for any window of days:

- additive counts per credential and day (attempts submitted, attempt 1 decided or passed, passes,
  enrolments started and never submitted): a window is a sum;
- teachers with an attempt (or a decided attempt) in the window: each attempt carries the day of
  the same teacher's previous one (``lag`` over her attempts in time order), so a teacher counts
  once, for her first attempt in the window: the one whose previous attempt falls before it.
  Read through ``Marks``: the attempts counted per day from both ends, so a window is a sum of a
  few rows per day (see ``Marks.window_counts``);
- decided attempts before a pass: the days of the three decided attempts before it, so the
  attempts the pass needed in a window are 1 plus those on or after the window's first day
  (a pass is a teacher's last attempt at a credential: nobody resubmits after passing);
- days from the enrolment's start to the award, exact, one row per award (the values hardly
  repeat, so counts of values would not be smaller), with its histogram bucket; per day the
  awards by bucket (``AwardBucketDay``): the median is ``median_by_buckets`` (the histogram finds
  the bucket of the middle rank, an index walk inside it the value), equal to ``percentile_cont``
  without sorting every award of the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ColumnElement, Select, and_, case, cast, func, literal, null, or_, select, union, union_all

from app.analytics.models import AttemptDay, AttemptMark, AwardBucketDay, AwardDay, OutcomeDay, SchoolDay, StackDay, StackMark
from app.analytics.sql import bucket_of, day_of, days_between, median_by_buckets
from app.accounts.models import Role, User, UserRole
from app.credentials.models import Award, Credential, CredentialKind, StackComponent
from app.evidence.models import Submission, SubmissionStatus
from app.db import utcnow
from app.extensions import db
from app.learning.models import Enrollment

if TYPE_CHECKING:
    from app.analytics.services import Scope

DECIDED = (SubmissionStatus.PASSED, SubmissionStatus.NOT_YET)
# Histogram buckets of the days to award. At 100,000 teachers 14 days make about 25,000
# ``AwardBucketDay`` rows a year (against 125,000 awards) and a median's walk of at most a few
# thousand index entries per credential (docs/benchmarks.md).
AWARD_BUCKET = 14.0
Ranges = list[tuple]


def _in_ranges(column, ranges: Ranges | None) -> list[ColumnElement]:
    from app.analytics.summaries import _during

    return _during(column, ranges)


def _on_days(column, ranges: Ranges | None) -> list[ColumnElement]:
    from app.analytics.summaries import _on_days

    return _on_days(column, ranges)


# --- building -------------------------------------------------------------------------------


def outcome_day_rows(ranges: Ranges | None) -> Select:
    """Attempts per credential and day submitted, and enrolments per credential and day started."""
    decided = Submission.status.in_(DECIDED)
    first = Submission.attempt == 1
    passed = Submission.status == SubmissionStatus.PASSED
    attempts = (
        select(
            Submission.credential_id.label("credential_id"), day_of(Submission.submitted_at).label("day"),
            func.count().label("submissions"),
            func.sum(case((and_(first, decided), 1), else_=0)).label("first_decided"),
            func.sum(case((and_(first, passed), 1), else_=0)).label("first_passed"),
            func.sum(case((passed, 1), else_=0)).label("passed"),
            literal(0).label("enrollments"), literal(0).label("never_submitted"),
        )
        .where(Submission.submitted_at.is_not(None), *_in_ranges(Submission.submitted_at, ranges))
        .group_by(Submission.credential_id, day_of(Submission.submitted_at))
    )
    ever_submitted = (
        select(Submission.id)
        .where(Submission.teacher_id == Enrollment.user_id, Submission.credential_id == Enrollment.credential_id,
               Submission.submitted_at.is_not(None))
        .exists()
    )
    enrolments = (
        select(
            Enrollment.credential_id.label("credential_id"), day_of(Enrollment.started_at).label("day"),
            literal(0).label("submissions"), literal(0).label("first_decided"), literal(0).label("first_passed"),
            literal(0).label("passed"), func.count().label("enrollments"),
            func.sum(case((~ever_submitted, 1), else_=0)).label("never_submitted"),
        )
        .where(*_in_ranges(Enrollment.started_at, ranges))
        .group_by(Enrollment.credential_id, day_of(Enrollment.started_at))
    )
    both = union_all(attempts, enrolments).subquery("both")
    return select(
        both.c.credential_id, both.c.day, func.sum(both.c.submissions), func.sum(both.c.first_decided),
        func.sum(both.c.first_passed), func.sum(both.c.passed), func.sum(both.c.enrollments),
        func.sum(both.c.never_submitted),
    ).group_by(both.c.credential_id, both.c.day)


def _attempts_with_previous(kind: str, ranges: Ranges | None) -> Select:
    """Attempts (all submitted, or decided only) with the days of the teacher's previous ones at the
    same credential. The previous days are computed over all her attempts, so a rebuild of some days
    reads every attempt of the teachers who submitted on them."""
    day = day_of(Submission.submitted_at)
    conditions = [Submission.submitted_at.is_not(None)]
    if kind == "decided":
        conditions.append(Submission.status.in_(DECIDED))
    if ranges is not None:
        on_days = select(Submission.teacher_id).where(*conditions, *_in_ranges(Submission.submitted_at, ranges))
        conditions.append(Submission.teacher_id.in_(on_days))
    order = dict(partition_by=[Submission.teacher_id, Submission.credential_id],
                 order_by=[Submission.submitted_at, Submission.id])
    depth = 3 if kind == "decided" else 1
    previous = [func.lag(day, k).over(**order).label(f"prev{k}") for k in range(1, depth + 1)]
    previous += [cast(null(), Date).label(f"prev{k}") for k in range(depth + 1, 4)]
    passed = case((Submission.status == SubmissionStatus.PASSED, 1), else_=0) if kind == "decided" else literal(0)
    attempts = (
        select(Submission.credential_id.label("credential_id"), day.label("day"),
               Submission.submitted_at.label("submitted_at"), passed.label("passed"), *previous)
        .where(*conditions)
        .subquery("attempts")
    )
    a = attempts.c
    return (
        select(a.credential_id, a.day, literal(kind), a.passed, a.prev1, a.prev2, a.prev3, func.count())
        .where(*_in_ranges(a.submitted_at, ranges))
        .group_by(a.credential_id, a.day, a.passed, a.prev1, a.prev2, a.prev3)
    )


def attempt_day_rows(ranges: Ranges | None) -> Select:
    return union_all(_attempts_with_previous("submitted", ranges), _attempts_with_previous("decided", ranges))


def award_day_rows(ranges: Ranges | None) -> Select:
    """Each award not revoked with its credential, day issued, days from the enrolment's start and
    their bucket."""
    days = days_between(Award.issued_at, Enrollment.started_at)
    return (
        select(Award.id, Award.credential_id, day_of(Award.issued_at), days, bucket_of(days, AWARD_BUCKET))
        .join(Enrollment, and_(Enrollment.user_id == Award.recipient_id, Enrollment.credential_id == Award.credential_id))
        .where(Award.revoked_at.is_(None), *_in_ranges(Award.issued_at, ranges))
    )


def award_bucket_day_rows(ranges: Ranges | None) -> Select:
    """From the award rows (rebuilt first): awards per credential, day and bucket."""
    a = AwardDay
    return (select(a.credential_id, a.day, a.bucket, func.count())
            .where(*_on_days(a.day, ranges)).group_by(a.credential_id, a.day, a.bucket))


def _with_previous(kind: str, keys: list, person, moment, row_id, joined: Callable[[Select], Select],
                   conditions: list, ranges: Ranges | None) -> Select:
    """Events (enrolments or awards) per ``keys`` and day, with the day of the same person's previous
    one under the same keys. The previous days are computed over all her events, so a rebuild of some
    days reads every event of the people with one on those days."""
    day = day_of(moment)
    if ranges is not None:
        on_days = joined(select(person)).where(*conditions, *_in_ranges(moment, ranges))
        conditions = [*conditions, person.in_(on_days)]
    previous = func.lag(day, 1).over(partition_by=[person, *keys], order_by=[moment, row_id])
    events = joined(select(*keys, day.label("day"), moment.label("moment"), previous.label("prev1"))).where(
        *conditions).subquery("events")
    e = events.c
    grouped = [e[key.name] for key in keys]
    return (select(*grouped, e.day, literal(kind), e.prev1, func.count())
            .where(*_in_ranges(e.moment, ranges)).group_by(*grouped, e.day, e.prev1))


def stack_day_rows(ranges: Ranges | None) -> Select:
    keys = [StackComponent.stack_id.label("stack_id")]

    def components(credential):
        return lambda query: query.join(StackComponent, StackComponent.component_id == credential)

    started = _with_previous("started", keys, Enrollment.user_id, Enrollment.started_at, Enrollment.id,
                             components(Enrollment.credential_id), [], ranges)
    earned = _with_previous("earned", keys, Award.recipient_id, Award.issued_at, Award.id,
                            components(Award.credential_id), [Award.revoked_at.is_(None)], ranges)
    awarded = (
        select(Award.credential_id, day_of(Award.issued_at), literal("awarded"), cast(null(), Date), func.count())
        .where(Award.credential_id.in_(select(StackComponent.stack_id)), Award.revoked_at.is_(None),
               *_in_ranges(Award.issued_at, ranges))
        .group_by(Award.credential_id, day_of(Award.issued_at))
    )
    return union_all(started, earned, awarded)


def school_day_rows(ranges: Ranges | None) -> Select:
    """Active teachers' microcredential enrolments and awards per school, issuer and day."""
    keys = [User.school_id.label("school_id"), Credential.issuer_id.label("issuer_id")]
    teachers = select(UserRole.user_id).where(UserRole.role == Role.TEACHER)

    def of_teachers(person, credential, conditions):
        def joined(query):
            return (query.join(Credential, Credential.id == credential).join(User, User.id == person))
        return joined, [User.active.is_(True), User.school_id.is_not(None), person.in_(teachers),
                        Credential.kind == CredentialKind.MICRO, *conditions]

    started = _with_previous("started", keys, Enrollment.user_id, Enrollment.started_at, Enrollment.id,
                             *of_teachers(Enrollment.user_id, Enrollment.credential_id, []), ranges)
    earning = _with_previous("earning", keys, Award.recipient_id, Award.issued_at, Award.id,
                             *of_teachers(Award.recipient_id, Award.credential_id, [Award.revoked_at.is_(None)]),
                             ranges)
    return union_all(started, earning)


@dataclass(frozen=True)
class Marks:
    """A day table of events that carry the days of the same person's previous events (``source``:
    ``prev1``..``prev<depth>``, with ``n`` events per row), counted by day from both ends in a
    second table (``table``): per ``keys`` and day, the events that day (``n``) and the events whose
    k-th previous event was that day (``as_prev<k>``).

    Why: in a window [s, e] a person counts once, for her first event in it (previous one before s).
    Read from the source that is a filter on ``prev1`` over every row of the window (hundreds of
    thousands at 100,000 teachers). Since an event comes after its previous ones, the events of the
    window whose k-th previous event is also in it are those with ``prev<k>`` in [s, e] minus those
    of them after e: the marks of the window's days give the first part, and the source rows after
    e (none for a window that ends today) the second. First events = events - (those with the
    previous one in the window)."""

    source: Any
    table: Any
    keys: tuple[str, ...]
    depth: int = 1

    @property
    def columns(self) -> list[str]:
        return [*self.keys, "day", "n", *(f"as_prev{k}" for k in range(1, self.depth + 1))]

    def rows(self, ranges: Ranges | None) -> Select:
        """The marks of the days in ``ranges`` from the source rows (rebuilt first): the rows of
        those days, and the rows whose previous days fall on them (which an incremental refresh
        has rebuilt too: it rebuilds every day of a person whose events changed)."""
        src, depth = self.source, range(1, self.depth + 1)
        keys = [getattr(src, key).label(key) for key in self.keys]

        def counted(day, column: str) -> Select:  # ``src.n`` in ``column``, 0 in the others
            counts = [(src.n if name == column else literal(0)).label(name)
                      for name in ("n", *(f"as_prev{k}" for k in depth))]
            return select(*keys, day.label("day"), *counts).where(day.is_not(None), *_on_days(day, ranges))

        both = union_all(counted(src.day, "n"), *(counted(getattr(src, f"prev{k}"), f"as_prev{k}") for k in depth))
        marks = both.subquery("marks")
        group = [marks.c[key] for key in self.keys] + [marks.c.day]
        return (select(*group, func.sum(marks.c.n), *(func.sum(marks.c[f"as_prev{k}"]) for k in depth))
                .group_by(*group))

    def window_counts(self, scope: Scope, conditions: Callable[[Any], list], group: list[str]) -> Select:
        """Per ``group`` (key names): ``events`` in the window and ``prev<k>``, the events of the
        window whose k-th previous event is in the window too; first events = events - prev1.
        ``conditions(model)`` narrows the keys, on the marks and the source alike. One statement."""
        start, end = scope.filters.start, scope.filters.end
        depth = range(1, self.depth + 1)
        marks, src = self.table, self.source
        prevs = [getattr(src, f"prev{k}") for k in depth]
        parts = [select(*(getattr(marks, key).label(key) for key in group), marks.n.label("events"),
                        *(getattr(marks, f"as_prev{k}").label(f"prev{k}") for k in depth))
                 .where(*conditions(marks), *scope.on_days(marks.day))]
        if end is not None:  # the events after the window whose previous ones are in it
            def in_window(prev):
                return and_(prev <= end, prev >= start) if start is not None else prev <= end

            parts.append(select(*(getattr(src, key).label(key) for key in group), literal(0).label("events"),
                                *((-case((in_window(prev), src.n), else_=0)).label(f"prev{k}")
                                  for k, prev in enumerate(prevs, start=1)))
                         .where(*conditions(src), src.day > end, or_(*(in_window(prev) for prev in prevs))))
        both = union_all(*parts).subquery("window")
        keys = [both.c[key] for key in group]
        return (select(*keys, func.sum(both.c.events).label("events"),
                       *(func.sum(both.c[f"prev{k}"]).label(f"prev{k}") for k in depth))
                .group_by(*keys))


ATTEMPT_MARKS = Marks(AttemptDay, AttemptMark, ("credential_id", "kind", "passed"), depth=3)
STACK_MARKS = Marks(StackDay, StackMark, ("stack_id", "kind"))

JOURNEY_SUMMARIES = (
    (OutcomeDay, ["credential_id", "day", "submissions", "first_decided", "first_passed", "passed", "enrollments",
                  "never_submitted"], outcome_day_rows),
    (AttemptDay, ["credential_id", "day", "kind", "passed", "prev1", "prev2", "prev3", "n"], attempt_day_rows),
    (AttemptMark, ATTEMPT_MARKS.columns, ATTEMPT_MARKS.rows),  # from the attempt rows: after them
    (AwardDay, ["award_id", "credential_id", "day", "days_to_award", "bucket"], award_day_rows),
    # Read from the award rows: after them.
    (AwardBucketDay, ["credential_id", "day", "bucket", "n"], award_bucket_day_rows),
    (StackDay, ["stack_id", "day", "kind", "prev1", "n"], stack_day_rows),
    (StackMark, STACK_MARKS.columns, STACK_MARKS.rows),
    (SchoolDay, ["school_id", "issuer_id", "day", "kind", "prev1", "n"], school_day_rows),
)


def journey_days_of_submissions(submissions: Select) -> list[Select]:
    """The days whose journey rows hold something of these submissions' teachers: the days each of
    her attempts at the credential was submitted (a later attempt's row holds the earlier ones' days),
    the day her enrolment started and the days her awards were issued."""
    teachers = select(Submission.teacher_id).where(Submission.id.in_(submissions))
    return [
        select(day_of(Submission.submitted_at).label("day"))
        .where(Submission.teacher_id.in_(teachers), Submission.submitted_at.is_not(None)),
        select(day_of(Enrollment.started_at).label("day")).where(Enrollment.user_id.in_(teachers)),
        select(day_of(Award.issued_at).label("day")).where(Award.recipient_id.in_(teachers)),
    ]


def journey_changed_days(since) -> list[Select]:
    """The days of enrolments and awards of teachers whose enrolments or accounts (school, active)
    were written, or who were awarded or had an award revoked, since ``since``."""
    teachers = union(
        select(Enrollment.user_id).where(Enrollment.updated_at >= since, Enrollment.updated_at <= utcnow()),
        select(Award.recipient_id).where(or_(Award.issued_at >= since, Award.revoked_at >= since)),
        select(User.id).where(User.updated_at >= since),
    ).subquery("changed_teachers")
    return [
        select(day_of(Enrollment.started_at).label("day")).where(Enrollment.user_id.in_(select(teachers.c[0]))),
        select(day_of(Award.issued_at).label("day")).where(Award.recipient_id.in_(select(teachers.c[0]))),
    ]


# --- reading --------------------------------------------------------------------------------


def outcome_counts(scope: Scope) -> dict[int, dict[str, int]]:
    """Per credential: the counts ``credential_outcomes`` shows, for the scope's window. Two queries."""
    counts: dict[int, dict[str, int]] = {}
    for row in db.session.execute(
        select(OutcomeDay.credential_id, func.sum(OutcomeDay.submissions).label("submissions"),
               func.sum(OutcomeDay.first_decided).label("first_decided"),
               func.sum(OutcomeDay.first_passed).label("first_passed"), func.sum(OutcomeDay.passed).label("passed"),
               func.sum(OutcomeDay.enrollments).label("enrollments"),
               func.sum(OutcomeDay.never_submitted).label("never_submitted"))
        .where(OutcomeDay.credential_id.in_(scope.credentials()), *scope.on_days(OutcomeDay.day))
        .group_by(OutcomeDay.credential_id)
    ):
        counts[row.credential_id] = {**row._mapping, "teachers": 0, "decided": 0}
    names = {"submitted": "teachers", "decided": "decided"}
    for row in db.session.execute(ATTEMPT_MARKS.window_counts(
            scope, lambda m: [m.credential_id.in_(scope.credentials())], ["credential_id", "kind"])):
        counts.setdefault(row.credential_id, {"teachers": 0, "decided": 0})
        counts[row.credential_id][names[row.kind]] += row.events - row.prev1
    return counts


def days_to_award(scope: Scope) -> dict[int, tuple[int, float]]:
    """Per credential with awards in the window: (awards, median days from start to award). Two
    queries: the histogram, then one walk inside the median's bucket per credential."""
    h, a = AwardBucketDay, AwardDay
    histogram = select(h.credential_id, h.bucket, h.n).where(h.credential_id.in_(scope.credentials()),
                                                             *scope.on_days(h.day))
    values = (select(a.credential_id, a.bucket, a.days_to_award.label("value"))
              .where(a.credential_id.in_(scope.credentials()), *scope.on_days(a.day)))
    medians = median_by_buckets(histogram, values, ["credential_id"], with_counts=True)
    return {key[0]: counted for key, counted in medians.items()}


def first_in_window(prev1, scope: Scope) -> ColumnElement:
    """The event is the person's first in the window: no previous one, or one before the window."""
    if scope.filters.start is None:
        return prev1.is_(None)
    return or_(prev1.is_(None), prev1 < scope.filters.start)


def stack_counts(scope: Scope) -> dict[str, dict[int, int]]:
    """Per stack, for the window: teachers who started a component ("started"), who earned one
    ("earned"), and stack awards ("awarded"). One query."""
    counts: dict[str, dict[int, int]] = {"started": {}, "earned": {}, "awarded": {}}
    for row in db.session.execute(STACK_MARKS.window_counts(
            scope, lambda m: [m.stack_id.in_(scope.credentials())], ["stack_id", "kind"])):
        counts[row.kind][row.stack_id] = row.events - row.prev1
    return counts


def school_counts(scope: Scope, schools: Select) -> Select:
    """Per school (of ``schools``): active teachers who started a microcredential of the reader's
    organization in the window (``started``) and who earned one (``earning``)."""
    return (
        select(SchoolDay.school_id.label("school_id"),
               func.sum(case((SchoolDay.kind == "started", SchoolDay.n), else_=0)).label("started"),
               func.sum(case((SchoolDay.kind == "earning", SchoolDay.n), else_=0)).label("earning"))
        .where(SchoolDay.issuer_id == scope.organization_id, SchoolDay.school_id.in_(schools),
               *scope.on_days(SchoolDay.day), first_in_window(SchoolDay.prev1, scope))
        .group_by(SchoolDay.school_id)
    )


def attempts_to_pass_counts(scope: Scope) -> dict[int, int]:
    """Teachers who passed in the window by decided attempts in it (1, 2, 3, 4 = four or more). One query."""
    row = db.session.execute(ATTEMPT_MARKS.window_counts(
        scope, lambda m: [m.kind == "decided", m.passed == 1, m.credential_id.in_(scope.credentials())], [])).one()
    # Passes whose pass needed at least k + 1 decided attempts in the window: prev<k> (prev0: all).
    at_least = [row.events or 0, row.prev1 or 0, row.prev2 or 0, row.prev3 or 0]
    return {k: at_least[k - 1] - (at_least[k] if k < 4 else 0) for k in (1, 2, 3, 4)}


__all__ = ["JOURNEY_SUMMARIES", "attempts_to_pass_counts", "days_to_award", "journey_changed_days",
           "first_in_window", "journey_days_of_submissions", "school_counts", "stack_counts",
           "outcome_counts"]
