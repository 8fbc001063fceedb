"""The shapes of the demo catalog: small frozen dataclasses, no database access.

The catalog (``app.demo.catalog``) fills these in; the loader
(``app.demo.loader``) turns them into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.accounts.models import Role
from app.credentials.models import CoachRule, RequirementKind, StackRule
from app.learning.models import SectionKind
from app.reviewers.models import ReviewerRole

# Every demo rubric uses the same four levels, in this order; "Proficient" is the pass level.
LEVELS: tuple[tuple[str, int, bool], ...] = (
    ("Not yet", 1, False),
    ("Developing", 2, False),
    ("Proficient", 3, True),
    ("Exemplary", 4, False),
)
PASS_LEVEL = "Proficient"

# The titles of the four parts of evidence every demo micro credential asks for.
CONTEXT = "Context and goal"
ARTIFACT = "Artifact of practice"
IMPACT = "Evidence of impact"
REFLECTION = "Reflection and next steps"

ARTIFACT_TYPES: tuple[str, ...] = ("image", "pdf", "document", "video")


@dataclass(frozen=True)
class OrganizationSpec:
    slug: str
    name: str
    url: str
    email: str
    description: str


@dataclass(frozen=True)
class CompetencySpec:
    code: str
    name: str
    domain: str
    description: str


@dataclass(frozen=True)
class FrameworkSpec:
    slug: str
    name: str
    description: str
    competencies: tuple[CompetencySpec, ...]


@dataclass(frozen=True)
class SectionSpec:
    kind: SectionKind
    title: str
    body_md: str


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    summary: str
    estimated_hours: int
    sections: tuple[SectionSpec, ...]


@dataclass(frozen=True)
class RequirementSpec:
    kind: RequirementKind
    title: str
    prompt: str
    guidance: str
    accepted_types: tuple[str, ...] = ()
    max_files: int = 1
    required: bool = True


@dataclass(frozen=True)
class CriterionSpec:
    """A rubric row. ``requirements`` names the requirement titles it scores;
    ``descriptors`` follow ``LEVELS`` (Not yet, Developing, Proficient, Exemplary)."""

    name: str
    description: str
    requirements: tuple[str, ...]
    descriptors: tuple[str, str, str, str]


@dataclass(frozen=True)
class PolicySpec:
    peer_reviews: int = 2
    coach_rule: CoachRule = CoachRule.ON_DISAGREEMENT
    review_days: int = 7
    max_attempts: int = 3
    exclude_same_school: bool = True


@dataclass(frozen=True)
class ReferenceLevelSpec:
    """The level an exemplar deserves on one criterion, and why."""

    criterion: str
    level: str
    rationale: str


@dataclass(frozen=True)
class ExemplarSpec:
    title: str
    body_md: str
    reference_levels: tuple[ReferenceLevelSpec, ...]


@dataclass(frozen=True)
class MicroSpec:
    slug: str
    name: str
    summary: str
    description: str
    criteria_md: str
    tags: tuple[str, ...]
    estimated_hours: int
    validity_months: int | None
    competencies: tuple[str, ...]  # competency codes
    module: ModuleSpec
    requirements: tuple[RequirementSpec, ...]
    criteria: tuple[CriterionSpec, ...]
    policy: PolicySpec = field(default_factory=PolicySpec)
    exemplars: tuple[ExemplarSpec, ...] = ()


@dataclass(frozen=True)
class StackSpec:
    slug: str
    name: str
    summary: str
    description: str
    criteria_md: str
    tags: tuple[str, ...]
    components: tuple[str, ...]  # micro slugs, in display order
    rule: StackRule
    required_count: int | None = None
    validity_months: int | None = None


@dataclass(frozen=True)
class UserSpec:
    """A demo account. ``reviews_as`` grants a qualification on every demo micro."""

    email: str
    name: str
    roles: frozenset[Role]
    school: str | None
    reviews_as: ReviewerRole | None = None
    note: str = ""


def context_requirement(prompt: str, guidance: str) -> RequirementSpec:
    """The first part of every demo credential: the classroom, the students, the goal."""
    return RequirementSpec(RequirementKind.TEXT, CONTEXT, prompt, guidance)


def artifact_requirement(prompt: str, guidance: str) -> RequirementSpec:
    """The second part: files that show the practice itself."""
    return RequirementSpec(
        RequirementKind.FILE, ARTIFACT, prompt, guidance, accepted_types=ARTIFACT_TYPES, max_files=5
    )


def impact_requirement(prompt: str, guidance: str) -> RequirementSpec:
    """The third part: a before/after table of a classroom measure."""
    return RequirementSpec(RequirementKind.DATA, IMPACT, prompt, guidance)


def reflection_requirement(prompt: str, guidance: str) -> RequirementSpec:
    """The last part: what the teacher learned and will do next."""
    return RequirementSpec(RequirementKind.TEXT, REFLECTION, prompt, guidance)
