"""Credential editors: basics, requirements, the rubric builder, the decision policy,
calibration exemplars and stacks.

Only a draft that was never published is edited in place. A published (or once
published) version is frozen, because attempts and awards point at it: the
designer starts the next version (``versions.start_new_version``) and edits
that. Every function checks that the acting author authors for the
credential's issuer (``PermissionDenied``), raises ``ValidationError(field,
message)`` for bad input and ``Conflict`` for a frozen version, flushes, and
records an audit event (the change history reads them back). The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.credentials.authoring.services.common import audit, changes, check_slug, move, own, reorder, unique_slug
from app.credentials.models import (
    CalibrationExemplar,
    CoachRule,
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    DecisionPolicy,
    ExemplarLevel,
    Level,
    Requirement,
    RequirementKind,
    Rubric,
    StackComponent,
    StackRule,
)
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.learning.models import Module
from app.uploads import KINDS as FILE_KINDS

MAX_TAGS = 12
MAX_LEVELS = 8
MAX_REQUIREMENTS = 20
MAX_CRITERIA = 20
MAX_FILES = 20


@dataclass(frozen=True)
class CredentialData:
    name: str
    summary: str = ""
    description: str = ""
    criteria_md: str = ""
    tags: Sequence[str] = ()
    estimated_hours: int | None = None
    validity_months: int | None = None
    module_id: int | None = None
    competency_ids: Sequence[int] = ()


@dataclass(frozen=True)
class RequirementData:
    kind: RequirementKind
    title: str
    prompt: str
    guidance: str = ""
    required: bool = True
    accepted_types: Sequence[str] = ()
    max_files: int = 1


@dataclass(frozen=True)
class LevelData:
    label: str
    points: int = 0
    descriptor: str = ""
    is_pass: bool = False


@dataclass(frozen=True)
class CriterionData:
    name: str
    description: str = ""
    requirement_ids: Sequence[int] = ()
    levels: Sequence[LevelData] = ()


@dataclass(frozen=True)
class PolicyData:
    peer_reviews: int = 2
    coach_rule: CoachRule = CoachRule.ON_DISAGREEMENT
    review_days: int = 7
    max_attempts: int = 3
    exclude_same_school: bool = True
    allow_cross_organization: bool = False
    calibration_exact_share: float = 0.75
    calibration_max_gap: int = 1
    calibration_retry_hours: int = 24


@dataclass(frozen=True)
class ExemplarData:
    title: str
    body_md: str
    #: criterion id -> (level id, rationale)
    levels: dict[int, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class StackData:
    rule: StackRule
    component_ids: Sequence[int]
    required_count: int | None = None


# --- loading ------------------------------------------------------------------------------------


def full_options() -> tuple:
    """Loader options for everything the editor, previews and the export read."""
    return (
        selectinload(Credential.competencies).selectinload(Competency.framework),
        selectinload(Credential.requirements),
        selectinload(Credential.rubric).selectinload(Rubric.criteria).selectinload(Criterion.levels),
        selectinload(Credential.rubric).selectinload(Rubric.criteria).selectinload(Criterion.requirements),
        selectinload(Credential.policy),
        selectinload(Credential.module).selectinload(Module.sections),
        selectinload(Credential.issuer),
        selectinload(Credential.exemplars).selectinload(CalibrationExemplar.reference_levels),
        selectinload(Credential.stack_components).selectinload(StackComponent.component),
    )


def load_credential(credential_id: int) -> Credential:
    """One credential version with everything its editor shows. Raises NotFound."""
    credential = db.session.scalar(select(Credential).where(Credential.id == credential_id).options(*full_options()))
    if credential is None:
        raise NotFound("No credential has that id.")
    return credential


def get_credential(author: User, credential_id: int) -> Credential:
    """``load_credential``, for an author of its issuer (PermissionDenied otherwise)."""
    credential = load_credential(credential_id)
    own(author, credential.issuer_id)
    return credential


def newest_version(slug: str) -> Credential | None:
    return db.session.scalar(
        select(Credential).where(Credential.slug == slug).order_by(Credential.version.desc()).limit(1)
    )


def versions_of(slug: str) -> list[Credential]:
    """Every version of ``slug``, newest first."""
    return list(db.session.scalars(select(Credential).where(Credential.slug == slug).order_by(Credential.version.desc())))


@dataclass(frozen=True)
class CatalogEntry:
    """One credential of the author's catalog: its newest version, and the live one if any."""

    newest: Credential
    live: Credential | None
    versions: int


