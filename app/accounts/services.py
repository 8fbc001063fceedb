"""Account rules: registration, authentication, passwords, roles, tokens, invites.

Services take the acting user as an argument, flush, and never commit; the
caller (a view or a CLI command) commits once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, select, union_all

from app.accounts.auth import burn_password_check, hash_password, hash_token, verify_password
from app.accounts.models import ApiToken, EmailAddress, InviteCode, Organization, Role, School, User
from app.audit import record_event
from app.db import utcnow
from app.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.mail import queue_mail
from app.web import site_url

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "mc_"
TOKEN_SCOPES = {"read", "write", "verify"}
#: Further e-mail addresses one account may hold (verified or waiting).
MAX_EMAIL_ADDRESSES = 5
#: A verification link is not mailed again for the same address within this many seconds.
RESEND_AFTER_SECONDS = 60


def normalize_email(email: str) -> str:
    """A syntactically valid e-mail, lower-cased; raises ValidationError('email')."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError("email", str(exc)) from None
    return result.normalized.lower()


def check_password_strength(password: str, *, field: str = "password", email: str = "") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if email and password.lower() == email.lower():
        raise ValidationError(field, "Your password cannot be your e-mail address.")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def default_organization() -> Organization | None:
    return db.session.scalar(select(Organization).order_by(Organization.id).limit(1))


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    roles: set[Role] | None = None,
    organization: Organization | None = None,
    school: School | None = None,
    actor: User | None = None,
) -> User:
    """Create an active user. Raises ValidationError on a taken e-mail or weak password."""
    email = normalize_email(email)
    if not (name or "").strip():
        raise ValidationError("name", "Enter your name.")
    check_password_strength(password, email=email)
    if find_user_by_email(email) is not None or _verified_elsewhere(email) is not None:
        raise ValidationError("email", "An account with this e-mail already exists.")
    if school is not None and organization is not None and school.organization_id != organization.id:
        raise ValidationError("school", "That school belongs to another organization.")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        organization=organization or (school.organization if school else default_organization()),
        school=school,
    )
    user.set_roles(roles or {Role.TEACHER})
    db.session.add(user)
    db.session.flush()
    record_event(actor=actor or user, action="user.created", object_type="user", object_id=user.id,
                 roles=sorted(r.value for r in user.roles))
    return user


def register_user(
    *, email: str, name: str, password: str, school: School | None, invite_code: str | None, mode: str
) -> User:
    """Self-service sign-up. In ``invite`` mode a valid, unused, unexpired code is required;
    the code decides organization, role and (when it names one) school."""
    if mode == "invite":
        invite = _usable_invite(invite_code)
        user = create_user(
            email=email, name=name, password=password, roles={invite.role},
            organization=invite.organization, school=invite.school or school,
        )
        invite.uses += 1
        return user
    return create_user(email=email, name=name, password=password, roles={Role.TEACHER}, school=school)


def _usable_invite(code: str | None) -> InviteCode:
    invite = db.session.scalar(select(InviteCode).where(InviteCode.code == (code or "").strip()))
    if invite is None:
        raise ValidationError("invite_code", "That invite code is not valid.")
    if invite.uses >= invite.max_uses:
        raise ValidationError("invite_code", "That invite code has already been used.")
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        raise ValidationError("invite_code", "That invite code has expired.")
    return invite


def create_invite(
    *, actor: User, organization: Organization, role: Role = Role.TEACHER,
    school: School | None = None, max_uses: int = 1, days: int | None = 14,
) -> InviteCode:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied()
    if max_uses < 1:
        raise ValidationError("max_uses", "An invite must allow at least one use.")
    invite = InviteCode(
        code=secrets.token_urlsafe(12), organization=organization, school=school, role=role,
        max_uses=max_uses, expires_at=utcnow() + timedelta(days=days) if days else None,
        created_by_id=actor.id,
    )
    db.session.add(invite)
    db.session.flush()
    record_event(actor=actor, action="invite.created", object_type="invite", object_id=invite.id,
                 role=role.value, max_uses=max_uses)
    return invite


