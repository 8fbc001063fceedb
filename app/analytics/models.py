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

from app.db import Base, UTCDateTime, utcnow
from app.evidence.models import Submission
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


class ImpactFact(Base):
    """One classroom measure as the impact figures count it (reported on a submitted, not
    withdrawn attempt, not carried from an earlier one), keyed by the day the attempt was
    submitted: its credential, teacher, measure and unit, the signed change and the change
    relative to the starting value. The changes rarely repeat within a day, so a histogram
    would be no smaller: the medians are taken over these rows, exactly."""

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


# What a refresh looks rows up by (declared here: the analytics own these access paths).
Index("ix_review_submitted_at", Review.submitted_at)
Index("ix_review_updated_at", Review.updated_at)
Index("ix_assignment_assigned_at", Assignment.assigned_at)
Index("ix_assignment_updated_at", Assignment.updated_at)
Index("ix_submission_updated_at", Submission.updated_at)

__all__ = ["AnalyticsDirtyDay", "AnalyticsRefresh", "AssignmentDay", "CriterionDay", "ImpactFact", "ReviewerDay",
           "TurnaroundDay"]
