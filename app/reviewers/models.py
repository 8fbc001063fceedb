"""Who may review, calibration attempts, assignments, reviews and decisions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.credentials.models import CalibrationExemplar, Credential, Criterion, Framework, Level
from app.db import Base, TimestampMixin, UTCDateTime, str_enum, utcnow
from app.evidence.models import Submission


class ReviewerRole(str, enum.Enum):
    PEER = "peer"
    COACH = "coach"


class QualificationSource(str, enum.Enum):
    AWARD = "award"  # holds an active award of the credential
    GRANT = "grant"  # granted by a designer or admin


class AssignmentStatus(str, enum.Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"


class Recommendation(str, enum.Enum):
    PASS = "pass"
    NOT_YET = "not_yet"


class Outcome(str, enum.Enum):
    PASSED = "passed"
    NOT_YET = "not_yet"


class DecisionBasis(str, enum.Enum):
    PEERS_AGREE = "peers_agree"
    #: Coach rule ``never``: the peers disagreed and the majority of them decided.
    PEERS_MAJORITY = "peers_majority"
    COACH = "coach"


class Qualification(TimestampMixin, Base):
    """A user may review a credential (or every credential of a framework) as peer or coach."""

    __tablename__ = "qualification"
    __table_args__ = (
        CheckConstraint(
            "(credential_id IS NOT NULL) <> (framework_id IS NOT NULL)", name="one_scope"
        ),
        UniqueConstraint("user_id", "credential_id", "framework_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"), index=True)
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id"), index=True)
    role: Mapped[ReviewerRole] = mapped_column(str_enum(ReviewerRole, "reviewer_role"))
    source: Mapped[QualificationSource] = mapped_column(str_enum(QualificationSource, "qualification_source"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    calibrated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
    credential: Mapped[Credential | None] = relationship()
    framework: Mapped[Framework | None] = relationship()


class CalibrationAttempt(Base):
    """A peer's scoring of an exemplar, compared with the reference levels."""

    __tablename__ = "calibration_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    exemplar_id: Mapped[int] = mapped_column(ForeignKey("calibration_exemplar.id", ondelete="CASCADE"), index=True)
    # {criterion_id: level_id} as the peer scored them.
    scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    exact_share: Mapped[float] = mapped_column(Float)
    max_gap: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    exemplar: Mapped[CalibrationExemplar] = relationship()


class Assignment(TimestampMixin, Base):
    """A reviewer asked to score one submission, by a due date."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[ReviewerRole] = mapped_column(str_enum(ReviewerRole, "assignment_role"))
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum(AssignmentStatus, "assignment_status"), default=AssignmentStatus.PENDING, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the "due soon" reminder went out, so the sweep sends it once.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_reason: Mapped[str | None] = mapped_column(Text)

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[User] = relationship()
    review: Mapped[Review | None] = relationship(back_populates="assignment")

    @property
    def overdue(self) -> bool:
        return self.status is AssignmentStatus.PENDING and self.due_at < utcnow()


class Review(TimestampMixin, Base):
    """A reviewer's scoring: one level per criterion. One review per assignment."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), unique=True)
    feedback: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[Recommendation | None] = mapped_column(str_enum(Recommendation, "recommendation"))
    # None while a draft; set once the reviewer submits.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list[ReviewScore]] = relationship(back_populates="review", cascade="all, delete-orphan")


class ReviewScore(Base):
    __tablename__ = "review_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    level_id: Mapped[int] = mapped_column(ForeignKey("level.id"))
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
    level: Mapped[Level] = relationship()


class Decision(Base):
    """The outcome of one submission, computed once. One decision per submission."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), unique=True)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "outcome"))
    basis: Mapped[DecisionBasis] = mapped_column(str_enum(DecisionBasis, "decision_basis"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # {criterion_id: level_id} that the decision rests on, for feedback and analytics.
    levels: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    submission: Mapped[Submission] = relationship()
    decided_by: Mapped[User | None] = relationship()


class Notification(Base):
    """An in-app notice for one user (its e-mail copy goes through ``app.mail``'s outbox)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