def authenticate(*, email: str, password: str) -> User:
    """The active user with these credentials. Raises AuthenticationError with one
    message for every failure, so the answer does not reveal which accounts exist."""
    user = find_user_by_email(email or "")
    if user is None:
        burn_password_check(password or "")
        raise AuthenticationError("E-mail or password is not right.")
    if not verify_password(user, password or "") or not user.active:
        raise AuthenticationError("E-mail or password is not right.")
    user.last_login_at = utcnow()
    return user


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Replace the password and end every other session of this user."""
    if not verify_password(user, current_password or ""):
        raise ValidationError("current_password", "That is not your current password.")
    check_password_strength(new_password, field="new_password", email=user.email)
    user.password_hash = hash_password(new_password)
    user.rotate_session_nonce()
    for token in user_tokens(user):
        token.revoked_at = token.revoked_at or utcnow()
    record_event(actor=user, action="user.password_changed", object_type="user", object_id=user.id)


def update_profile(*, user: User, name: str, school: School | None) -> User:
    if not (name or "").strip():
        raise ValidationError("name", "Enter your name.")
    if school is not None and user.organization_id and school.organization_id != user.organization_id:
        raise ValidationError("school", "That school belongs to another organization.")
    user.name = name.strip()
    user.school = school
    return user


def update_user_access(
    *, actor: User, user: User, roles: set[Role], active: bool, school: School | None
) -> User:
    """An admin sets roles, active flag and school. An admin cannot lock themselves out."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied()
    if not roles:
        raise ValidationError("roles", "Choose at least one role.")
    if user.id == actor.id and (Role.ADMIN not in roles or not active):
        raise ValidationError("roles", "You cannot remove your own admin role or deactivate yourself.")
    before = sorted(r.value for r in user.roles)
    user.set_roles(roles)
    if user.active and not active:
        user.rotate_session_nonce()
        for token in user_tokens(user):
            token.revoked_at = token.revoked_at or utcnow()
    user.active = active
    user.school = school
    record_event(actor=actor, action="user.access_changed", object_type="user", object_id=user.id,
                 roles_before=before, roles_after=sorted(r.value for r in roles), active=active,
                 school_id=school.id if school else None)
    return user


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def issue_api_token(
    *, user: User, days: int, name: str = "", scopes: list[str] | None = None
) -> tuple[str, ApiToken]:
    """A new bearer token; returns the secret (shown once) and the stored row.

    The ``verify`` scope is for HR and admins only."""
    requested = set(scopes or ["read", "write"])
    unknown = requested - TOKEN_SCOPES
    if unknown:
        raise ValidationError("scopes", f"Unknown scope(s): {', '.join(sorted(unknown))}.")
    if "verify" in requested and not user.has_role(Role.HR, Role.ADMIN):
        raise ValidationError("scopes", "Only HR and admin accounts may request the verify scope.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip()[:100], token_hash=hash_token(secret), prefix=secret[:10],
        scopes=sorted(requested), expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    return secret, token


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


# --- Further e-mail addresses ------------------------------------------------------------


def _verified_elsewhere(email: str) -> EmailAddress | None:
    return db.session.scalar(
        select(EmailAddress).where(EmailAddress.email == email, EmailAddress.verified_at.is_not(None))
    )


def email_addresses(user: User) -> list[EmailAddress]:
    """Her further addresses, verified first, then in the order she added them."""
    return list(db.session.scalars(
        select(EmailAddress).where(EmailAddress.user_id == user.id)
        .order_by(EmailAddress.verified_at.is_(None), EmailAddress.created_at, EmailAddress.id)
    ))


def get_email_address(user: User, address_id: int) -> EmailAddress:
    """One of her addresses; another account's (or none) is NotFound, so ids reveal nothing."""
    address = db.session.get(EmailAddress, address_id)
    if address is None or address.user_id != user.id:
        raise NotFound("No such e-mail address on your account.")
    return address


def _send_verification(address: EmailAddress) -> None:
    secret = secrets.token_urlsafe(32)
    address.token_hash = hash_token(secret)
    address.token_sent_at = utcnow()
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    queue_mail(
        to=address.email, recipient_id=address.user_id,
        subject="Confirm your e-mail address",
        body=(f"{address.user.name} added this address to their account. Open the link below within "
              f"{hours} hours to confirm it; badges issued to it will then verify as theirs.\n\n"
              f"{site_url('accounts.confirm_email', token=secret)}\n\n"
              "If that was not you, ignore this message: nothing changes without the link."),
    )


def add_email_address(*, user: User, email: str) -> EmailAddress:
    """Add an address (unverified) and mail it a confirmation link. Raises ValidationError('email')
    for her own or another account's address, a second copy, or more than the allowed number."""
    email = normalize_email(email)
    if email == user.email:
        raise ValidationError("email", "That is already the e-mail you log in with.")
    mine = email_addresses(user)
    if any(a.email == email for a in mine):
        raise ValidationError("email", "That address is already on your account.")
    if len(mine) >= MAX_EMAIL_ADDRESSES:
        raise ValidationError("email", f"An account holds at most {MAX_EMAIL_ADDRESSES} further addresses; remove one first.")
    if find_user_by_email(email) is not None or _verified_elsewhere(email) is not None:
        raise ValidationError("email", "That address belongs to another account.")
    # Another account's unconfirmed claim is only a claim: whoever confirms the address owns it.
    db.session.execute(delete(EmailAddress).where(EmailAddress.email == email, EmailAddress.verified_at.is_(None)))
    address = EmailAddress(user=user, email=email)
    db.session.add(address)
    db.session.flush()
    _send_verification(address)
    record_event(actor=user, action="user.email_added", object_type="user", object_id=user.id, email=email)
    return address


def resend_email_verification(*, user: User, address: EmailAddress) -> EmailAddress:
    if address.user_id != user.id:
        raise PermissionDenied()
    if address.verified:
        raise ValidationError("email", "That address is already confirmed.")
    if address.token_sent_at and utcnow() - address.token_sent_at < timedelta(seconds=RESEND_AFTER_SECONDS):
        raise ValidationError("email", "We sent a link a moment ago: check that inbox, or try again in a minute.")
    _send_verification(address)
    return address


def pending_email_confirmation(secret: str) -> EmailAddress:
    """The unverified address a link's secret belongs to; ValidationError('token') when the link is
    unknown, used or expired."""
    address = db.session.scalar(select(EmailAddress).where(EmailAddress.token_hash == hash_token((secret or "").strip())))
    hours = current_app.config["EMAIL_VERIFICATION_HOURS"]
    if address is None or address.verified or address.token_sent_at is None:
        raise ValidationError("token", "This confirmation link is not valid (it may have been used already).")
    if utcnow() - address.token_sent_at > timedelta(hours=hours):
        raise ValidationError("token", "This confirmation link has expired: send a new one from your account page.")
    return address


def confirm_email_address(secret: str, *, user: User | None = None) -> EmailAddress:
    """Mark the address of this link verified (the link is the proof; it works once). With ``user``
    (the API, where a token says who asks) the link must belong to that account."""
    address = pending_email_confirmation(secret)
    if user is not None and address.user_id != user.id:
        raise ValidationError("token", "This confirmation link is for another account.")
    if find_user_by_email(address.email) is not None:
        raise ValidationError("token", "That address now belongs to another account.")
    address.verified_at = utcnow()
    address.token_hash = None
    record_event(actor=address.user, action="user.email_verified", object_type="user", object_id=address.user_id,
                 email=address.email)
    return address


def remove_email_address(*, user: User, address: EmailAddress) -> None:
    """Drop a further address. Badges issued to it stop matching it when verified by e-mail."""
    if address.user_id != user.id:
        raise PermissionDenied()
    record_event(actor=user, action="user.email_removed", object_type="user", object_id=user.id, email=address.email)
    db.session.delete(address)
    db.session.flush()


def make_email_primary(*, user: User, address: EmailAddress, password: str) -> User:
    """Log in with a verified further address from now on; the old login e-mail stays on the
    account as a verified address, so badges issued to it keep verifying."""
    if address.user_id != user.id:
        raise PermissionDenied()
    if not verify_password(user, password or ""):
        raise ValidationError("password", "That is not your current password.")
    if not address.verified:
        raise ValidationError("email", "Confirm that address before you log in with it.")
    old, new = user.email, address.email
    address.email, user.email = old, new
    address.verified_at = utcnow()
    record_event(actor=user, action="user.email_changed", object_type="user", object_id=user.id,
                 email_before=old, email_after=new)
    return user


def verified_addresses(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """For each user, the lower-cased login e-mail and every verified further address (one query)."""
    ids = sorted(set(user_ids))
    result: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return result
    logins = select(User.id.label("user_id"), User.email.label("email")).where(User.id.in_(ids))
    further = select(EmailAddress.user_id.label("user_id"), EmailAddress.email.label("email")).where(
        EmailAddress.user_id.in_(ids), EmailAddress.verified_at.is_not(None))
    for user_id, email in db.session.execute(union_all(logins, further)):
        result[user_id].add(email.lower())
    return result
