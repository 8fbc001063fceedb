"""Outgoing mail. By default messages go to the outbox table and the log;
with ``MAIL_SERVER`` set they would be sent by SMTP (a later issue)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.extensions import db

log = logging.getLogger(__name__)


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def queue_mail(*, to: str, subject: str, body: str, recipient_id: int | None = None) -> OutboxMessage:
    """Write a message to the outbox in the current transaction and log it."""
    message = OutboxMessage(to=to, subject=subject, body=body, recipient_id=recipient_id)
    db.session.add(message)
    log.info("mail queued to %s: %s", to, subject)
    return message
