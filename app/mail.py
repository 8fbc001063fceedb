"""Outgoing mail. Messages are always written to the outbox table (and the log)
in the caller's transaction; with ``MAIL_SERVER`` set, ``deliver_outbox`` sends
the unsent ones over SMTP (``flask reviews sweep`` calls it)."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.extensions import db

log = logging.getLogger(__name__)

#: Messages sent per ``deliver_outbox`` call, so one run stays short.
DELIVERY_BATCH = 200


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


def deliver_outbox() -> int:
    """Send unsent outbox messages over SMTP when ``MAIL_SERVER`` is configured.

    Returns how many were sent (0 without a mail server: the outbox is then the
    record). Each sent message gets ``sent_at``; a failure stops the batch and
    leaves the rest for the next run. Flushes; the caller commits.
    """
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        return 0
    pending = list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(DELIVERY_BATCH)
        )
    )
    if not pending:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(server, config.get("MAIL_PORT", 587), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for message in pending:
                email = EmailMessage()
                email["From"] = config.get("MAIL_FROM", "no-reply@localhost")
                email["To"] = message.to
                email["Subject"] = message.subject
                email.set_content(message.body)
                smtp.send_message(email)
                message.sent_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException):
        log.exception("mail delivery stopped after %d message(s)", sent)
    db.session.flush()
    return sent
