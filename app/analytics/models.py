"""Pre-aggregated figures: per-day summaries the dashboards read instead of the raw rows.

Each summary table holds additive counts per credential and UTC day (and per
criterion, or per whole number of days a review took), so any window of days
is a sum over its rows and a percentile is read from the counts of each value.
``summaries.py`` builds them with set-based SQL from the same joins as the
live figures in ``services.py``, which stay the reference.

The indexes on ``review`` and ``assignment`` let a refresh find what changed
since the last one and rebuild single days without scanning those tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.credentials.models import Award
from app.db import Base, UTCDateTime, utcnow
from app.evidence.models import Submission
from app.learning.models import Enrollment
from app.reviewers.models import Assignment, Review


class AnalyticsRefresh(Base):
    """One run of the summary refresh: a full rebuild or a set of days."""

    __tablename__ = "analytics_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "full" or "days"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    days: Mapped[int] = mapped_column(Integer, default=0)


class AnalyticsDirtyDay(Base):
    """A day whose summaries must be rebuilt (marked after decisions and awards)."""

    __tablename__ = "analytics_dirty_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CriterionDay(Base):
    """Per credential, criterion and day a review was submitted: scores given, scores below the
    pass level, and pairs of peer scores on the same submission (exact and within one level)."""

    __tablename__ = "analytics_criterion_day"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    scores: Mapped[int] = mapped_column(Integer, default=0)
    below: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    exact: Mapped[int] = mapped_column(Integer, default=0)
    adjacent: Mapped[int] = mapped_column(Integer, default=0)


class AssignmentDay(Base):
    """Per credential and day assignments were made: made (declined apart), declined, and
    closed overdue (completed after the due date, or expired)."""

    __tablename__ = "analytics_assignment_day"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    assignments: Mapped[int] = mapped_column(Integer, default=0)
    declined: Mapped[int] = mapped_column(Integer, default=0)
    closed_overdue: Mapped[int] = mapped_column(Integer, default=0)


class TurnaroundDay(Base):
    """Per credential, day assigned and whole days a completed review took: how many."""

    __tablename__ = "analytics_turnaround_day"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    days_taken: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReviewerDay(Base):
    """Per reviewer, credential and day assignments were made (declined ones apart): assigned,
    completed, still open, closed overdue (completed late or expired) and made as coach.
    Open assignments past due are counted live: they change with the clock."""

    __tablename__ = "analytics_reviewer_day"

    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    closed_overdue: Mapped[int] = mapped_column(Integer, default=0)
    as_coach: Mapped[int] = mapped_column(Integer, default=0)


class ReviewerMonth(Base):
    """``ReviewerDay`` summed per reviewer, issuing organization and calendar month (``month``: its
    first day) over the organization's microcredentials. A window's whole months are read from
    here and only its edge days from ``ReviewerDay``: twelve months at 100,000 teachers sum
    100,000 rows instead of 570,000. Used when no framework or credential narrows the scope."""

    __tablename__ = "analytics_reviewer_month"

    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    closed_overdue: Mapped[int] = mapped_column(Integer, default=0)
    as_coach: Mapped[int] = mapped_column(Integer, default=0)


class ImpactFact(Base):
    """One classroom measure as the impact figures count it (reported on a submitted, not
    withdrawn attempt, not carried from an earlier one), keyed by the day the attempt was
    submitted: its credential, teacher, measure and unit, the signed change and the change
    relative to the starting value. The changes rarely repeat within a day, so the medians are
    found in two steps: the histograms of ``ImpactDay`` and ``ImpactMeasureDay`` give the bucket
    that holds the median, and only the rows of that bucket are read from here, by the
    ``relative_bucket`` and ``change_bucket`` indexes."""

    __tablename__ = "analytics_impact_fact"

    measure_id: Mapped[int] = mapped_column(ForeignKey("impact_measure.id", ondelete="CASCADE"), primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    teacher_id: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    change: Mapped[float] = mapped_column(Float)
    relative: Mapped[float | None] = mapped_column(Float)
    students: Mapped[int] = mapped_column(Integer, default=0)
    relative_bucket: Mapped[int | None] = mapped_column(Integer)  # ``summaries.RELATIVE_BUCKET`` percent wide
    change_bucket: Mapped[int] = mapped_column(Integer, default=0)  # ``summaries.CHANGE_BUCKET`` units wide


class ImpactDay(Base):
    """Per credential, day submitted and bucket of the relative change (``relative_bucket``; None
    for measures that started at 0): the counts of ``impact_by_credential``, additive over days,
    and the histogram its median is found from."""

    __tablename__ = "analytics_impact_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    bucket: Mapped[int | None] = mapped_column(Integer)
    measures: Mapped[int] = mapped_column(Integer, default=0)
    improved: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    worse: Mapped[int] = mapped_column(Integer, default=0)
    students: Mapped[int] = mapped_column(Integer, default=0)


class ImpactTeacherDay(Base):
    """Per credential and day: teachers who reported a counted measure that day, with the day of the
    same teacher's previous report at that credential (``prev1``: she counts once in a window)."""

    __tablename__ = "analytics_impact_teacher_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    prev1: Mapped[date | None] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ImpactMeasureDay(Base):
    """Per credential, measure and unit, day submitted and bucket of the signed change
    (``change_bucket``): the counts of ``impact_by_measure`` and the histogram of its median."""

    __tablename__ = "analytics_impact_measure_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    day: Mapped[date] = mapped_column(Date, index=True)
    bucket: Mapped[int] = mapped_column(Integer)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    higher_better: Mapped[int] = mapped_column(Integer, default=0)
    improved: Mapped[int] = mapped_column(Integer, default=0)