def list_credentials(author: User) -> list[CatalogEntry]:
    """The author's organization's credentials, one entry per slug, by kind then name."""
    own(author, None)
    rows = list(
        db.session.scalars(
            select(Credential).where(Credential.issuer_id == author.organization_id)
            .order_by(Credential.slug, Credential.version.desc())
        )
    )
    grouped: dict[str, list[Credential]] = {}
    for row in rows:
        grouped.setdefault(row.slug, []).append(row)
    entries = [
        CatalogEntry(newest=versions[0], live=next((v for v in versions if v.published), None), versions=len(versions))
        for versions in grouped.values()
    ]
    return sorted(entries, key=lambda e: (e.newest.kind.value != "micro", e.newest.name.lower()))


def editable(author: User, credential: Credential) -> Credential:
    """``credential`` if it may change in place: an author of its issuer, the newest version,
    never published. Raises PermissionDenied or Conflict (start a new version instead)."""
    own(author, credential.issuer_id)
    if credential.published_at is not None:
        raise Conflict(
            f"Version {credential.version} has been published, so attempts and awards may rely on it. "
            f"Start version {credential.version + 1} to make changes."
        )
    newest = db.session.scalar(select(func.max(Credential.version)).where(Credential.slug == credential.slug))
    if newest is not None and newest > credential.version:
        raise Conflict(f"Version {newest} is newer: make your changes there.")
    return credential


# --- basics ----------------------------------------------------------------------------------


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()
        if tag and tag not in cleaned:
            if len(tag) > 40:
                raise ValidationError("tags", "Keep each tag under 40 characters.")
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError("tags", f"Use at most {MAX_TAGS} tags.")
    return cleaned


def _check_basics(author: User, credential: Credential, data: CredentialData, *, allow_retired: bool = False) -> dict:
    if not (data.name or "").strip():
        raise ValidationError("name", "Give the credential a name.")
    if len(data.name) > 200:
        raise ValidationError("name", "Keep the name under 200 characters.")
    if len(data.summary or "") > 500:
        raise ValidationError("summary", "Keep the summary under 500 characters.")
    if data.estimated_hours is not None and not 1 <= data.estimated_hours <= 500:
        raise ValidationError("estimated_hours", "Enter a whole number of hours from 1 to 500.")
    if data.validity_months is not None and not 1 <= data.validity_months <= 240:
        raise ValidationError("validity_months", "Enter a number of months from 1 to 240, or leave it empty.")
    module = None
    if data.module_id is not None:
        if credential.is_stack:
            raise ValidationError("module_id", "A stack has no module of its own.")
        module = db.session.get(Module, data.module_id)
        if module is None or module.organization_id != credential.issuer_id:
            raise ValidationError("module_id", "Pick one of your organization's modules.")
    competencies = []
    if data.competency_ids:
        wanted = {int(i) for i in data.competency_ids}
        competencies = list(db.session.scalars(select(Competency).where(Competency.id.in_(wanted))))
        if len(competencies) != len(wanted):
            raise ValidationError("competency_ids", "Some of those competencies do not exist.")
        current = {c.id for c in credential.competencies}
        if not allow_retired and any(c.retired_at is not None and c.id not in current for c in competencies):
            raise ValidationError("competency_ids", "A retired competency cannot be aligned to again.")
    return {
        "name": data.name.strip(), "summary": (data.summary or "").strip(), "description": data.description or "",
        "criteria_md": data.criteria_md or "", "tags": _clean_tags(data.tags),
        "estimated_hours": data.estimated_hours, "validity_months": data.validity_months,
        "module_id": module.id if module else None, "_competencies": competencies,
    }


