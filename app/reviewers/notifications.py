"""Notices for reviewers and teachers: an in-app list plus a copy in the mail outbox.

``notify`` writes both in the caller's transaction; ``app.mail.deliver_outbox``
sends the e-mail copies over SMTP when a mail server is configured.
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.db import utcnow
from app.extensions import db
from app.mail import queue_mail
from app.reviewers.models import Notification

#: Notices shown on the notifications page.
NOTIFICATION_LIMIT = 100

ASSIGNED = "assigned"
DUE_SOON = "due_soon"
EXPIRED = "expired"
DECIDED = "decided"
AWARDED = "awarded"
COACHING = "coaching"
RECALIBRATE = "recalibrate"


def path_for(endpoint: str, **values: object) -> str:
    """A site path for ``endpoint``, also outside a request (the CLI sweep)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def notify(user: User, *, kind: str, subject: str, body: str, url: str = "") -> Notification:
    """Add an in-app notice for ``user`` and queue its e-mail copy (same transaction)."""
    notice = Notification(user_id=user.id, kind=kind, subject=subject, body=body, url=url)
    db.session.add(notice)
    link = f"\n\n{current_app.config.get('BASE_URL', '')}{url}" if url else ""
    queue_mail(to=user.email, subject=subject, body=f"{body}{link}", recipient_id=user.id)
    return notice


def notifications_for(user: User) -> list[Notification]:
    """Her notices, newest first (at most ``NOTIFICATION_LIMIT``)."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(NOTIFICATION_LIMIT)
        )
    )


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def mark_notifications_read(*, user: User) -> int:
    """Mark all of her unread notices read; returns how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
