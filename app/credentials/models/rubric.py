"""Rubrics (criteria x levels), decision policies and calibration exemplars."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin, str_enum

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.credentials.models.credential import Credential, Requirement


class CoachRule(str, enum.Enum):
    ALWAYS = "always"
    ON_DISAGREEMENT = "on_disagreement"
    NEVER = "never"


criterion_requirement = Table(
    "criterion_requirement",
    Base.metadata,
    Column("criterion_id", ForeignKey("criterion.id", ondelete="CASCADE"), primary_key=True),
    Column("requirement_id", ForeignKey("requirement.id", ondelete="CASCADE"), primary_key=True),
)


class Rubric(Base):
    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), unique=True
    )

    credential: Mapped[Credential] = relationship(back_populates="rubric")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="rubric", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    @property
    def level_labels(self) -> list[str]:
        """Column headings: the labels of the criterion with the most levels."""
        widest = max(self.criteria, key=lambda c: len(c.levels), default=None)
        return [level.label for level in widest.levels] if widest else []


class Criterion(Base):
    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")
    levels: Mapped[list[Level]] = relationship(
        back_populates="criterion", order_by="Level.position", cascade="all, delete-orphan"
    )
    requirements: Mapped[list[Requirement]] = relationship(secondary=criterion_requirement)

    @property
    def pass_level(self) -> Level | None:
        return next((level for level in self.levels if level.is_pass), None)


class Level(Base):
    """One performance level of a criterion; exactly one per criterion is the pass level."""

    __tablename__ = "level"
    __table_args__ = (
        UniqueConstraint("criterion_id", "position"),
        # At most one pass level per criterion (publishing checks there is one).
        Index(
            "uq_level_one_pass_per_criterion",
            "criterion_id",
            unique=True,
            sqlite_where=text("is_pass"),
            postgresql_where=text("is_pass"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(80))
    points: Mapped[int] = mapped_column(Integer, default=0)
    descriptor: Mapped[str] = mapped_column(Text, default="")
    is_pass: Mapped[bool] = mapped_column(Boolean, default=False)

    criterion: Mapped[Criterion] = relationship(back_populates="levels")


class DecisionPolicy(Base):
    """How submissions of a credential are reviewed and decided."""

    __tablename__ = "decision_policy"
    __table_args__ = (
        CheckConstraint("peer_reviews BETWEEN 0 AND 3", name="peer_reviews_range"),
        CheckConstraint("review_days >= 1", name="review_days_positive"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint(
            "calibration_exact_share >= 0 AND calibration_exact_share <= 1", name="exact_share_range"
        ),
        CheckConstraint("calibration_max_gap >= 0", name="max_gap_nonnegative"),
        # With no peers the coach must decide.
        CheckConstraint("peer_reviews > 0 OR coach_rule = 'always'", name="someone_decides"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("credential.id", ondelete="CASCADE"), unique=True
    )
    peer_reviews: Mapped[int] = mapped_column(Integer, default=2)
    coach_rule: Mapped[CoachRule] = mapped_column(
        str_enum(CoachRule, "coach_rule"), default=CoachRule.ON_DISAGREEMENT
    )
    review_days: Mapped[int] = mapped_column(Integer, default=7)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    exclude_same_school: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_cross_organization: Mapped[bool] = mapped_column(Boolean, default=False)
    # Calibration tolerance: share of criteria at the exact reference level, and the largest gap.
    calibration_exact_share: Mapped[float] = mapped_column(Float, default=0.75)
    calibration_max_gap: Mapped[int] = mapped_column(Integer, default=1)
    calibration_retry_hours: Mapped[int] = mapped_column(Integer, default=24)
    # A peer whose exact agreement with final decisions falls below this share must recalibrate.
    agreement_threshold: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")

    credential: Mapped[Credential] = relationship(back_populates="policy")


class CalibrationExemplar(TimestampMixin, Base):
    """A sample submission with reference levels that peers score to qualify."""

    __tablename__ = "calibration_exemplar"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    credential: Mapped[Credential] = relationship(back_populates="exemplars")
    created_by: Mapped[User | None] = relationship()
    reference_levels: Mapped[list[ExemplarLevel]] = relationship(
        back_populates="exemplar", cascade="all, delete-orphan"
    )


class ExemplarLevel(Base):
    """The reference level for one criterion of an exemplar, with the reason for it."""

    __tablename__ = "exemplar_level"
    __table_args__ = (UniqueConstraint("exemplar_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exemplar_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_exemplar.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    level_id: Mapped[int] = mapped_column(ForeignKey("level.id", ondelete="CASCADE"))
    rationale: Mapped[str] = mapped_column(Text, default="")

    exemplar: Mapped[CalibrationExemplar] = relationship(back_populates="reference_levels")
    criterion: Mapped[Criterion] = relationship()
    level: Mapped[Level] = relationship()
