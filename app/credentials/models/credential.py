"""Credentials (Open Badges BadgeClasses): micro with requirements, or stacks of others."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.credentials.models.framework import Competency
from app.db import Base, TimestampMixin, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from app.credentials.models.rubric import CalibrationExemplar, DecisionPolicy, Rubric
    from app.learning.models import Module


class CredentialKind(str, enum.Enum):
    MICRO = "micro"
    STACK = "stack"


class StackRule(str, enum.Enum):
    ALL = "all"
    N_OF = "n_of"


class RequirementKind(str, enum.Enum):
    TEXT = "text"
    FILE = "file"
    LINK = "link"
    DATA = "data"


credential_competency = Table(
    "credential_competency",
    Base.metadata,
    Column("credential_id", ForeignKey("credential.id", ondelete="CASCADE"), primary_key=True),
    Column("competency_id", ForeignKey("competency.id", ondelete="CASCADE"), primary_key=True),
)


class Credential(TimestampMixin, Base):
    """One version of a credential. ``slug`` + ``version`` identify it; the newest
    published version is what the catalog shows."""

    __tablename__ = "credential"
    __table_args__ = (
        UniqueConstraint("slug", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("validity_months IS NULL OR validity_months > 0", name="validity_positive"),
        CheckConstraint("stack_required_count IS NULL OR stack_required_count > 0", name="stack_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[CredentialKind] = mapped_column(str_enum(CredentialKind, "credential_kind"))
    slug: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    criteria_md: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    image_key: Mapped[str | None] = mapped_column(String(500))
    # The SVG form of the badge image when a designer uploaded one (image_key holds the PNG).
    image_svg_key: Mapped[str | None] = mapped_column(String(500))
    estimated_hours: Mapped[int | None] = mapped_column(Integer)
    validity_months: Mapped[int | None] = mapped_column(Integer)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id"), index=True)
    stack_rule: Mapped[StackRule | None] = mapped_column(str_enum(StackRule, "stack_rule"))
    stack_required_count: Mapped[int | None] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Sharing: offered to other organizations (they may adopt it as is, or copy it).
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A copy adapted from another organization's credential credits its source.
    source_credential_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"), index=True)
    source_credit: Mapped[str] = mapped_column(String(500), default="")

    issuer: Mapped[Organization] = relationship()
    source_credential: Mapped[Credential | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship()
    competencies: Mapped[list[Competency]] = relationship(
        secondary=credential_competency, order_by=Competency.position
    )
    module: Mapped[Module | None] = relationship()
    requirements: Mapped[list[Requirement]] = relationship(
        back_populates="credential", order_by="Requirement.position", cascade="all, delete-orphan"
    )
    rubric: Mapped[Rubric | None] = relationship(back_populates="credential", cascade="all, delete-orphan")
    policy: Mapped[DecisionPolicy | None] = relationship(
        back_populates="credential", cascade="all, delete-orphan"
    )
    exemplars: Mapped[list[CalibrationExemplar]] = relationship(
        back_populates="credential", cascade="all, delete-orphan"
    )
    stack_components: Mapped[list[StackComponent]] = relationship(
        foreign_keys="StackComponent.stack_id",
        back_populates="stack",
        order_by="StackComponent.position",
        cascade="all, delete-orphan",
    )

    @property
    def is_stack(self) -> bool:
        return self.kind is CredentialKind.STACK

    def __repr__(self) -> str:
        return f"<Credential {self.slug} v{self.version}>"


class CredentialAdoption(Base):
    """An organization offering another organization's credential as is (the issuer stays the author).

    Points at the version adopted; the newest published version of its slug is what is offered."""

    __tablename__ = "credential_adoption"
    __table_args__ = (UniqueConstraint("organization_id", "credential_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), index=True)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()
    credential: Mapped[Credential] = relationship()
    adopted_by: Mapped[User | None] = relationship()


class Requirement(Base):
    """One ordered part of the evidence a micro credential asks for."""

    __tablename__ = "requirement"
    __table_args__ = (CheckConstraint("max_files >= 1", name="max_files_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[RequirementKind] = mapped_column(str_enum(RequirementKind, "requirement_kind"))
    title: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # File kinds accepted, as short names from the upload allow list ("image", "pdf", ...).
    accepted_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_files: Mapped[int] = mapped_column(Integer, default=1)

    credential: Mapped[Credential] = relationship(back_populates="requirements")


class StackComponent(Base):
    """A component credential counted toward a stack."""

    __tablename__ = "stack_component"
    __table_args__ = (
        UniqueConstraint("stack_id", "component_id"),
        CheckConstraint("stack_id <> component_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stack_id: Mapped[int] = mapped_column(ForeignKey("credential.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    stack: Mapped[Credential] = relationship(foreign_keys=[stack_id], back_populates="stack_components")
    component: Mapped[Credential] = relationship(foreign_keys=[component_id])