def create_credential(
    *, author: User, kind: CredentialKind, name: str, slug: str | None = None, summary: str = "",
) -> Credential:
    """A new draft (version 1) of the author's organization. A micro credential gets an
    empty rubric and the default decision policy to start from. Raises ValidationError."""
    own(author, author.organization_id)
    if not (name or "").strip():
        raise ValidationError("name", "Give the credential a name.")
    if len(name) > 200:
        raise ValidationError("name", "Keep the name under 200 characters.")
    if slug:
        check_slug(slug)
        if db.session.scalar(select(Credential.id).where(Credential.slug == slug).limit(1)) is not None:
            raise ValidationError("slug", "Another credential already uses this address.")
    credential = Credential(
        issuer_id=author.organization_id, kind=kind, slug=slug or unique_slug(Credential, name, max_length=120),
        version=1, name=name.strip(), summary=(summary or "").strip(), created_by=author, published=False,
        tags=[],
    )
    if kind is CredentialKind.MICRO:
        credential.rubric = Rubric()
        credential.policy = DecisionPolicy(
            peer_reviews=2, coach_rule=CoachRule.ON_DISAGREEMENT, review_days=7, max_attempts=3,
            exclude_same_school=True, allow_cross_organization=False, calibration_exact_share=0.75,
            calibration_max_gap=1, calibration_retry_hours=24,
        )
    else:
        credential.stack_rule = StackRule.ALL
    db.session.add(credential)
    db.session.flush()
    audit(author, "credential.created", "credential", credential.id, version=1, kind=kind.value, name=credential.name)
    return credential


def update_credential(*, author: User, credential: Credential, data: CredentialData) -> Credential:
    """Set the basics (name, texts, tags, hours, validity, module, competencies) of a draft."""
    editable(author, credential)
    values = _check_basics(author, credential, data)
    competencies = values.pop("_competencies")
    changed = changes(credential, values)
    if {c.id for c in credential.competencies} != {c.id for c in competencies}:
        changed["competencies"] = [[c.code for c in credential.competencies], [c.code for c in competencies]]
        credential.competencies = competencies
    db.session.flush()
    if changed:
        audit(author, "credential.updated", "credential", credential.id, version=credential.version, changes=changed)
    return credential


# --- requirements -------------------------------------------------------------------------------


def _check_requirement(data: RequirementData) -> RequirementData:
    if not (data.title or "").strip():
        raise ValidationError("title", "Give the part a title, e.g. “Lesson plan”.")
    if len(data.title) > 200:
        raise ValidationError("title", "Keep the title under 200 characters.")
    if not (data.prompt or "").strip():
        raise ValidationError("prompt", "Say what the teacher should submit.")
    unknown = set(data.accepted_types) - set(FILE_KINDS)
    if unknown:
        raise ValidationError("accepted_types", f"Choose from: {', '.join(FILE_KINDS)}.")
    if data.kind is RequirementKind.FILE and not data.accepted_types:
        raise ValidationError("accepted_types", "Choose the kinds of file a teacher may upload.")
    if not 1 <= int(data.max_files or 0) <= MAX_FILES:
        raise ValidationError("max_files", f"Allow from 1 to {MAX_FILES} files or links.")
    return data