class OutcomeDay(Base):
    """Per credential and day: attempts submitted that day (of them attempt 1 decided, attempt 1
    passed, passed) and enrolments started that day (of them never submitted an attempt). A
    teacher passes a credential at most once and has one attempt 1, so these counts are teachers."""

    __tablename__ = "analytics_outcome_day"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    first_decided: Mapped[int] = mapped_column(Integer, default=0)
    first_passed: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    enrollments: Mapped[int] = mapped_column(Integer, default=0)
    never_submitted: Mapped[int] = mapped_column(Integer, default=0)


class AttemptDay(Base):
    """Attempts per credential and day submitted, with the days of the same teacher's previous
    attempts (``kind`` "submitted": every submitted attempt, ``prev1`` the one before; "decided":
    decided attempts only, ``prev1``..``prev3`` the three decided before, ``passed`` 1 for a pass).
    A teacher counts once in a window for her first attempt in it, the one whose ``prev1`` is
    before the window (or none); a pass needed 1 + (previous decided attempts in the window)."""

    __tablename__ = "analytics_attempt_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    passed: Mapped[int] = mapped_column(Integer, default=0)
    prev1: Mapped[date | None] = mapped_column(Date)
    prev2: Mapped[date | None] = mapped_column(Date)
    prev3: Mapped[date | None] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer, default=0)


