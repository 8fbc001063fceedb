"""Portfolio services: the earner's awards with their status, her public profile, collections,
per-award visibility and consent, the LinkedIn and embed links, and the public profile page.

Every writing function takes the acting teacher, checks the policy (below, one place),
flushes and leaves the commit to the view. Reads are done in a fixed number of queries
however many awards she holds.

Policies: a teacher manages only her own portfolio (awards she received, collections
she made); anyone may read an enabled public profile, which shows only awards she marked
visible and that are not revoked. A profile that is off, or a handle nobody has, is the
same 404, so a private handle is never revealed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit import record_event
from app.credentials.models import Award, Credential
from app.credentials.openbadges import services as badge_services
from app.credentials.openbadges.urls import absolute, assertion_url, award_urls
from app.db import utcnow
from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.portfolio.models import AwardVisibility, Collection, CollectionItem, PortfolioProfile

HANDLE_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]|[a-z0-9]{3}")
HANDLE_MIN, HANDLE_MAX = 3, 40
#: Handles that would read as the platform speaking, or collide with a path people expect.
RESERVED_HANDLES = frozenset({
    "about", "account", "admin", "administrator", "analytics", "api", "app", "assets", "author", "badge", "badges",
    "catalog", "credentials", "dashboard", "embed", "export", "help", "home", "issuer", "login", "logout", "mail",
    "me", "moderator", "new", "null", "ob", "official", "portfolio", "privacy", "profile", "register", "reviews",
    "root", "security", "settings", "staff", "static", "support", "system", "team", "terms", "undefined", "user",
    "users", "verify", "webmaster", "www",
})
MAX_NAME = 200
MAX_HEADLINE = 200
MAX_COLLECTION_NAME = 120
MAX_DESCRIPTION = 2000
MAX_COLLECTIONS = 50
LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"
UNSET: Any = object()


class Status:
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    FLAGGED = "flagged"


# --- policies -------------------------------------------------------------------------------------------


def _active(user) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.active


def owns_award(user, award: Award) -> bool:
    return _active(user) and award.recipient_id == user.id


def owns_collection(user, collection: Collection) -> bool:
    return _active(user) and collection.user_id == user.id


def get_own_award_or_403(user, award_id: int) -> Award:
    """The award ``award_id`` if ``user`` received it. NotFound when there is none, PermissionDenied
    when it is someone else's (admins included: the portfolio is the earner's alone)."""
    award = db.session.get(Award, award_id)
    if award is None:
        raise NotFound("No award has that id.")
    if not owns_award(user, award):
        raise PermissionDenied("Only the badge's earner manages it in her portfolio.")
    return award


def get_own_collection_or_403(user, collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise NotFound("No collection has that id.")
    if not owns_collection(user, collection):
        raise PermissionDenied("Only its owner changes a collection.")
    return collection


# --- status and links -------------------------------------------------------------------------------------


def award_status(award: Award, now: datetime | None = None) -> str:
    """valid, expired, revoked or flagged (a stack award whose component was revoked)."""
    if award.revoked:
        return Status.REVOKED
    if award.expires_at is not None and award.expires_at <= (now or utcnow()):
        return Status.EXPIRED
    if award.flagged_at is not None:
        return Status.FLAGGED
    return Status.VALID


def linkedin_url(award: Award) -> str:
    """LinkedIn's "add certification" address for ``award``, every value URL-encoded.

    certUrl is the assertion's public page, certId the award's uuid; the expiration
    fields are present only when the award expires.
    """
    params: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", award.credential.name),
        ("organizationName", award.credential.issuer.name),
        ("issueYear", str(award.issued_at.year)),
        ("issueMonth", str(award.issued_at.month)),
    ]
    if award.expires_at is not None:
        params += [("expirationYear", str(award.expires_at.year)), ("expirationMonth", str(award.expires_at.month))]
    params += [("certUrl", assertion_url(award.uuid)), ("certId", award.uuid)]
    return f"{LINKEDIN_ADD_URL}?{urlencode(params, quote_via=quote)}"


def badge_image_url(award: Award) -> str:
    """The absolute address of the badge image (for Open Graph and embeds)."""
    return absolute("openbadges.badge_image", credential_id=award.credential_id, fmt="png")


def embed_url(award: Award) -> str:
    return absolute("portfolio.embed", uuid=award.uuid)


def embed_snippet(award: Award) -> str:
    """Copyable HTML for another site: the badge image linked to its verification page, name and issuer."""
    name = escape(award.credential.name)
    issuer = escape(award.credential.issuer.name)
    page = escape(assertion_url(award.uuid))
    image = escape(badge_image_url(award))
    return (
        f'<a href="{page}" title="Verify this badge">'
        f'<img src="{image}" alt="{name} badge" width="120" height="120"></a>\n'
        f'<p><a href="{page}">{name}</a><br>Issued by {issuer}</p>'
    )


def iframe_snippet(award: Award) -> str:
    name = escape(award.credential.name)
    return (f'<iframe src="{escape(embed_url(award))}" title="{name} badge" width="320" height="180" '
            f'loading="lazy"></iframe>')


# --- reading the portfolio --------------------------------------------------------------------------------


@dataclass
class AwardEntry:
    award: Award
    status: str
    visible: bool
    collection_ids: list[int] = field(default_factory=list)

    @property
    def urls(self) -> dict[str, str]:
        return award_urls(self.award)

    @property
    def linkedin_url(self) -> str:
        return linkedin_url(self.award)


@dataclass
class Overview:
    teacher: User
    profile: PortfolioProfile | None
    entries: list[AwardEntry]
    collections: list[Collection]

    @property
    def public_url(self) -> str | None:
        if self.profile is None or not self.profile.enabled or not self.profile.handle:
            return None
        return absolute("portfolio.public_profile", handle=self.profile.handle)

    def entry(self, award_id: int) -> AwardEntry | None:
        return next((e for e in self.entries if e.award.id == award_id), None)


def profile_of(user: User) -> PortfolioProfile | None:
    return db.session.scalar(select(PortfolioProfile).where(PortfolioProfile.user_id == user.id))


def portfolio_overview(teacher: User) -> Overview:
    """Her awards (newest first, with credential and issuer), their visibility and collections,
    and her profile: five queries whatever she holds."""
    now = utcnow()
    awards = list(db.session.scalars(
        select(Award).where(Award.recipient_id == teacher.id)
        .options(selectinload(Award.credential).selectinload(Credential.issuer))
        .order_by(Award.issued_at.desc(), Award.id.desc())
    ))
    ids = [a.id for a in awards]
    visible = set(db.session.scalars(select(AwardVisibility.award_id).where(AwardVisibility.award_id.in_(ids)))) \
        if ids else set()
    collections = list(db.session.scalars(
        select(Collection).where(Collection.user_id == teacher.id)
        .options(selectinload(Collection.items)).order_by(Collection.position, Collection.id)
    ))
    member: dict[int, list[int]] = {}
    for collection in collections:
        for item in collection.items:
            member.setdefault(item.award_id, []).append(collection.id)
    entries = [AwardEntry(award=a, status=award_status(a, now), visible=a.id in visible,
                          collection_ids=member.get(a.id, [])) for a in awards]
    return Overview(teacher=teacher, profile=profile_of(teacher), entries=entries, collections=collections)


# --- the profile ----------------------------------------------------------------------------------------


def normalize_handle(value: str | None) -> str:
    return (value or "").strip().lower()


def validate_handle(handle: str, *, owner: User | None = None) -> str:
    """``handle`` lower-cased if it is allowed and free (its owner may keep it).

    Raises ValidationError("handle") for a bad shape, a reserved word or a taken handle.
    """
    handle = normalize_handle(handle)
    if not HANDLE_MIN <= len(handle) <= HANDLE_MAX:
        raise ValidationError("handle", f"Use {HANDLE_MIN} to {HANDLE_MAX} characters.")
    if not HANDLE_RE.fullmatch(handle) or "--" in handle:
        raise ValidationError("handle", "Use lowercase letters, digits and single hyphens, starting and ending "
                                        "with a letter or digit.")
    if handle in RESERVED_HANDLES:
        raise ValidationError("handle", "That address is reserved. Choose another.")
    holder = db.session.scalar(select(PortfolioProfile.user_id).where(PortfolioProfile.handle == handle))
    if holder is not None and (owner is None or holder != owner.id):
        raise ValidationError("handle", "That address is taken. Choose another.")
    return handle


def _clean_text(value: str | None, field_name: str, limit: int) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise ValidationError(field_name, f"Keep it under {limit} characters.")
    return text or None


def update_profile(*, teacher: User, handle: str | None = UNSET, enabled: bool = UNSET,
                   display_name: str | None = UNSET, headline: str | None = UNSET) -> PortfolioProfile:
    """Change her public profile settings (flushed); arguments left out stay as they are.

    A changed handle frees the old one at once. Turning the profile on needs a handle.
    Raises PermissionDenied (not an active user), ValidationError("handle"|"display_name"|"headline").
    """
    if not _active(teacher):
        raise PermissionDenied()
    profile = profile_of(teacher)
    if profile is None:
        profile = PortfolioProfile(user=teacher, enabled=False)
        db.session.add(profile)
    if handle is not UNSET:
        profile.handle = validate_handle(handle, owner=teacher) if normalize_handle(handle) else None
    if display_name is not UNSET:
        profile.display_name = _clean_text(display_name, "display_name", MAX_NAME)
    if headline is not UNSET:
        profile.headline = _clean_text(headline, "headline", MAX_HEADLINE)
    if enabled is not UNSET:
        profile.enabled = bool(enabled)
    if profile.enabled and not profile.handle:
        raise ValidationError("handle", "Choose the address of your public profile before turning it on.")
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another teacher took the handle between the check and the write
        raise ValidationError("handle", "That address is taken. Choose another.") from None
    record_event(actor=teacher, action="portfolio.profile_updated", object_type="user", object_id=teacher.id,
                 handle=profile.handle, enabled=profile.enabled)
    return profile


def set_award_visibility(*, teacher: User, award: Award, visible: bool) -> bool:
    """Show ``award`` on her public profile or hide it (flushed). Revoked awards never show,
    whatever this says. Raises PermissionDenied (not hers)."""
    if not owns_award(teacher, award):
        raise PermissionDenied("Only the badge's earner decides where it shows.")
    row = db.session.get(AwardVisibility, award.id)
    if visible and row is None:
        db.session.add(AwardVisibility(award_id=award.id))
    elif not visible and row is not None:
        db.session.delete(row)
    db.session.flush()
    return visible


def set_award_consent(*, teacher: User, award: Award, public: bool) -> Award:
    """The evidence consent switch (the rule lives in openbadges.services)."""
    return badge_services.set_evidence_consent(award, teacher, public)


# --- collections ----------------------------------------------------------------------------------------


def _collection_text(name: str | None, description: str | None) -> tuple[str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("name", "Give the collection a name.")
    if len(name) > MAX_COLLECTION_NAME:
        raise ValidationError("name", f"Keep the name under {MAX_COLLECTION_NAME} characters.")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError("description", f"Keep the description under {MAX_DESCRIPTION} characters.")
    return name, description


def _own_collections(teacher: User) -> list[Collection]:
    return list(db.session.scalars(
        select(Collection).where(Collection.user_id == teacher.id).order_by(Collection.position, Collection.id)
    ))


def _check_name_free(teacher: User, name: str, collection: Collection | None = None) -> None:
    clash = db.session.scalar(select(Collection.id).where(
        Collection.user_id == teacher.id, func.lower(Collection.name) == name.lower()))
    if clash is not None and (collection is None or clash != collection.id):
        raise ValidationError("name", "You already have a collection with that name.")


def _renumber(rows) -> None:
    for position, row in enumerate(rows):
        row.position = position


def create_collection(*, teacher: User, name: str, description: str = "",
                      award_ids: list[int] | None = None) -> Collection:
    """A new collection at the end of her list (flushed).
    Raises PermissionDenied, ValidationError("name"|"description"|"award_ids")."""
    if not _active(teacher):
        raise PermissionDenied()
    name, description = _collection_text(name, description)
    existing = _own_collections(teacher)
    if len(existing) >= MAX_COLLECTIONS:
        raise ValidationError("name", f"You can have up to {MAX_COLLECTIONS} collections.")
    _check_name_free(teacher, name)
    collection = Collection(user=teacher, name=name, description=description, position=len(existing))
    db.session.add(collection)
    if award_ids:
        _set_items(teacher, collection, award_ids)
    db.session.flush()
    return collection


def _set_items(teacher: User, collection: Collection, award_ids: list[int]) -> None:
    ordered = list(dict.fromkeys(int(i) for i in award_ids))
    if ordered:
        mine = set(db.session.scalars(select(Award.id).where(Award.id.in_(ordered),
                                                             Award.recipient_id == teacher.id)))
        if len(mine) != len(ordered):
            raise ValidationError("award_ids", "A collection holds only your own awards.")
    current = {item.award_id: item for item in collection.items}
    collection.items = [current.get(award_id) or CollectionItem(award_id=award_id) for award_id in ordered]
    _renumber(collection.items)


def update_collection(*, teacher: User, collection: Collection, name: str = UNSET, description: str = UNSET,
                      award_ids: list[int] = UNSET, position: int = UNSET) -> Collection:
    """Rename, describe, set its awards in order, or move it to ``position`` (flushed).
    Raises PermissionDenied, ValidationError("name"|"description"|"award_ids"|"position")."""
    if not owns_collection(teacher, collection):
        raise PermissionDenied("Only its owner changes a collection.")
    if name is not UNSET or description is not UNSET:
        new_name, new_description = _collection_text(
            collection.name if name is UNSET else name,
            collection.description if description is UNSET else description)
        _check_name_free(teacher, new_name, collection)
        collection.name, collection.description = new_name, new_description
    if award_ids is not UNSET:
        _set_items(teacher, collection, award_ids)
    if position is not UNSET:
        rows = [c for c in _own_collections(teacher) if c.id != collection.id]
        if not 0 <= int(position) <= len(rows):
            raise ValidationError("position", f"Give a position from 0 to {len(rows)}.")
        rows.insert(int(position), collection)
        _renumber(rows)
    db.session.flush()
    return collection


def move_collection(*, teacher: User, collection: Collection, offset: int) -> Collection:
    """Move a collection up (-1) or down (+1) in her list; at either end it stays."""
    rows = _own_collections(teacher)
    index = next((i for i, c in enumerate(rows) if c.id == collection.id), 0)
    target = max(0, min(len(rows) - 1, index + offset))
    return update_collection(teacher=teacher, collection=collection, position=target)


def move_collection_item(*, teacher: User, collection: Collection, award_id: int, offset: int) -> Collection:
    """Move one award up (-1) or down (+1) inside a collection. Raises NotFound if it is not in it."""
    order = [item.award_id for item in collection.items]
    if award_id not in order:
        raise NotFound("That award is not in this collection.")
    index = order.index(award_id)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    return update_collection(teacher=teacher, collection=collection, award_ids=order)


def change_collection_item(*, teacher: User, collection: Collection, award: Award, action: str) -> Collection:
    """One step on one award of a collection: ``add`` (at the end), ``remove``, ``up`` or ``down``."""
    order = [item.award_id for item in collection.items]
    if action == "add":
        return update_collection(teacher=teacher, collection=collection, award_ids=[*order, award.id])
    if action == "remove":
        return update_collection(teacher=teacher, collection=collection,
                                 award_ids=[i for i in order if i != award.id])
    if action in ("up", "down"):
        return move_collection_item(teacher=teacher, collection=collection, award_id=award.id,
                                    offset=-1 if action == "up" else 1)
    raise ValidationError("action", "Choose add, remove, up or down.")


def set_award_collections(*, teacher: User, award: Award, collection_ids: list[int]) -> list[Collection]:
    """Put ``award`` in exactly these of her collections (added at the end of each), out of the others."""
    if not owns_award(teacher, award):
        raise PermissionDenied("Only the badge's earner files it in collections.")
    wanted = set(int(i) for i in collection_ids)
    collections = list(db.session.scalars(
        select(Collection).where(Collection.user_id == teacher.id).options(selectinload(Collection.items))
        .order_by(Collection.position, Collection.id)))
    if wanted - {c.id for c in collections}:
        raise ValidationError("collections", "Choose among your own collections.")
    for collection in collections:
        order = [item.award_id for item in collection.items]
        if collection.id in wanted and award.id not in order:
            _set_items(teacher, collection, [*order, award.id])
        elif collection.id not in wanted and award.id in order:
            _set_items(teacher, collection, [i for i in order if i != award.id])
    db.session.flush()
    return [c for c in collections if c.id in wanted]


def delete_collection(*, teacher: User, collection: Collection) -> None:
    """Delete a collection (its awards stay in her portfolio) and close the gap (flushed)."""
    if not owns_collection(teacher, collection):
        raise PermissionDenied("Only its owner deletes a collection.")
    db.session.delete(collection)
    db.session.flush()
    _renumber(_own_collections(teacher))
    db.session.flush()


# --- the public profile -----------------------------------------------------------------------------------


@dataclass
class PublicCollection:
    name: str
    description: str
    awards: list[Award]


@dataclass
class PublicProfile:
    profile: PortfolioProfile
    collections: list[PublicCollection]
    others: list[Award]

    @property
    def url(self) -> str:
        return absolute("portfolio.public_profile", handle=self.profile.handle)


def _public_award_filter():
    return (Award.revoked_at.is_(None),)


def public_profile(handle: str) -> PublicProfile:
    """The enabled profile at ``handle``: her visible, unrevoked awards in her collections (in her
    order) and the visible ones in none. Raises NotFound for a profile that is off or unknown alike.
    Four queries."""
    profile = db.session.scalar(
        select(PortfolioProfile).where(PortfolioProfile.handle == normalize_handle(handle),
                                       PortfolioProfile.enabled.is_(True))
        .options(selectinload(PortfolioProfile.user)))
    if profile is None:
        raise NotFound("There is no public profile at this address.")
    awards = list(db.session.scalars(
        select(Award).join(AwardVisibility, AwardVisibility.award_id == Award.id)
        .where(Award.recipient_id == profile.user_id, *_public_award_filter())
        .options(selectinload(Award.credential).selectinload(Credential.issuer))
        .order_by(Award.issued_at.desc(), Award.id.desc())))
    by_id = {a.id: a for a in awards}
    collections = list(db.session.scalars(
        select(Collection).where(Collection.user_id == profile.user_id)
        .options(selectinload(Collection.items)).order_by(Collection.position, Collection.id)))
    shown: list[PublicCollection] = []
    placed: set[int] = set()
    for collection in collections:
        members = [by_id[item.award_id] for item in collection.items if item.award_id in by_id]
        if members:
            shown.append(PublicCollection(collection.name, collection.description, members))
            placed.update(a.id for a in members)
    return PublicProfile(profile=profile, collections=shown, others=[a for a in awards if a.id not in placed])


def public_earner_names(award_ids: list[int]) -> dict[int, str]:
    """Award id -> the earner's public display name, only for awards shown on an enabled public
    profile (marked visible, not revoked). One query; ids not public are left out."""
    if not award_ids:
        return {}
    rows = db.session.execute(
        select(Award.id, func.coalesce(PortfolioProfile.display_name, User.name))
        .join(AwardVisibility, AwardVisibility.award_id == Award.id)
        .join(PortfolioProfile, PortfolioProfile.user_id == Award.recipient_id)
        .join(User, User.id == Award.recipient_id)
        .where(Award.id.in_(list(set(award_ids))), PortfolioProfile.enabled.is_(True),
               PortfolioProfile.handle.is_not(None), *_public_award_filter())
    )
    return {award_id: name for award_id, name in rows}
