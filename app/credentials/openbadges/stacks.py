"""Stacks: awarded the moment their rule is met; a revoked component flags them, never cascades.

A component counts when the recipient holds an award of any version of the
component's slug that is neither revoked nor expired. The stack considered is
the newest published version of each stack slug that lists the credential
just earned (by slug). A recipient who already holds an unrevoked award of the
stack's slug is not awarded again.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import User
from app.audit import record_event
from app.credentials.awards import award_issued, record_award
from app.credentials.models import Award, Credential, CredentialKind, StackComponent, StackRule, stack_award_component
from app.db import utcnow
from app.extensions import db


def _stacks_listing(slug: str) -> list[Credential]:
    newest = (
        select(Credential.slug, func.max(Credential.version).label("version"))
        .where(Credential.published.is_(True), Credential.kind == CredentialKind.STACK)
        .group_by(Credential.slug).subquery()
    )
    component = aliased(Credential)
    return list(db.session.scalars(
        select(Credential)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .join(StackComponent, StackComponent.stack_id == Credential.id)
        .join(component, StackComponent.component_id == component.id)
        .where(component.slug == slug)
        .options(selectinload(Credential.stack_components).selectinload(StackComponent.component))
    ).unique())  # in Python: DISTINCT cannot compare the JSON tags column on PostgreSQL


def _valid_awards_by_slug(recipient_id: int, slugs: list[str]) -> dict[str, Award]:
    now = utcnow()
    rows = db.session.execute(
        select(Credential.slug, Award)
        .join(Award, Award.credential_id == Credential.id)
        .where(Award.recipient_id == recipient_id, Credential.slug.in_(slugs), Award.revoked_at.is_(None),
               (Award.expires_at.is_(None)) | (Award.expires_at > now))
        .order_by(Award.issued_at)
    ).all()
    return {slug: award for slug, award in rows}


def rule_met(stack: Credential, held: dict[str, Award]) -> list[Award] | None:
    """The component awards that meet ``stack``'s rule, or None."""
    components = [held[c.component.slug] for c in stack.stack_components if c.component.slug in held]
    if stack.stack_rule is StackRule.N_OF:
        needed = stack.stack_required_count or len(stack.stack_components)
    else:
        needed = len(stack.stack_components)
    return components if needed and len(components) >= needed else None


def check_stacks(award: Award) -> list[Award]:
    """Award every stack whose rule ``award`` completes (flushed); returns the new stack awards."""
    if award.revoked:
        return []
    made = []
    for stack in _stacks_listing(award.credential.slug):
        slugs = [c.component.slug for c in stack.stack_components]
        held = _valid_awards_by_slug(award.recipient_id, slugs + [stack.slug])
        if stack.slug in held:
            continue
        components = rule_met(stack, {slug: a for slug, a in held.items() if slug != stack.slug})
        if components is None:
            continue
        names = ", ".join(c.credential.name for c in components)
        made.append(record_award(
            credential=stack, recipient=award.recipient, actor=None, components=components,
            narrative=f"Awarded automatically for holding: {names}.",
        ))
    return made


def flag_dependent_stacks(component: Award, *, actor: User | None, reason: str) -> list[Award]:
    """Flag the unrevoked stack awards that rest on ``component`` for a designer (flushed)."""
    stacks = list(db.session.scalars(
        select(Award)
        .join(stack_award_component, stack_award_component.c.stack_award_id == Award.id)
        .where(stack_award_component.c.component_award_id == component.id, Award.revoked_at.is_(None))
    ))
    now = utcnow()
    for stack_award in stacks:
        stack_award.flagged_at = now
        stack_award.flag_reason = (
            f"Component {component.credential.name} ({component.uuid}) was revoked: {reason}"
        )
        record_event(actor=actor, action="award.flagged", object_type="award", object_id=stack_award.id,
                     component_award_id=component.id)
    db.session.flush()
    return stacks


def _on_award_issued(award: Award, actor=None, **_extra) -> None:
    check_stacks(award)


award_issued.connect(_on_award_issued)
