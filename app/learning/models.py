"""Self-paced modules, enrollments and progress."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.credentials.models import Credential
from app.db import Base, TimestampMixin, UTCDateTime, str_enum, utcnow


class SectionKind(str, enum.Enum):
    KEY_METHOD = "key_method"
    RESEARCH = "research"
    RESOURCES = "resources"
    PRACTICE = "practice"
    OTHER = "other"


class EnrollmentStatus(str, enum.Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    LEFT = "left"


class Module(TimestampMixin, Base):
    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    estimated_hours: Mapped[int | None] = mapped_column(Integer)

    organization: Mapped[Organization] = relationship()
    sections: Mapped[list[ModuleSection]] = relationship(
        back_populates="module", order_by="ModuleSection.position", cascade="all, delete-orphan"
    )


class ModuleSection(Base):
    """A section of sanitized Markdown; resources are links inside it."""

    __tablename__ = "module_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[SectionKind] = mapped_column(str_enum(SectionKind, "section_kind"), default=SectionKind.OTHER)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")

    module: Mapped[Module] = relationship(back_populates="sections")


class Enrollment(TimestampMixin, Base):
    """A teacher working toward one credential version, with an optional goal date."""

    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("user_id", "credential_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(
        str_enum(EnrollmentStatus, "enrollment_status"), default=EnrollmentStatus.ACTIVE
    )
    goal_date: Mapped[date | None] = mapped_column(Date)
    last_section_id: Mapped[int | None] = mapped_column(ForeignKey("module_section.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    credential: Mapped[Credential] = relationship()
    progress: Mapped[list[SectionProgress]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )


class SectionProgress(Base):
    __tablename__ = "section_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("module_section.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")
