"""Awards: Open Badges Assertions issued to a recipient."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.credentials.models.credential import Credential

stack_award_component = Table(
    "stack_award_component",
    Base.metadata,
    Column("stack_award_id", ForeignKey("award.id", ondelete="CASCADE"), primary_key=True),
    Column("component_award_id", ForeignKey("award.id"), primary_key=True),
)


class Award(Base):
    """One issued credential. The recipient identity is the salted sha256 of the
    e-mail at issue; ``submission_id`` is unique, so a passed attempt issues once."""

    __tablename__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # Micro awards come from one passed submission; stack awards have none.
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), unique=True)
    recipient_email: Mapped[str] = mapped_column(String(320))
    salt: Mapped[str] = mapped_column(String(64))
    identity_hash: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    narrative: Mapped[str] = mapped_column(Text, default="")
    evidence_public: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Set on a stack award when a component is revoked: a designer decides, no silent cascade.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flag_reason: Mapped[str | None] = mapped_column(Text)

    credential: Mapped[Credential] = relationship()
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    components: Mapped[list[Award]] = relationship(
        secondary=stack_award_component,
        primaryjoin=lambda: Award.id == stack_award_component.c.stack_award_id,
        secondaryjoin=lambda: Award.id == stack_award_component.c.component_award_id,
    )

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
