"""Submissions (attempts at a micro credential) and their artifacts."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.credentials.models import Credential, Requirement, RequirementKind
from app.db import Base, TimestampMixin, UTCDateTime, str_enum


class SubmissionStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    PASSED = "passed"
    NOT_YET = "not_yet"
    WITHDRAWN = "withdrawn"


ACTIVE_STATUSES = (SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW)
_ACTIVE_SQL = "status IN ('draft', 'submitted', 'in_review')"


class Submission(TimestampMixin, Base):
    """One attempt. ``draft -> submitted -> in_review -> passed | not_yet``, or
    ``withdrawn``; immutable once submitted. A teacher has at most one active
    attempt per credential (partial unique index)."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("teacher_id", "credential_id", "attempt"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        Index(
            "uq_submission_one_active_attempt",
            "teacher_id",
            "credential_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[SubmissionStatus] = mapped_column(
        str_enum(SubmissionStatus, "submission_status"), default=SubmissionStatus.DRAFT, index=True
    )
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    # On a resubmission: what the teacher changed since the last attempt.
    change_note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    credential: Mapped[Credential] = relationship()
    teacher: Mapped[User] = relationship()
    previous: Mapped[Submission | None] = relationship(remote_side=[id])
    artifacts: Mapped[list[Artifact]] = relationship(
        back_populates="submission", order_by="Artifact.position", cascade="all, delete-orphan"
    )


class Artifact(TimestampMixin, Base):
    """One piece of evidence for one requirement: text, a file, a link or a data table.

    A file artifact records where the bytes live (backend, key), what they are
    (sniffed type, size, sha256) and its thumbnail. Carrying an artifact into a
    new attempt copies the row and keeps the same storage key.
    """

    __tablename__ = "artifact"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    kind: Mapped[RequirementKind] = mapped_column(str_enum(RequirementKind, "artifact_kind"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text_md: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    storage_backend: Mapped[str | None] = mapped_column(String(20))
    storage_key: Mapped[str | None] = mapped_column(String(500))
    original_name: Mapped[str | None] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    thumbnail_key: Mapped[str | None] = mapped_column(String(500))
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("artifact.id", ondelete="SET NULL"))

    submission: Mapped[Submission] = relationship(back_populates="artifacts")
    requirement: Mapped[Requirement] = relationship()

    @property
    def neutral_name(self) -> str:
        """A file name that says nothing about the teacher (``evidence-<id>.<ext>``): what reviewers
        see, since a name like "Ada Lopez lesson.pdf" would end a blind review."""
        ext = ""
        if self.original_name and "." in self.original_name:
            candidate = self.original_name.rsplit(".", 1)[1].lower()
            if candidate.isalnum() and len(candidate) <= 10:
                ext = "." + candidate
        return f"evidence-{self.id}{ext}"
    measures: Mapped[list[ImpactMeasure]] = relationship(
        back_populates="artifact", order_by="ImpactMeasure.position", cascade="all, delete-orphan"
    )


class ImpactMeasure(Base):
    """One row of a classroom-impact data table: a measure before and after."""

    __tablename__ = "impact_measure"
    __table_args__ = (
        CheckConstraint("students IS NULL OR students >= 0", name="students_nonnegative"),
        CheckConstraint(
            "period_start IS NULL OR period_end IS NULL OR period_start <= period_end", name="period_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    measure: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60), default="")
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    # Whether a higher value is better (e.g. scores) or worse (e.g. absences).
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    students: Mapped[int | None] = mapped_column(Integer)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)

    artifact: Mapped[Artifact] = relationship(back_populates="measures")
