"""Catalog reads: the published catalog and one credential with everything its page shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

# Issuing lives in its own module; re-exported because the review workflow calls
# ``credentials.services.award_credential``.
from app.credentials.awards import award_credential
from app.credentials.models import (
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    Framework,
    Rubric,
    StackComponent,
    credential_competency,
)
from app.errors import NotFound
from app.extensions import db


def _newest_published() -> Select:
    """The highest published version number of each slug."""
    return (
        select(Credential.slug, func.max(Credential.version).label("version"))
        .where(Credential.published.is_(True))
        .group_by(Credential.slug)
        .subquery()
    )


def catalog_query(
    *, search: str = "", competency_id: int | None = None, domain: str = "", kind: str = ""
) -> Select:
    """Published credentials (newest version of each), optionally filtered; ordered by kind then name."""
    newest = _newest_published()
    query = (
        select(Credential)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .options(selectinload(Credential.competencies), selectinload(Credential.issuer))
        .order_by(Credential.kind.desc(), Credential.name)
    )
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Credential.name).like(like),
                func.lower(Credential.summary).like(like),
                func.lower(Credential.description).like(like),
                Credential.competencies.any(func.lower(Competency.name).like(like)),
            )
        )
    if competency_id:
        query = query.where(Credential.competencies.any(Competency.id == competency_id))
    if domain:
        query = query.where(Credential.competencies.any(Competency.domain == domain))
    if kind in {k.value for k in CredentialKind}:
        query = query.where(Credential.kind == CredentialKind(kind))
    return query


@dataclass(frozen=True)
class CatalogFilters:
    competencies: list[Competency]
    domains: list[str]


def catalog_filters() -> CatalogFilters:
    """The competencies and domains that published credentials align to."""
    newest = _newest_published()
    aligned_ids = (
        select(credential_competency.c.competency_id)
        .join(Credential, Credential.id == credential_competency.c.credential_id)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
    )
    aligned = (
        select(Competency)
        .join(Competency.framework)
        .where(Competency.retired_at.is_(None), Competency.id.in_(aligned_ids))
        .order_by(Framework.name, Competency.position)
    )
    competencies = list(db.session.scalars(aligned))
    domains = sorted({c.domain for c in competencies if c.domain})
    return CatalogFilters(competencies=competencies, domains=domains)


def get_published_credential(slug: str) -> Credential:
    """The newest published version of ``slug`` with its requirements, rubric,
    policy, module and stack components loaded. Raises NotFound."""
    newest = _newest_published()
    credential = db.session.scalar(
        select(Credential)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .where(Credential.slug == slug)
        .options(
            selectinload(Credential.competencies).selectinload(Competency.framework),
            selectinload(Credential.requirements),
            selectinload(Credential.rubric).selectinload(Rubric.criteria).selectinload(Criterion.levels),
            selectinload(Credential.rubric)
            .selectinload(Rubric.criteria)
            .selectinload(Criterion.requirements),
            selectinload(Credential.policy),
            selectinload(Credential.module),
            selectinload(Credential.issuer),
            selectinload(Credential.stack_components).selectinload(StackComponent.component),
        )
    )
    if credential is None:
        raise NotFound("No published credential has that address.")
    return credential


def stacks_containing(credential: Credential) -> list[Credential]:
    """Published stacks (newest versions) that count this credential toward them."""
    newest = _newest_published()
    component = aliased(Credential)
    query = (
        select(Credential)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .join(StackComponent, StackComponent.stack_id == Credential.id)
        .join(component, StackComponent.component_id == component.id)
        .where(Credential.kind == CredentialKind.STACK, component.slug == credential.slug)
        .order_by(Credential.name)
    )
    return list(db.session.scalars(query))


__all__ = ["award_credential", "catalog_query", "catalog_filters", "get_published_credential", "stacks_containing"]
