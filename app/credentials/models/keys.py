"""Issuer signing keys; private halves are stored encrypted."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization
from app.db import Base, UTCDateTime, str_enum, utcnow


class KeyAlgorithm(str, enum.Enum):
    RSA = "rsa"  # OB 2.0 JWS (RS256), OB 3.0 VC-JWT
    ED25519 = "ed25519"  # OB 3.0 eddsa-rdfc-2022


class SigningKey(Base):
    """A key pair of an issuer. Retired keys stay published so old badges verify."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    algorithm: Mapped[KeyAlgorithm] = mapped_column(str_enum(KeyAlgorithm, "key_algorithm"))
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_pem: Mapped[str] = mapped_column(Text)
    private_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship()
