"""What publishing made of an award: signed documents and baked images, kept so they never change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.credentials.models.award import Award
from app.credentials.models.keys import SigningKey
from app.db import Base, UTCDateTime, utcnow


class AwardDocument(Base):
    """One published form of an award: a signature (``body``: a JWS or VC-JWT, or a
    JSON credential with its proof) or a baked image (``storage_key``).

    Made once, when the award is issued; kept as issued so a signature made with a
    key that is later retired stays the one handed out (the key stays published).
    """

    __tablename__ = "award_document"
    __table_args__ = (UniqueConstraint("award_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="CASCADE"), index=True)
    # ob2_jws, ob3_jwt, ob3_json, ob2_hosted_png, ob2_signed_png, ob2_hosted_svg, ob2_signed_svg, ob3_png, ob3_svg
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str | None] = mapped_column(Text)
    storage_key: Mapped[str | None] = mapped_column(String(500))
    signing_key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_key.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    award: Mapped[Award] = relationship()
    signing_key: Mapped[SigningKey | None] = relationship()
