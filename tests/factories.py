"""Model factories: plain functions that build valid rows, commit them and return them."""

from __future__ import annotations

import itertools

from app.accounts.auth import hash_password
from app.accounts.models import Organization, Role, School, User
from app.credentials.models import (
    CoachRule,
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    DecisionPolicy,
    Framework,
    Level,
    Requirement,
    RequirementKind,
    Rubric,
    StackComponent,
    StackRule,
)
from app.db import utcnow
from app.extensions import db
from app.learning.models import Module, ModuleSection, SectionKind

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def organization(**kwargs) -> Organization:
    n = _n()
    org = Organization(
        slug=kwargs.pop("slug", f"org-{n}"), name=kwargs.pop("name", f"District {n}"),
        url=kwargs.pop("url", f"https://district{n}.example.org"),
        email=kwargs.pop("email", f"badges@district{n}.example.org"), **kwargs,
    )
    db.session.add(org)
    db.session.commit()
    return org


def school(organization: Organization, name: str | None = None) -> School:
    row = School(organization=organization, name=name or f"School {_n()}")
    db.session.add(row)
    db.session.commit()
    return row


def user(
    *, roles: set[Role] | None = None, organization: Organization | None = None, school: School | None = None,
    email: str | None = None, password: str = PASSWORD, active: bool = True, name: str | None = None,
) -> User:
    n = _n()
    row = User(
        email=email or f"user{n}@example.org", name=name or f"User {n}",
        password_hash=hash_password(password), organization=organization or (school.organization if school else None),
        school=school, active=active,
    )
    row.set_roles(roles or {Role.TEACHER})
    db.session.add(row)
    db.session.commit()
    return row


def framework(organization: Organization, competencies: int = 2) -> Framework:
    n = _n()
    fw = Framework(organization=organization, slug=f"framework-{n}", name=f"Framework {n}")
    for i in range(competencies):
        fw.competencies.append(
            Competency(code=f"C{n}.{i + 1}", name=f"Competency {n}.{i + 1}", domain="Domain A" if i % 2 == 0 else "Domain B",
                       position=i)
        )
    db.session.add(fw)
    db.session.commit()
    return fw


def micro_credential(
    organization: Organization, *, competencies: list[Competency] | None = None, published: bool = True,
    slug: str | None = None, name: str | None = None, peer_reviews: int = 2,
    coach_rule: CoachRule = CoachRule.ON_DISAGREEMENT, version: int = 1,
) -> Credential:
    """A complete micro credential: module, three requirements, a 4-level rubric, a policy."""
    n = _n()
    module = Module(organization=organization, title=f"Module {n}", estimated_hours=5)
    module.sections = [
        ModuleSection(position=i, kind=kind, title=kind.value.replace("_", " ").title(), body_md=f"Section {i} text.")
        for i, kind in enumerate([SectionKind.KEY_METHOD, SectionKind.RESEARCH, SectionKind.RESOURCES, SectionKind.PRACTICE])
    ]
    credential = Credential(
        issuer=organization, kind=CredentialKind.MICRO, slug=slug or f"micro-{n}", version=version,
        name=name or f"Microcredential {n}", summary="A short summary.", description="What it recognises.",
        criteria_md="Show **it** in your classroom.", tags=["demo"], estimated_hours=5, validity_months=36,
        module=module, published=published, published_at=utcnow() if published else None,
        competencies=competencies or [],
    )
    kinds = [RequirementKind.TEXT, RequirementKind.FILE, RequirementKind.DATA]
    credential.requirements = [
        Requirement(position=i, kind=kind, title=f"Part {i + 1}", prompt=f"Prompt {i + 1}",
                    accepted_types=["image", "pdf"] if kind is RequirementKind.FILE else [])
        for i, kind in enumerate(kinds)
    ]
    rubric = Rubric()
    for i, requirement in enumerate(credential.requirements):
        criterion = Criterion(position=i, name=f"Criterion {i + 1}", requirements=[requirement])
        criterion.levels = [
            Level(position=p, label=label, points=p + 1, descriptor=f"{label} descriptor", is_pass=label == "Proficient")
            for p, label in enumerate(["Not yet", "Developing", "Proficient", "Exemplary"])
        ]
        rubric.criteria.append(criterion)
    credential.rubric = rubric
    credential.policy = DecisionPolicy(peer_reviews=peer_reviews, coach_rule=coach_rule)
    db.session.add(credential)
    db.session.commit()
    return credential


def stack_credential(
    organization: Organization, components: list[Credential], *, required: int | None = None, published: bool = True
) -> Credential:
    n = _n()
    stack = Credential(
        issuer=organization, kind=CredentialKind.STACK, slug=f"stack-{n}", name=f"Stack {n}",
        summary="Several microcredentials together.", criteria_md="Earn the components.",
        stack_rule=StackRule.N_OF if required else StackRule.ALL, stack_required_count=required,
        published=published, published_at=utcnow() if published else None,
    )
    stack.stack_components = [StackComponent(component=c, position=i) for i, c in enumerate(components)]
    db.session.add(stack)
    db.session.commit()
    return stack


# --- evidence and review (appended for the teacher journey) ---------------------------------


def submission(
    teacher: User, credential: Credential, *, status=None, attempt: int = 1, previous=None, change_note: str = "",
):
    """An attempt by ``teacher`` (a draft unless ``status`` says otherwise); submitted and
    later statuses get ``submitted_at``, withdrawn ``withdrawn_at``, decided ``decided_at``."""
    from app.evidence.models import Submission, SubmissionStatus

    status = status or SubmissionStatus.DRAFT
    now = utcnow()
    row = Submission(
        teacher=teacher, credential=credential, attempt=attempt, status=status, previous=previous,
        change_note=change_note,
        submitted_at=None if status is SubmissionStatus.DRAFT else now,
        withdrawn_at=now if status is SubmissionStatus.WITHDRAWN else None,
        decided_at=now if status in (SubmissionStatus.PASSED, SubmissionStatus.NOT_YET) else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def qualification(user: User, *, credential: Credential | None = None, framework: Framework | None = None,
                  role=None, active: bool = True):
    """A reviewer qualification (coach by default) on a credential or a framework."""
    from app.reviewers.models import Qualification, QualificationSource, ReviewerRole

    row = Qualification(
        user=user, credential=credential, framework=framework, role=role or ReviewerRole.COACH,
        source=QualificationSource.GRANT, active=active,
    )
    db.session.add(row)
    db.session.commit()
    return row


def assignment(reviewer: User, submission, *, status=None, role=None):
    """A review assignment of ``submission`` to ``reviewer`` (pending, peer by default)."""
    from datetime import timedelta

    from app.reviewers.models import Assignment, AssignmentStatus, ReviewerRole

    row = Assignment(
        submission=submission, reviewer=reviewer, role=role or ReviewerRole.PEER,
        status=status or AssignmentStatus.PENDING, due_at=utcnow() + timedelta(days=7),
    )
    db.session.add(row)
    db.session.commit()
    return row