class AttemptMark(Base):
    """``AttemptDay`` counted by day from both ends (``journeys.Marks``): per credential, kind,
    passed and day, the attempts submitted that day (``n``) and the attempts whose previous
    (``as_prev1``), second previous (``as_prev2``) or third previous (``as_prev3``) attempt was
    submitted that day. A window's teachers and attempts to pass are sums of these rows."""

    __tablename__ = "analytics_attempt_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    passed: Mapped[int] = mapped_column(Integer, default=0)
    day: Mapped[date] = mapped_column(Date, index=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    as_prev1: Mapped[int] = mapped_column(Integer, default=0)
    as_prev2: Mapped[int] = mapped_column(Integer, default=0)
    as_prev3: Mapped[int] = mapped_column(Integer, default=0)


class AwardDay(Base):
    """Each award not revoked: its credential, day issued, days from the enrolment's start (exact)
    and the histogram bucket of those days (``journeys.AWARD_BUCKET`` days wide): the median is
    found in two steps, the histogram of ``AwardBucketDay`` giving the bucket that holds the middle
    rank, then the ``ix_analytics_award_day_bucket`` index walking part of that bucket."""

    __tablename__ = "analytics_award_day"

    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"), primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    days_to_award: Mapped[float] = mapped_column(Float)
    bucket: Mapped[int] = mapped_column(Integer)


class AwardBucketDay(Base):
    """Per credential, day issued and bucket of the days to award: how many awards (not revoked).
    The awards of a window per credential are a sum; the histogram of their days to award, too."""

    __tablename__ = "analytics_award_bucket_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    bucket: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StackDay(Base):
    """Per stack and day: teachers' component enrolments started ("started") and component awards
    issued ("earned"), each with the day of the same teacher's previous one in that stack
    (``prev1``: she counts once in a window, for her first in it), and stack awards ("awarded")."""

    __tablename__ = "analytics_stack_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    stack_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    prev1: Mapped[date | None] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StackMark(Base):
    """``StackDay`` counted by day from both ends (``journeys.Marks``): per stack, kind and day,
    the events that day (``n``) and the events whose previous one was that day (``as_prev1``)."""

    __tablename__ = "analytics_stack_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    stack_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date, index=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    as_prev1: Mapped[int] = mapped_column(Integer, default=0)


class SchoolDay(Base):
    """Per school of the teacher, issuing organization and day: her microcredential enrolments
    started ("started") and awards issued ("earning"), with the day of her previous one from that
    issuer (``prev1``: she counts once in a window, for her first in it). Active teachers only."""

    __tablename__ = "analytics_school_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    prev1: Mapped[date | None] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer, default=0)


class SchoolStaff(Base):
    """Active teachers per school (accounts with the teacher role), counted again at every refresh:
    the participation figure's denominator, like ``SchoolDay`` as of the last refresh. Counted
    live it joined every teacher account to its roles (120 ms at 100,000 teachers)."""

    __tablename__ = "analytics_school_staff"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    teachers: Mapped[int] = mapped_column(Integer, default=0)


Index("ix_analytics_school_day_issuer_day", SchoolDay.issuer_id, SchoolDay.day)
Index("ix_analytics_stack_day_stack_day", StackDay.stack_id, StackDay.day)
Index("ix_analytics_attempt_day_credential_day", AttemptDay.credential_id, AttemptDay.day)
Index("ix_analytics_attempt_mark_credential_day", AttemptMark.credential_id, AttemptMark.day)
Index("ix_analytics_stack_mark_stack_day", StackMark.stack_id, StackMark.day)
# The rows after a window whose previous days are in it (``journeys.Marks.window_counts``): for a
# window that ended long ago, fewer rows have a previous day in it than a day after it.
Index("ix_analytics_attempt_day_prev1", AttemptDay.prev1)
Index("ix_analytics_attempt_day_prev2", AttemptDay.prev2)
Index("ix_analytics_attempt_day_prev3", AttemptDay.prev3)
Index("ix_analytics_stack_day_prev1", StackDay.prev1)
Index("ix_analytics_award_day_credential_day", AwardDay.credential_id, AwardDay.day)
Index("ix_analytics_award_bucket_day_credential_day", AwardBucketDay.credential_id, AwardBucketDay.day)
Index("ix_analytics_impact_day_credential_day", ImpactDay.credential_id, ImpactDay.day)
Index("ix_analytics_impact_teacher_day_credential_day", ImpactTeacherDay.credential_id, ImpactTeacherDay.day)
Index("ix_analytics_impact_measure_day_credential_day", ImpactMeasureDay.credential_id, ImpactMeasureDay.day)
# The second step of the medians: one bucket's rows of a credential (or of a measure) in a window.
# A bucket's rows in the order of their values, read from the index alone (``sql.median_by_buckets``).
Index("ix_analytics_impact_fact_relative_bucket", ImpactFact.credential_id, ImpactFact.relative_bucket,
      ImpactFact.relative, ImpactFact.day)
Index("ix_analytics_impact_fact_change_bucket", ImpactFact.measure, ImpactFact.unit, ImpactFact.change_bucket,
      ImpactFact.change, ImpactFact.day, ImpactFact.credential_id)
Index("ix_analytics_award_day_bucket", AwardDay.credential_id, AwardDay.bucket, AwardDay.days_to_award, AwardDay.day)


# What a refresh looks rows up by (declared here: the analytics own these access paths).
Index("ix_review_submitted_at", Review.submitted_at)
Index("ix_review_updated_at", Review.updated_at)
Index("ix_assignment_assigned_at", Assignment.assigned_at)
Index("ix_assignment_updated_at", Assignment.updated_at)
Index("ix_submission_updated_at", Submission.updated_at)
Index("ix_enrollment_updated_at", Enrollment.updated_at)
# What a journey rebuild of some days looks rows up by.
Index("ix_submission_submitted_at", Submission.submitted_at)
Index("ix_enrollment_started_at", Enrollment.started_at)
Index("ix_award_issued_at", Award.issued_at)

__all__ = ["AnalyticsDirtyDay", "AnalyticsRefresh", "AssignmentDay", "AttemptDay", "AttemptMark", "AwardBucketDay", "AwardDay", "CriterionDay",
           "ImpactDay", "ImpactFact", "ImpactMeasureDay", "ImpactTeacherDay", "OutcomeDay", "ReviewerDay", "SchoolDay",
           "StackDay", "StackMark", "TurnaroundDay"]