def get_requirement(author: User, requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFound("No requirement has that id.")
    own(author, requirement.credential.issuer_id)
    return requirement


def _requirement_values(data: RequirementData) -> dict:
    return {
        "kind": data.kind, "title": data.title.strip(), "prompt": data.prompt.strip(), "guidance": data.guidance or "",
        "required": bool(data.required),
        "accepted_types": [k for k in FILE_KINDS if k in set(data.accepted_types)]
        if data.kind is RequirementKind.FILE else [],
        "max_files": int(data.max_files),
    }


def add_requirement(*, author: User, credential: Credential, data: RequirementData) -> Requirement:
    """Add a part of the evidence at the end. Only micro credentials have requirements."""
    editable(author, credential)
    if credential.is_stack:
        raise ValidationError(None, "A stack asks for no evidence of its own.")
    if len(credential.requirements) >= MAX_REQUIREMENTS:
        raise ValidationError(None, f"A credential has at most {MAX_REQUIREMENTS} parts.")
    requirement = Requirement(
        position=max((r.position for r in credential.requirements), default=-1) + 1,
        **_requirement_values(_check_requirement(data)),
    )
    credential.requirements.append(requirement)
    db.session.flush()
    audit(author, "credential.requirement_added", "credential", credential.id, version=credential.version,
          requirement=requirement.title)
    return requirement


def update_requirement(*, author: User, requirement: Requirement, data: RequirementData) -> Requirement:
    credential = editable(author, requirement.credential)
    changed = changes(requirement, _requirement_values(_check_requirement(data)))
    db.session.flush()
    if changed:
        audit(author, "credential.requirement_updated", "credential", credential.id, version=credential.version,
              requirement=requirement.title, changes=changed)
    return requirement


def delete_requirement(*, author: User, requirement: Requirement) -> Credential:
    credential = editable(author, requirement.credential)
    credential.requirements.remove(requirement)
    db.session.flush()
    reorder(credential.requirements, [r.id for r in credential.requirements])
    audit(author, "credential.requirement_removed", "credential", credential.id, version=credential.version,
          requirement=requirement.title)
    return credential


def move_requirement(*, author: User, requirement: Requirement, direction: str) -> Requirement:
    credential = editable(author, requirement.credential)
    move(credential.requirements, requirement, direction)
    db.session.flush()
    db.session.expire(credential, ["requirements"])
    return requirement


# --- the rubric builder -------------------------------------------------------------------------


def check_levels(levels: Sequence[LevelData]) -> list[LevelData]:
    """Levels left to right: two or more, labels unique, points whole and not negative,
    exactly one marked as the pass level. Raises ValidationError('levels' / 'pass_level')."""
    levels = [lv for lv in levels if (lv.label or "").strip() or (lv.descriptor or "").strip()]
    if not levels:
        raise ValidationError("levels", "A criterion needs its levels: add at least two, e.g. “Not yet” and “Proficient”.")
    if len(levels) < 2:
        raise ValidationError("levels", "Add at least two levels, so a reviewer can tell passing from not yet.")
    if len(levels) > MAX_LEVELS:
        raise ValidationError("levels", f"Use at most {MAX_LEVELS} levels.")
    labels = [(lv.label or "").strip() for lv in levels]
    if any(not label for label in labels):
        raise ValidationError("levels", "Every level needs a label.")
    if any(len(label) > 80 for label in labels):
        raise ValidationError("levels", "Keep each level label under 80 characters.")
    if len(set(labels)) != len(labels):
        raise ValidationError("levels", "Give each level its own label.")
    if any(lv.points is None or int(lv.points) < 0 or int(lv.points) > 1000 for lv in levels):
        raise ValidationError("levels", "Points are whole numbers from 0 to 1000.")
    passes = sum(1 for lv in levels if lv.is_pass)
    if passes == 0:
        raise ValidationError("pass_level", "Mark one level as the pass level.")
    if passes > 1:
        raise ValidationError("pass_level", "Mark only one level as the pass level.")
    return levels


def get_criterion(author: User, criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None:
        raise NotFound("No criterion has that id.")
    own(author, criterion.rubric.credential.issuer_id)
    return criterion


def _check_criterion(credential: Credential, data: CriterionData) -> tuple[list[LevelData], list[Requirement]]:
    if not (data.name or "").strip():
        raise ValidationError("name", "Give the criterion a name.")
    if len(data.name) > 200:
        raise ValidationError("name", "Keep the name under 200 characters.")
    by_id = {r.id: r for r in credential.requirements}
    wanted = [int(i) for i in data.requirement_ids]
    if any(i not in by_id for i in wanted):
        raise ValidationError("requirement_ids", "Pick parts of this credential's evidence.")
    return check_levels(data.levels), [by_id[i] for i in dict.fromkeys(wanted)]


def _set_levels(criterion: Criterion, levels: list[LevelData]) -> None:
    """Update the levels in place by position (exemplar references to kept levels survive)."""
    existing = list(criterion.levels)
    for level in existing:
        level.is_pass = False  # the one-pass-level index must hold after every statement
    db.session.flush()
    removed = existing[len(levels):]
    if removed:
        removed_ids = [lv.id for lv in removed if lv.id is not None]
        for exemplar_level in db.session.scalars(select(ExemplarLevel).where(ExemplarLevel.level_id.in_(removed_ids))):
            exemplar_level.exemplar.reference_levels.remove(exemplar_level)
        for level in removed:
            criterion.levels.remove(level)
        db.session.flush()
    for position, data in enumerate(levels):
        values = {"label": data.label.strip(), "points": int(data.points), "descriptor": data.descriptor or ""}
        if position < len(existing):
            for name, value in values.items():
                setattr(existing[position], name, value)
        else:
            criterion.levels.append(Level(position=position, is_pass=False, **values))
    db.session.flush()
    for position, data in enumerate(levels):
        criterion.levels[position].is_pass = bool(data.is_pass)
    db.session.flush()


def save_criterion(
    *, author: User, credential: Credential, data: CriterionData, criterion: Criterion | None = None,
) -> Criterion:
    """Add a criterion (a row of the rubric) or change one: its name, the parts it judges,
    and its levels (columns) with descriptors, points and the one pass level."""
    editable(author, credential)
    if credential.is_stack:
        raise ValidationError(None, "A stack has no rubric of its own.")
    if credential.rubric is None:
        credential.rubric = Rubric()
    rubric = credential.rubric
    if criterion is not None and criterion.rubric_id != rubric.id:
        raise NotFound("That criterion is not part of this credential.")
    levels, requirements = _check_criterion(credential, data)
    if criterion is None:
        if len(rubric.criteria) >= MAX_CRITERIA:
            raise ValidationError(None, f"A rubric has at most {MAX_CRITERIA} criteria.")
        criterion = Criterion(position=max((c.position for c in rubric.criteria), default=-1) + 1, name="")
        rubric.criteria.append(criterion)
        action = "credential.criterion_added"
    else:
        action = "credential.criterion_updated"
    criterion.name = data.name.strip()
    criterion.description = data.description or ""
    criterion.requirements = requirements
    db.session.flush()
    _set_levels(criterion, levels)
    audit(author, action, "credential", credential.id, version=credential.version, criterion=criterion.name,
          levels=[lv.label for lv in levels], pass_level=next(lv.label for lv in levels if lv.is_pass))
    return criterion


def delete_criterion(*, author: User, criterion: Criterion) -> Credential:
    credential = editable(author, criterion.rubric.credential)
    rubric = criterion.rubric
    rubric.criteria.remove(criterion)
    db.session.flush()
    reorder(rubric.criteria, [c.id for c in rubric.criteria])
    audit(author, "credential.criterion_removed", "credential", credential.id, version=credential.version,
          criterion=criterion.name)
    return credential


def move_criterion(*, author: User, criterion: Criterion, direction: str) -> Criterion:
    editable(author, criterion.rubric.credential)
    move(criterion.rubric.criteria, criterion, direction)
    db.session.flush()
    db.session.expire(criterion.rubric, ["criteria"])
    return criterion


# --- decision policy ------------------------------------------------------------------------


def check_policy(data: PolicyData) -> PolicyData:
    if not 0 <= data.peer_reviews <= 3:
        raise ValidationError("peer_reviews", "Ask for 0 to 3 peer reviews.")
    if data.peer_reviews == 0 and data.coach_rule is not CoachRule.ALWAYS:
        raise ValidationError("coach_rule", "With no peer reviews, a coach must always decide.")
    if not 1 <= data.review_days <= 90:
        raise ValidationError("review_days", "Give reviewers 1 to 90 days.")
    if not 1 <= data.max_attempts <= 10:
        raise ValidationError("max_attempts", "Allow 1 to 10 attempts.")
    if not 0 <= data.calibration_exact_share <= 1:
        raise ValidationError("calibration_exact_share", "Enter a share from 0 to 1 (0.75 is three in four).")
    if not 0 <= data.calibration_max_gap <= MAX_LEVELS:
        raise ValidationError("calibration_max_gap", f"Enter a gap from 0 to {MAX_LEVELS} levels.")
    if not 1 <= data.calibration_retry_hours <= 24 * 30:
        raise ValidationError("calibration_retry_hours", "Enter 1 to 720 hours.")
    return data


def policy_values(data: PolicyData) -> dict:
    return {name: getattr(data, name) for name in PolicyData.__dataclass_fields__}


def save_policy(*, author: User, credential: Credential, data: PolicyData) -> DecisionPolicy:
    """Set how submissions are reviewed and decided (peers, coach rule, days, attempts,
    school exclusion, cross-organization pools, the calibration agreement threshold)."""
    editable(author, credential)
    if credential.is_stack:
        raise ValidationError(None, "A stack is awarded by its rule, not by review.")
    check_policy(data)
    if credential.policy is None:
        credential.policy = DecisionPolicy(**policy_values(data))
        changed = {"policy": "created"}
    else:
        changed = changes(credential.policy, policy_values(data))
    db.session.flush()
    if changed:
        audit(author, "credential.policy_updated", "credential", credential.id, version=credential.version,
              changes=changed)
    return credential.policy


# --- calibration exemplars ------------------------------------------------------------------


def get_exemplar(author: User, exemplar_id: int) -> CalibrationExemplar:
    exemplar = db.session.get(CalibrationExemplar, exemplar_id)
    if exemplar is None:
        raise NotFound("No exemplar has that id.")
    own(author, exemplar.credential.issuer_id)
    return exemplar


def _check_exemplar(credential: Credential, data: ExemplarData) -> None:
    if not (data.title or "").strip():
        raise ValidationError("title", "Give the exemplar a title.")
    if len(data.title) > 200:
        raise ValidationError("title", "Keep the title under 200 characters.")
    if not (data.body_md or "").strip():
        raise ValidationError("body_md", "Write or paste the sample submission.")
    criteria = {c.id: c for c in (credential.rubric.criteria if credential.rubric else [])}
    for criterion_id, (level_id, _rationale) in data.levels.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise ValidationError("levels", "Reference levels must belong to this credential's criteria.")
        if level_id not in {lv.id for lv in criterion.levels}:
            raise ValidationError(f"level_{criterion_id}", f"Pick one of the levels of {criterion.name}.")
    missing = [c.name for c in criteria.values() if c.id not in data.levels]
    if missing:
        raise ValidationError("levels", f"Give a reference level for every criterion; missing: {', '.join(missing)}.")


def save_exemplar(
    *, author: User, credential: Credential, data: ExemplarData, exemplar: CalibrationExemplar | None = None,
) -> CalibrationExemplar:
    """A sample submission with the reference level (and the reason for it) on every criterion,
    which peers score to calibrate."""
    editable(author, credential)
    if credential.is_stack:
        raise ValidationError(None, "A stack has no exemplars.")
    _check_exemplar(credential, data)
    if exemplar is None:
        exemplar = CalibrationExemplar(created_by=author, title="", body_md="")
        credential.exemplars.append(exemplar)
        action = "credential.exemplar_added"
    else:
        if exemplar.credential_id != credential.id:
            raise NotFound("That exemplar is not part of this credential.")
        action = "credential.exemplar_updated"
    exemplar.title, exemplar.body_md = data.title.strip(), data.body_md
    current = {el.criterion_id: el for el in exemplar.reference_levels}
    for criterion_id, (level_id, rationale) in data.levels.items():
        row = current.get(criterion_id)
        if row is None:
            exemplar.reference_levels.append(
                ExemplarLevel(criterion_id=criterion_id, level_id=level_id, rationale=rationale or "")
            )
        else:
            row.level_id, row.rationale = level_id, rationale or ""
    db.session.flush()
    audit(author, action, "credential", credential.id, version=credential.version, exemplar=exemplar.title)
    return exemplar


def delete_exemplar(*, author: User, exemplar: CalibrationExemplar) -> Credential:
    credential = editable(author, exemplar.credential)
    credential.exemplars.remove(exemplar)
    db.session.flush()
    audit(author, "credential.exemplar_removed", "credential", credential.id, version=credential.version,
          exemplar=exemplar.title)
    return credential


# --- stacks -------------------------------------------------------------------------------------


def stack_candidates(author: User) -> list[Credential]:
    """Micro credentials a stack of the author's organization may count: the newest published
    version of each of its own, and of those it adopted."""
    from app.credentials.authoring.services.sharing import adopted_slugs

    own(author, None)
    newest = (
        select(Credential.slug, func.max(Credential.version).label("version"))
        .where(Credential.published.is_(True), Credential.kind == CredentialKind.MICRO)
        .group_by(Credential.slug).subquery()
    )
    query = (
        select(Credential)
        .join(newest, (Credential.slug == newest.c.slug) & (Credential.version == newest.c.version))
        .order_by(Credential.name)
    )
    adopted = adopted_slugs(author.organization_id)
    return [c for c in db.session.scalars(query) if c.issuer_id == author.organization_id or c.slug in adopted]


def check_stack(author: User, credential: Credential, data: StackData) -> list[Credential]:
    """The components ``data`` names, if they make a valid stack. Raises ValidationError."""
    ids = list(dict.fromkeys(int(i) for i in data.component_ids))
    if len(ids) < 2:
        raise ValidationError("component_ids", "A stack needs at least two microcredentials.")
    rows = {c.id: c for c in db.session.scalars(select(Credential).where(Credential.id.in_(ids)))}
    if len(rows) != len(ids):
        raise ValidationError("component_ids", "Some of those credentials do not exist.")
    components = [rows[i] for i in ids]
    if any(c.is_stack for c in components):
        raise ValidationError("component_ids", "A stack is made of microcredentials, not other stacks.")
    unpublished = [c.name for c in components if not c.published]
    if unpublished:
        raise ValidationError("component_ids", f"Publish these first: {', '.join(unpublished)}.")
    from app.credentials.authoring.services.sharing import adopted_slugs

    adopted = adopted_slugs(credential.issuer_id)
    foreign = [c.name for c in components if c.issuer_id != credential.issuer_id and c.slug not in adopted]
    if foreign:
        raise ValidationError("component_ids", f"Adopt these before stacking them: {', '.join(foreign)}.")
    if data.rule is StackRule.N_OF:
        if data.required_count is None or not 1 <= data.required_count <= len(components):
            raise ValidationError("required_count", f"Enter how many are needed: 1 to {len(components)}.")
    return components


def save_stack(*, author: User, credential: Credential, data: StackData) -> Credential:
    """Pick a stack's components and its rule: all of them, or N of them."""
    editable(author, credential)
    if not credential.is_stack:
        raise ValidationError(None, "Only a stack has components.")
    components = check_stack(author, credential, data)
    credential.stack_rule = data.rule
    credential.stack_required_count = data.required_count if data.rule is StackRule.N_OF else None
    credential.stack_components.clear()
    db.session.flush()
    for position, component in enumerate(components):
        credential.stack_components.append(StackComponent(component=component, position=position))
    db.session.flush()
    audit(author, "credential.stack_updated", "credential", credential.id, version=credential.version,
          rule=data.rule.value, required=credential.stack_required_count, components=[c.slug for c in components])
    return credential
