"""Insert the demo catalog (``app.demo.catalog``) into the database, idempotently.

Every row is looked up by its natural key before it is created: organization
slug, school name within the organization, user e-mail, framework slug,
competency code within the framework, credential slug at version 1, and
(user, credential, role) for qualifications. A credential that already exists
is left exactly as it is, parts and all, so a designer's later edits survive a
reload. Running the loader twice therefore creates nothing the second time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select

from app.accounts import services as account_services
from app.accounts.models import Organization, School, User
from app.audit import record_event
from app.credentials.models import (
    CalibrationExemplar,
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    DecisionPolicy,
    ExemplarLevel,
    Framework,
    Level,
    Requirement,
    Rubric,
    StackComponent,
)
from app.db import utcnow
from app.demo import catalog
from app.demo.specs import LEVELS, CriterionSpec, ExemplarSpec, MicroSpec, StackSpec, UserSpec
from app.extensions import db
from app.learning.models import Module, ModuleSection
from app.reviewers.models import Qualification, QualificationSource, ReviewerRole

# The keys of the dict ``load_demo`` returns, in the order the summary prints them.
COUNT_KEYS: tuple[str, ...] = (
    "organizations",
    "schools",
    "users",
    "frameworks",
    "competencies",
    "modules",
    "micros",
    "stacks",
    "exemplars",
    "qualifications",
)


def load_demo() -> dict[str, int]:
    """Insert whatever part of the demo catalog is missing, publish its credentials,
    and return how many rows of each kind were created (see ``COUNT_KEYS``).

    Idempotent: existing rows are found by natural key and left untouched, so a
    second run returns all zeros. Flushes but does not commit; the caller commits.
    Records one ``demo.loaded`` audit event when anything was created.
    """
    created: Counter[str] = Counter()
    org = _ensure_organization(created)
    schools = {name: _ensure_school(org, name, created) for name in catalog.SCHOOLS}
    users = {spec.email: _ensure_user(spec, org, schools, created) for spec in catalog.USERS}
    designer = users[catalog.DESIGNER_EMAIL]
    admin = users[catalog.ADMIN_EMAIL]

    framework = _ensure_framework(org, created)
    competencies = {competency.code: competency for competency in framework.competencies}
    micros = [_ensure_micro(spec, org, competencies, designer, created) for spec in catalog.MICROS]
    by_slug = {credential.slug: credential for credential in micros}
    for spec in catalog.STACKS:
        _ensure_stack(spec, org, by_slug, designer, created)
    for spec in catalog.USERS:
        if spec.reviews_as is not None:
            _ensure_qualifications(users[spec.email], spec.reviews_as, micros, admin, created)
    db.session.flush()

    counts = {key: created[key] for key in COUNT_KEYS}
    if any(counts.values()):
        record_event(actor=None, action="demo.loaded", object_type="organization", object_id=org.id,
                     created=counts)
        db.session.flush()
    return counts


def database_is_empty() -> bool:
    """True when no organization and no user exist yet (a fresh install)."""
    return (
        db.session.scalar(select(Organization.id).limit(1)) is None
        and db.session.scalar(select(User.id).limit(1)) is None
    )


def demo_accounts() -> list[dict[str, object]]:
    """The demo logins as ``[{"email", "password", "roles"}]``, roles sorted; read
    from the catalog, so it matches what ``load_demo`` creates for new accounts."""
    return [
        {
            "email": spec.email,
            "password": catalog.DEMO_PASSWORD,
            "roles": sorted(role.value for role in spec.roles),
        }
        for spec in catalog.USERS
    ]


def _ensure_organization(created: Counter[str]) -> Organization:
    spec = catalog.ORGANIZATION
    org = db.session.scalar(select(Organization).where(Organization.slug == spec.slug))
    if org is None:
        org = Organization(slug=spec.slug, name=spec.name, url=spec.url, email=spec.email,
                           description=spec.description)
        db.session.add(org)
        db.session.flush()
        created["organizations"] += 1
    return org


def _ensure_school(org: Organization, name: str, created: Counter[str]) -> School:
    school = db.session.scalar(
        select(School).where(School.organization_id == org.id, School.name == name)
    )
    if school is None:
        school = School(organization=org, name=name)
        db.session.add(school)
        created["schools"] += 1
    return school


def _ensure_user(spec: UserSpec, org: Organization, schools: dict[str, School],
                 created: Counter[str]) -> User:
    user = account_services.find_user_by_email(spec.email)
    if user is None:
        user = account_services.create_user(
            email=spec.email,
            name=spec.name,
            password=catalog.DEMO_PASSWORD,
            roles=set(spec.roles),
            organization=org,
            school=schools[spec.school] if spec.school else None,
        )
        created["users"] += 1
    return user


def _ensure_framework(org: Organization, created: Counter[str]) -> Framework:
    spec = catalog.FRAMEWORK
    framework = db.session.scalar(select(Framework).where(Framework.slug == spec.slug))
    if framework is None:
        framework = Framework(organization=org, slug=spec.slug, name=spec.name,
                              description=spec.description)
        db.session.add(framework)
        created["frameworks"] += 1
    have = {competency.code for competency in framework.competencies}
    for position, competency in enumerate(spec.competencies):
        if competency.code not in have:
            framework.competencies.append(
                Competency(code=competency.code, name=competency.name, domain=competency.domain,
                           description=competency.description, position=position)
            )
            created["competencies"] += 1
    db.session.flush()
    return framework


def _find_credential(slug: str) -> Credential | None:
    return db.session.scalar(select(Credential).where(Credential.slug == slug, Credential.version == 1))


def _ensure_micro(spec: MicroSpec, org: Organization, competencies: dict[str, Competency],
                  author: User, created: Counter[str]) -> Credential:
    credential = _find_credential(spec.slug)
    if credential is not None:
        return credential

    module = Module(
        organization=org,
        title=spec.module.title,
        summary=spec.module.summary,
        estimated_hours=spec.module.estimated_hours,
        sections=[
            ModuleSection(position=position, kind=section.kind, title=section.title, body_md=section.body_md)
            for position, section in enumerate(spec.module.sections)
        ],
    )
    requirements = {
        requirement.title: Requirement(
            position=position,
            kind=requirement.kind,
            title=requirement.title,
            prompt=requirement.prompt,
            guidance=requirement.guidance,
            required=requirement.required,
            accepted_types=list(requirement.accepted_types),
            max_files=requirement.max_files,
        )
        for position, requirement in enumerate(spec.requirements)
    }
    rubric = Rubric(
        criteria=[_criterion(position, criterion, requirements)
                  for position, criterion in enumerate(spec.criteria)]
    )
    policy = spec.policy
    credential = Credential(
        issuer=org,
        kind=CredentialKind.MICRO,
        slug=spec.slug,
        version=1,
        name=spec.name,
        summary=spec.summary,
        description=spec.description,
        criteria_md=spec.criteria_md,
        tags=list(spec.tags),
        estimated_hours=spec.estimated_hours,
        validity_months=spec.validity_months,
        module=module,
        competencies=[competencies[code] for code in spec.competencies],
        requirements=list(requirements.values()),
        rubric=rubric,
        policy=DecisionPolicy(
            peer_reviews=policy.peer_reviews,
            coach_rule=policy.coach_rule,
            review_days=policy.review_days,
            max_attempts=policy.max_attempts,
            exclude_same_school=policy.exclude_same_school,
        ),
        exemplars=[_exemplar(exemplar, rubric, author) for exemplar in spec.exemplars],
        published=True,
        published_at=utcnow(),
        created_by=author,
    )
    db.session.add(credential)
    db.session.flush()
    created["modules"] += 1
    created["micros"] += 1
    created["exemplars"] += len(spec.exemplars)
    return credential


def _criterion(position: int, spec: CriterionSpec, requirements: dict[str, Requirement]) -> Criterion:
    return Criterion(
        position=position,
        name=spec.name,
        description=spec.description,
        requirements=[requirements[title] for title in spec.requirements],
        levels=[
            Level(position=index, label=label, points=points, is_pass=is_pass, descriptor=descriptor)
            for index, ((label, points, is_pass), descriptor)
            in enumerate(zip(LEVELS, spec.descriptors, strict=True))
        ],
    )


def _exemplar(spec: ExemplarSpec, rubric: Rubric, author: User) -> CalibrationExemplar:
    criteria = {criterion.name: criterion for criterion in rubric.criteria}
    reference_levels = []
    for reference in spec.reference_levels:
        criterion = criteria[reference.criterion]
        level = next(level for level in criterion.levels if level.label == reference.level)
        reference_levels.append(ExemplarLevel(criterion=criterion, level=level, rationale=reference.rationale))
    return CalibrationExemplar(title=spec.title, body_md=spec.body_md, created_by_id=author.id,
                               reference_levels=reference_levels)


def _ensure_stack(spec: StackSpec, org: Organization, micros: dict[str, Credential],
                  author: User, created: Counter[str]) -> Credential:
    stack = _find_credential(spec.slug)
    if stack is not None:
        return stack
    components = [micros[slug] for slug in spec.components]
    aligned: dict[int, Competency] = {}
    for component in components:
        for competency in component.competencies:
            aligned.setdefault(competency.id, competency)
    stack = Credential(
        issuer=org,
        kind=CredentialKind.STACK,
        slug=spec.slug,
        version=1,
        name=spec.name,
        summary=spec.summary,
        description=spec.description,
        criteria_md=spec.criteria_md,
        tags=list(spec.tags),
        validity_months=spec.validity_months,
        competencies=sorted(aligned.values(), key=lambda competency: competency.position),
        stack_rule=spec.rule,
        stack_required_count=spec.required_count,
        stack_components=[
            StackComponent(component=component, position=position)
            for position, component in enumerate(components)
        ],
        published=True,
        published_at=utcnow(),
        created_by=author,
    )
    db.session.add(stack)
    db.session.flush()
    created["stacks"] += 1
    return stack


def _ensure_qualifications(user: User, role: ReviewerRole, credentials: Iterable[Credential],
                           grantor: User, created: Counter[str]) -> None:
    """A granted, calibrated qualification for ``user`` as ``role`` on each credential."""
    have = set(
        db.session.scalars(
            select(Qualification.credential_id).where(
                Qualification.user_id == user.id, Qualification.role == role
            )
        )
    )
    now = utcnow()
    for credential in credentials:
        if credential.id in have:
            continue
        db.session.add(
            Qualification(
                user=user,
                credential=credential,
                role=role,
                source=QualificationSource.GRANT,
                granted_by=grantor,
                calibrated_at=now,
                active=True,
            )
        )
        created["qualifications"] += 1
