"""Award services: revocation, evidence consent, flags on stack awards, reconcile, listings.

Every function takes the acting user, checks the policy, flushes and leaves the
commit to the caller. Policies for awards live here too (one place):
admins revoke awards of their own organization's credentials; designers and
admins of the issuing organization resolve flags; the recipient alone sets
evidence consent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.audit import record_event
from app.credentials.models import Award, Credential
from app.credentials.openbadges.stacks import flag_dependent_stacks
from app.credentials.policies import can_author
from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.extensions import db

MAX_REASON = 1000


# --- policies ------------------------------------------------------------------------------------


def _active(user) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.active


def can_revoke(user, award: Award) -> bool:
    return _active(user) and user.has_role(Role.ADMIN) and user.organization_id == award.credential.issuer_id


def can_manage_awards(user) -> bool:
    return _active(user) and user.has_role(Role.ADMIN)


def get_award_or_404(award_id: int) -> Award:
    award = db.session.get(Award, award_id)
    if award is None:
        raise NotFound("No award has that id.")
    return award


def get_award_by_uuid_or_404(uuid: str) -> Award:
    award = db.session.scalar(select(Award).where(Award.uuid == uuid))
    if award is None:
        raise NotFound("No badge has that address.")
    return award


# --- revocation ----------------------------------------------------------------------------------


def revoke_award(*, admin: User, award: Award, reason: str) -> Award:
    """Revoke ``award`` with ``reason`` (flushed): the hosted assertion answers 410, the
    revocation and status lists list it, stack awards that rest on it are flagged.

    Raises PermissionDenied (not an admin of the issuer), ValidationError("reason"),
    Conflict (already revoked).
    """
    if not can_revoke(admin, award):
        raise PermissionDenied("Only an admin of the issuing organization can revoke this badge.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason", "Say why the badge is revoked; the reason is published with it.")
    if len(reason) > MAX_REASON:
        raise ValidationError("reason", f"Keep the reason under {MAX_REASON} characters.")
    if award.revoked:
        raise Conflict("This badge is already revoked.")
    award.revoked_at = utcnow()
    award.revocation_reason = reason
    award.revoked_by = admin
    db.session.flush()
    flagged = flag_dependent_stacks(award, actor=admin, reason=reason)
    record_event(actor=admin, action="award.revoked", object_type="award", object_id=award.id,
                 reason=reason, flagged_stack_awards=[a.id for a in flagged])
    return award


def resolve_flag(*, designer: User, award: Award, note: str = "") -> Award:
    """Keep a flagged stack award (clears the flag, flushed). Revoking it is an admin's ``revoke_award``."""
    if not can_author(designer, award.credential.issuer_id):
        raise PermissionDenied("Only designers and admins of the issuing organization decide on flags.")
    if award.flagged_at is None:
        raise Conflict("This award is not flagged.")
    record_event(actor=designer, action="award.flag_resolved", object_type="award", object_id=award.id,
                 kept=True, note=note.strip()[:MAX_REASON], flag_reason=award.flag_reason)
    award.flagged_at = None
    award.flag_reason = None
    db.session.flush()
    return award


def set_evidence_consent(award: Award, teacher: User, public: bool) -> Award:
    """The recipient's switch for the public evidence page of ``award`` (flushed)."""
    if not _active(teacher) or award.recipient_id != teacher.id:
        raise PermissionDenied("Only the badge's earner can share its evidence.")
    if award.evidence_public != public:
        award.evidence_public = public
        record_event(actor=teacher, action="award.evidence_consent", object_type="award", object_id=award.id,
                     public=public)
        db.session.flush()
    return award


# --- listings ------------------------------------------------------------------------------------


def my_awards(user: User) -> list[Award]:
    """``user``'s awards, newest first, with what their URLs need (two queries)."""
    return list(db.session.scalars(
        select(Award).where(Award.recipient_id == user.id)
        .options(selectinload(Award.credential))
        .order_by(Award.issued_at.desc(), Award.id.desc())
    ))


def awards_query(admin: User, *, search: str = "", status: str = "") -> Select:
    """Awards of the admin's organization, filtered by recipient e-mail, credential name or uuid."""
    query = (
        select(Award).join(Credential, Credential.id == Award.credential_id)
        .where(Credential.issuer_id == admin.organization_id)
        .options(selectinload(Award.credential), selectinload(Award.recipient))
        .order_by(Award.issued_at.desc(), Award.id.desc())
    )
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(Award.recipient_email).like(like), func.lower(Credential.name).like(like),
                                Award.uuid == search.strip()))
    if status == "revoked":
        query = query.where(Award.revoked_at.is_not(None))
    elif status == "active":
        query = query.where(Award.revoked_at.is_(None))
    elif status == "flagged":
        query = query.where(Award.flagged_at.is_not(None))
    return query


def flagged_awards(designer: User) -> list[Award]:
    if not can_author(designer, designer.organization_id):
        raise PermissionDenied()
    return list(db.session.scalars(
        select(Award).join(Credential, Credential.id == Award.credential_id)
        .where(Credential.issuer_id == designer.organization_id, Award.flagged_at.is_not(None))
        .options(selectinload(Award.credential), selectinload(Award.recipient))
        .order_by(Award.flagged_at.desc())
    ))


# --- reconcile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconcileResult:
    awarded: list[Award]
    published: int


def reconcile_awards() -> ReconcileResult:
    """Repair a crash between decision and award: every passed attempt without an award gets
    one, and every award without its published documents gets them (flushed). Idempotent."""
    from app.credentials.awards import award_credential
    from app.credentials.openbadges.publishing import SIGNED, BAKED, ensure_published
    from app.credentials.models import AwardDocument
    from app.evidence.models import Submission, SubmissionStatus  # evidence sits above credentials

    missing = db.session.scalars(
        select(Submission)
        .where(Submission.status == SubmissionStatus.PASSED,
               ~select(Award.id).where(Award.submission_id == Submission.id).exists())
        .order_by(Submission.id)
    ).all()
    awarded = [award_credential(submission) for submission in missing]
    complete = (
        select(AwardDocument.award_id).group_by(AwardDocument.award_id)
        .having(func.count() >= len(SIGNED) + len(BAKED))
    )
    unpublished = db.session.scalars(select(Award).where(Award.id.not_in(complete))).all()
    for award in unpublished:
        ensure_published(award)
    return ReconcileResult(awarded=awarded, published=len(unpublished))
