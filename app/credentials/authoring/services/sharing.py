"""Sharing across organizations: offer a credential, adopt one as is, copy one to adapt.

* Offering marks every version of a slug as open to other organizations.
* Adopting lists another organization's offered credential as part of yours (its
  issuer stays the author): your stacks may count it, and your designers see it
  next to your own. Nothing is copied; new versions of it reach you as they are
  published.
* Copying makes a new draft under your own issuer from the newest published
  version (module included), crediting the source; you then adapt and publish it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.credentials.authoring.services import credentials as editors
from app.credentials.authoring.services.common import audit, own, unique_slug
from app.credentials.authoring.services.interchange import create_from_document, export_document
from app.credentials.models import Credential, CredentialAdoption
from app.db import utcnow
from app.errors import Conflict, PermissionDenied
from app.extensions import db


def adopted_slugs(organization_id: int | None) -> set[str]:
    """The slugs of credentials ``organization_id`` adopted."""
    if organization_id is None:
        return set()
    return set(db.session.scalars(
        select(Credential.slug).join(CredentialAdoption, CredentialAdoption.credential_id == Credential.id)
        .where(CredentialAdoption.organization_id == organization_id)
    ))


def set_offered(*, author: User, credential: Credential, offered: bool) -> Credential:
    """Offer the credential (every version of its slug) to other organizations, or stop offering it.
    Adoptions and copies already made stay."""
    own(author, credential.issuer_id)
    now = utcnow()
    for version in editors.versions_of(credential.slug):
        version.offered_at = (version.offered_at or now) if offered else None
    db.session.flush()
    audit(author, "credential.offered" if offered else "credential.offer_withdrawn", "credential", credential.id,
          version=credential.version)
    return credential


@dataclass(frozen=True)
class Offer:
    credential: Credential  # the newest published version
    adopted: bool


def _newest_published_offered():
    newest = (
        select(Credential.slug, func.max(Credential.version).label("version"))
        .where(Credential.published.is_(True))
        .group_by(Credential.slug).subquery()
    )
    return (
        select(Credential)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .where(Credential.offered_at.is_not(None))
        .options(selectinload(Credential.issuer))
        .order_by(Credential.name)
    )


def list_offers(author: User) -> list[Offer]:
    """Credentials other organizations offer (newest published versions), and whether hers adopted each."""
    own(author, None)
    adopted = adopted_slugs(author.organization_id)
    query = _newest_published_offered().where(Credential.issuer_id != author.organization_id)
    return [Offer(credential=c, adopted=c.slug in adopted) for c in db.session.scalars(query)]


def list_adopted(author: User) -> list[Credential]:
    """The newest published versions of what her organization adopted."""
    own(author, None)
    adopted = adopted_slugs(author.organization_id)
    if not adopted:
        return []
    return [c for c in db.session.scalars(_newest_published_offered()) if c.slug in adopted] + [
        c for c in _unoffered_adopted(adopted)
    ]


def _unoffered_adopted(adopted: set[str]) -> list[Credential]:
    """Adopted credentials whose author stopped offering them: still listed, they were adopted."""
    newest = (
        select(Credential.slug, func.max(Credential.version).label("version"))
        .where(Credential.published.is_(True), Credential.slug.in_(adopted), Credential.offered_at.is_(None))
        .group_by(Credential.slug).subquery()
    )
    return list(db.session.scalars(
        select(Credential).join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .options(selectinload(Credential.issuer)).order_by(Credential.name)
    ))


def _offered_source(author: User, credential: Credential) -> Credential:
    """The newest published version of an offered credential of another organization."""
    own(author, None)
    if credential.issuer_id == author.organization_id:
        raise Conflict("This is already your organization's credential.")
    source = db.session.scalar(_newest_published_offered().where(Credential.slug == credential.slug))
    if source is None:
        raise PermissionDenied("Its organization does not offer this credential to others.")
    return source


def adopt_credential(*, author: User, credential: Credential) -> CredentialAdoption:
    """Adopt an offered credential as is (idempotent). Raises PermissionDenied when it is not offered."""
    source = _offered_source(author, credential)
    existing = db.session.scalar(
        select(CredentialAdoption).join(CredentialAdoption.credential)
        .where(CredentialAdoption.organization_id == author.organization_id, Credential.slug == source.slug)
    )
    if existing is not None:
        return existing
    adoption = CredentialAdoption(organization_id=author.organization_id, credential=source, adopted_by=author)
    db.session.add(adoption)
    db.session.flush()
    audit(author, "credential.adopted", "credential", source.id, version=source.version,
          organization_id=author.organization_id)
    return adoption


def drop_adoption(*, author: User, credential: Credential) -> None:
    """Stop listing an adopted credential (idempotent; its awards are untouched)."""
    own(author, None)
    rows = db.session.scalars(
        select(CredentialAdoption).join(CredentialAdoption.credential)
        .where(CredentialAdoption.organization_id == author.organization_id, Credential.slug == credential.slug)
    ).all()
    if not rows:
        return
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    audit(author, "credential.adoption_dropped", "credential", credential.id, organization_id=author.organization_id)


def copy_credential(*, author: User, credential: Credential, name: str | None = None) -> Credential:
    """A new draft under the author's own issuer, adapted from ``credential``: the newest published
    version of an offered credential (or any version of one of her own), with its module,
    requirements, rubric, policy and exemplars, crediting the source."""
    if credential.issuer_id == author.organization_id:
        own(author, credential.issuer_id)
        source = credential
    else:
        source = _offered_source(author, credential)
    source = editors.load_credential(source.id)
    doc = export_document(source)
    doc["name"] = (name or "").strip() or source.name
    doc["credit"] = f"Adapted from “{source.name}” (version {source.version}) by {source.issuer.name}."
    copy = create_from_document(
        author=author, doc=doc, slug=unique_slug(Credential, doc["name"], max_length=120), action="credential.copied",
    )
    copy.source_credential_id = source.id
    db.session.flush()
    audit(author, "credential.copied_from", "credential", source.id, version=source.version, copy_id=copy.id,
          organization_id=author.organization_id)
    return copy
