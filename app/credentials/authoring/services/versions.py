"""Publishing and versions: completeness checks, publish, unpublish, the next version, history.

A credential row is one version (``slug`` + ``version``). A version that was
ever published is frozen: attempts started on it are reviewed against its
rubric and awards keep pointing at it (so its badge class URL stays stable).
Changing it means starting the next version, a deep copy (requirements,
rubric, policy, exemplars, alignments, the same module) that is edited and
then published; the catalog shows the newest published version of each slug.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit import AuditEvent
from app.credentials.authoring.services import credentials as editors
from app.credentials.authoring.services.common import audit, own
from app.credentials.authoring.services.interchange import apply_document, export_document
from app.credentials.models import Credential
from app.db import utcnow
from app.errors import Conflict, ValidationError
from app.extensions import db


@dataclass(frozen=True)
class Problem:
    """Something that keeps a credential from being published, and which editor fixes it."""

    part: str  # basics, requirements, rubric, policy, exemplars, stack
    message: str


class IncompleteCredential(ValidationError):
    """Publishing refused: ``problems`` names everything that is missing."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        fields: dict[str, list[str]] = {}
        for problem in problems:
            fields.setdefault(problem.part, []).append(problem.message)
        super().__init__(None, "This credential is not ready to publish: " + " ".join(p.message for p in problems),
                         fields=fields)


def publish_problems(credential: Credential) -> list[Problem]:
    """Everything missing before ``credential`` can be published (empty: ready).

    Micro: a name and criteria narrative, at least one requirement, a rubric whose every
    criterion has levels and exactly one pass level and judges at least one part, every
    required part judged by a criterion, a decision policy, exemplars that give a level
    for every criterion. Stack: at least two components, all published, and a sane rule."""
    problems: list[Problem] = []
    if not credential.name.strip():
        problems.append(Problem("basics", "Give it a name."))
    if not (credential.criteria_md or "").strip():
        problems.append(Problem("basics", "Write the criteria narrative: what earning it shows."))
    if credential.is_stack:
        components = [sc.component for sc in credential.stack_components]
        if len(components) < 2:
            problems.append(Problem("stack", "Pick at least two microcredentials for the stack."))
        for component in components:
            if not component.published:
                problems.append(Problem("stack", f"Component “{component.name}” is not published."))
        if credential.stack_rule is not None and credential.stack_rule.value == "n_of":
            if not credential.stack_required_count or credential.stack_required_count > len(components):
                problems.append(Problem("stack", "Say how many of the components are needed (no more than there are)."))
        return problems
    requirements = list(credential.requirements)
    if not requirements:
        problems.append(Problem("requirements", "Add at least one part of evidence for teachers to submit."))
    criteria = list(credential.rubric.criteria) if credential.rubric else []
    if not criteria:
        problems.append(Problem("rubric", "Add the rubric: at least one criterion with its levels."))
    judged: set[int] = set()
    for criterion in criteria:
        if not criterion.levels:
            problems.append(Problem("rubric", f"Criterion “{criterion.name}” has no levels."))
        elif sum(1 for lv in criterion.levels if lv.is_pass) != 1:
            problems.append(Problem("rubric", f"Criterion “{criterion.name}” has no pass level."))
        if not criterion.requirements:
            problems.append(Problem("rubric", f"Criterion “{criterion.name}” judges no part of the evidence."))
        judged.update(r.id for r in criterion.requirements)
    for requirement in requirements:
        if requirement.required and requirement.id not in judged:
            problems.append(Problem("rubric", f"Required part “{requirement.title}” has no criterion judging it."))
    if credential.policy is None:
        problems.append(Problem("policy", "Set the decision policy."))
    criterion_ids = {c.id for c in criteria}
    for exemplar in credential.exemplars:
        given = {el.criterion_id for el in exemplar.reference_levels}
        if criterion_ids - given:
            problems.append(Problem("exemplars", f"Exemplar “{exemplar.title}” lacks a reference level for some criteria."))
    return problems


def publish_credential(*, author: User, credential: Credential) -> Credential:
    """Publish this version (the newest of its slug): teachers can find and start it, and it
    becomes what the catalog shows. Raises IncompleteCredential naming what is missing,
    Conflict when a newer version exists."""
    own(author, credential.issuer_id)
    newest = editors.newest_version(credential.slug)
    if newest is not None and newest.version > credential.version:
        raise Conflict(f"Version {newest.version} is newer: publish that one.")
    problems = publish_problems(credential)
    if problems:
        raise IncompleteCredential(problems)
    if credential.published:
        return credential
    first_time = credential.published_at is None
    credential.published = True
    credential.published_at = credential.published_at or utcnow()
    db.session.flush()
    audit(author, "credential.published", "credential", credential.id, version=credential.version,
          republished=not first_time)
    return credential


def unpublish_credential(*, author: User, credential: Credential) -> Credential:
    """Hide the credential (every version of its slug) from the catalog and from new starts.

    Nothing in progress is stranded: drafts and submitted attempts keep their version and go
    on through review, awards stay valid, and publishing the newest version again brings it
    back. Returns the version given."""
    own(author, credential.issuer_id)
    hidden = []
    for version in editors.versions_of(credential.slug):
        if version.published:
            version.published = False
            hidden.append(version.version)
    db.session.flush()
    if hidden:
        audit(author, "credential.unpublished", "credential", credential.id, version=credential.version,
              versions=hidden)
    return credential


def start_new_version(*, author: User, credential: Credential) -> Credential:
    """The draft to edit instead of a published ``credential``: the existing unpublished newest
    version of its slug if there is one, else a deep copy as version + 1 (same slug, issuer and
    module; requirements, rubric, policy, exemplars, alignments and stack copied). The published
    versions stay as they are until the new one is published."""
    own(author, credential.issuer_id)
    newest = db.session.scalar(
        select(Credential).where(Credential.slug == credential.slug).order_by(Credential.version.desc()).limit(1)
        .options(*editors.full_options())
    )
    if newest.published_at is None:
        return newest
    draft = Credential(
        issuer_id=newest.issuer_id, kind=newest.kind, slug=newest.slug, version=newest.version + 1,
        name=newest.name, created_by=author, published=False, offered_at=newest.offered_at,
        source_credential_id=newest.source_credential_id, source_credit=newest.source_credit, image_key=newest.image_key,
        tags=[],
    )
    db.session.add(draft)
    db.session.flush()
    apply_document(author, draft, export_document(newest), module=newest.module)
    audit(author, "credential.version_started", "credential", draft.id, version=draft.version,
          from_version=newest.version, from_id=newest.id)
    return draft


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    version: int | None


def credential_history(*, author: User, credential: Credential, limit: int = 200) -> list[HistoryEntry]:
    """Who changed what and when, across every version of the credential, newest first
    (read from the audit log)."""
    own(author, credential.issuer_id)
    versions = {v.id: v.version for v in editors.versions_of(credential.slug)}
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "credential", AuditEvent.object_id.in_(list(versions)))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [HistoryEntry(event=e, version=versions.get(e.object_id)) for e in events]
