"""Recording awards: the one door through which a credential is issued.

``award_credential`` is what the review workflow calls when a decision passes
an attempt. It records the ``Award`` row (recipient identity hashed with a
fresh salt, expiry from the credential's validity period) in the caller's
transaction and sends ``award_issued`` so that publishing (Open Badges
documents, baked images) and stacking hook in without this module importing
them. Calling it again for the same submission returns the existing award:
the unique ``award.submission_id`` makes a double issue impossible even when
two requests race.
"""

from __future__ import annotations

import calendar
import hashlib
import secrets
from datetime import datetime

from blinker import Namespace
from sqlalchemy import select

from app.accounts.models import User
from app.audit import record_event
from app.credentials.models import Award, Credential
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db

_signals = Namespace()

#: Sent after an award row is flushed. Sender: the ``Award``; keyword ``actor``
#: (the user whose decision issued it, or None for automatic issues such as stacks).
award_issued = _signals.signal("credentials.award-issued")


def identity_hash(email: str, salt: str) -> str:
    """The Open Badges hashed recipient identity: ``sha256$`` + hex of the lower-cased e-mail and salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def record_award(
    *,
    credential: Credential,
    recipient: User,
    actor: User | None,
    submission_id: int | None = None,
    narrative: str = "",
    issued_at: datetime | None = None,
    components: list[Award] | None = None,
) -> Award:
    """Add an award of ``credential`` to ``recipient`` (flushed, not committed) and send ``award_issued``.

    ``components`` are the awards a stack award rests on (its evidence)."""
    issued_at = issued_at or utcnow()
    salt = secrets.token_hex(16)
    award = Award(
        credential=credential,
        recipient=recipient,
        submission_id=submission_id,
        recipient_email=recipient.email,
        salt=salt,
        identity_hash=identity_hash(recipient.email, salt),
        issued_at=issued_at,
        expires_at=add_months(issued_at, credential.validity_months) if credential.validity_months else None,
        narrative=narrative,
        components=list(components or []),
    )
    db.session.add(award)
    db.session.flush()
    record_event(
        actor=actor, action="award.issued", object_type="award", object_id=award.id,
        credential_id=credential.id, recipient_id=recipient.id, submission_id=submission_id,
    )
    award_issued.send(award, actor=actor)
    return award


def award_credential(submission, *, actor: User | None = None, narrative: str = "") -> Award:
    """Issue the credential a passed ``submission`` earned, once.

    ``submission`` must have status ``passed``. Returns the existing award when
    this submission already has one. The caller commits.
    """
    from app.evidence.models import SubmissionStatus  # evidence imports credentials, not the reverse

    if submission.status is not SubmissionStatus.PASSED:
        raise Conflict("Only a passed attempt earns the credential.")
    existing = db.session.scalar(select(Award).where(Award.submission_id == submission.id))
    if existing is not None:
        return existing
    return record_award(
        credential=submission.credential,
        recipient=submission.teacher,
        actor=actor,
        submission_id=submission.id,
        narrative=narrative or f"Evidence submitted on attempt {submission.attempt} met every criterion of the rubric.",
        issued_at=submission.decided_at,
    )


__all__ = ["add_months", "award_credential", "award_issued", "identity_hash", "record_award"]
