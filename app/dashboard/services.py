"""The teacher's dashboard, read in a fixed number of queries however much she has done.

The dashboard sits on top of the domains (like portfolio and analytics) and only
reads. A credential is identified by its slug here, so work on one version and
an award of another count as the same credential.

Each credential appears in one work bucket, by its latest attempt:

- ``waiting``: the latest attempt is submitted or in review;
- ``not_yet``: the latest attempt came back "not yet" (a revision is due);
- ``in_progress``: everything else she is enrolled in (or has a draft for)
  and has not earned; a new draft after a "not yet" moves it back here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import User
from app.credentials.models import Award, Competency, Credential, StackComponent, StackRule
from app.credentials.services import catalog_query
from app.db import utcnow
from app.evidence.models import Submission, SubmissionStatus
from app.extensions import db
from app.learning.models import Enrollment, EnrollmentStatus
from app.learning.services import ProgressSummary, enrollment_options, progress

DUE_SOON_DAYS = 14
MAX_SUGGESTIONS = 4


@dataclass(frozen=True)
class InProgress:
    """A credential she is working on: her enrollment (None when she only has a
    draft, e.g. one made through the API), module progress and current draft."""

    credential: Credential
    enrollment: Enrollment | None
    progress: ProgressSummary | None
    draft: Submission | None


@dataclass(frozen=True)
class GoalDue:
    """A goal date within ``DUE_SOON_DAYS`` days, or already passed (``days_left < 0``)."""

    enrollment: Enrollment
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class StackProgress:
    """Progress toward a stack: ``earned`` of ``required`` components ("2 of 3")."""

    stack: Credential
    earned: int
    required: int
    working_on: int
    awarded: bool
    missing: list[Credential] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return max(self.required - self.earned, 0)


@dataclass(frozen=True)
class Suggestion:
    """A published microcredential to try next, and why: the stack it completes
    (with how many remain) and/or the competencies it would newly cover."""

    credential: Credential
    stack: StackProgress | None
    new_competencies: list[Competency]


@dataclass(frozen=True)
class Dashboard:
    in_progress: list[InProgress]
    waiting: list[Submission]
    not_yet: list[Submission]
    earned: list[Award]
    stacks: list[StackProgress]
    coming_due: list[GoalDue]
    suggestions: list[Suggestion]

    @property
    def is_empty(self) -> bool:
        """True for a teacher who has not started anything yet."""
        return not (self.in_progress or self.waiting or self.not_yet or self.earned)


def _latest_attempts(submissions: Iterable[Submission]) -> dict[str, Submission]:
    """The latest non-withdrawn attempt per credential slug."""
    latest: dict[str, Submission] = {}
    for submission in submissions:
        if submission.status is SubmissionStatus.WITHDRAWN:
            continue
        slug = submission.credential.slug
        current = latest.get(slug)
        if current is None or (submission.attempt, submission.id) > (current.attempt, current.id):
            latest[slug] = submission
    return latest


def _stack_progress(earned_slugs: set[str], working_slugs: set[str]) -> list[StackProgress]:
    """Published stacks with at least one component she has earned or is working on.
    ``earned_slugs`` holds every credential she holds an unrevoked award of."""
    engaged = earned_slugs | working_slugs
    if not engaged:
        return []
    component = aliased(Credential)
    with_engaged_component = (
        select(StackComponent.stack_id)
        .join(component, StackComponent.component_id == component.id)
        .where(component.slug.in_(engaged))
    )
    stacks = db.session.scalars(
        catalog_query(kind="stack")
        .where(Credential.id.in_(with_engaged_component))
        .options(selectinload(Credential.stack_components).selectinload(StackComponent.component))
    ).all()
    result = []
    for stack in stacks:
        components = [sc.component for sc in stack.stack_components]
        required = (
            min(stack.stack_required_count, len(components))
            if stack.stack_rule is StackRule.N_OF and stack.stack_required_count
            else len(components)
        )
        earned = sum(1 for c in components if c.slug in earned_slugs)
        result.append(StackProgress(
            stack=stack,
            earned=earned,
            required=required,
            working_on=sum(1 for c in components if c.slug in working_slugs and c.slug not in earned_slugs),
            awarded=stack.slug in earned_slugs,
            missing=[c for c in components if c.slug not in earned_slugs],
        ))
    result.sort(key=lambda s: (s.awarded, s.remaining, s.stack.name))
    return result


def _suggestions(
    engaged_slugs: set[str], covered: set[int], stacks: list[StackProgress]
) -> list[Suggestion]:
    """Published micros she has not touched: first those that bring an unfinished
    stack closer (fewest remaining first), then those covering the most
    competencies she has not worked on yet."""
    query = catalog_query(kind="micro")
    if engaged_slugs:
        query = query.where(Credential.slug.not_in(engaged_slugs))
    candidates = db.session.scalars(query).all()
    open_stacks = [s for s in stacks if not s.awarded and s.remaining > 0]
    ranked = []
    for credential in candidates:
        new = [c for c in credential.competencies if c.id not in covered]
        stack = next(
            (s for s in sorted(open_stacks, key=lambda s: s.remaining)
             if any(m.slug == credential.slug for m in s.missing)),
            None,
        )
        if stack is None and not new:
            continue
        rank = (stack.remaining if stack else 1_000_000, -len(new), credential.name)
        ranked.append((rank, Suggestion(credential=credential, stack=stack, new_competencies=new)))
    ranked.sort(key=lambda pair: pair[0])
    return [suggestion for _, suggestion in ranked[:MAX_SUGGESTIONS]]


def teacher_dashboard(teacher: User, *, today: date | None = None) -> Dashboard:
    """Everything the teacher's dashboard shows, in a fixed number of queries.

    ``today`` (default: the UTC date) decides which goal dates are coming due.
    Only her own enrollments, submissions and awards are read.
    """
    today = today or utcnow().date()
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == teacher.id, Enrollment.status != EnrollmentStatus.LEFT)
        .options(*enrollment_options(), selectinload(Enrollment.credential).selectinload(Credential.competencies))
        .order_by(Enrollment.started_at.desc(), Enrollment.id.desc())
    ).all()
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.teacher_id == teacher.id)
        .options(selectinload(Submission.credential))
        .order_by(Submission.id)
    ).all()
    awards = db.session.scalars(
        select(Award)
        .where(Award.recipient_id == teacher.id, Award.revoked_at.is_(None))
        .options(selectinload(Award.credential).selectinload(Credential.competencies))
        .order_by(Award.issued_at.desc(), Award.id.desc())
    ).all()

    awarded_slugs = {a.credential.slug for a in awards}
    latest = {slug: s for slug, s in _latest_attempts(submissions).items() if slug not in awarded_slugs}
    waiting = [s for s in latest.values() if s.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW)]
    not_yet = [s for s in latest.values() if s.status is SubmissionStatus.NOT_YET]
    set_aside = {s.credential.slug for s in waiting + not_yet}

    in_progress: list[InProgress] = []
    listed: set[str] = set()
    for enrollment in enrollments:
        slug = enrollment.credential.slug
        if slug in awarded_slugs or slug in set_aside or slug in listed:
            continue
        listed.add(slug)
        attempt = latest.get(slug)
        draft = attempt if attempt is not None and attempt.status is SubmissionStatus.DRAFT else None
        in_progress.append(InProgress(enrollment.credential, enrollment, progress(enrollment), draft))
    for slug, attempt in latest.items():
        if attempt.status is SubmissionStatus.DRAFT and slug not in listed:
            listed.add(slug)
            in_progress.append(InProgress(attempt.credential, None, None, attempt))

    active = [e for e in enrollments if e.credential.slug in listed or e.credential.slug in set_aside]
    coming_due = sorted(
        (GoalDue(e, (e.goal_date - today).days) for e in active
         if e.goal_date is not None and e.goal_date <= today + timedelta(days=DUE_SOON_DAYS)),
        key=lambda g: (g.enrollment.goal_date, g.enrollment.credential.name),
    )

    working_slugs = listed | set_aside
    stacks = _stack_progress(awarded_slugs, working_slugs)
    covered = {c.id for e in enrollments for c in e.credential.competencies}
    covered |= {c.id for a in awards for c in a.credential.competencies}
    engaged = awarded_slugs | working_slugs | {e.credential.slug for e in enrollments}
    suggestions = _suggestions(engaged, covered, stacks)

    return Dashboard(
        in_progress=in_progress,
        waiting=sorted(waiting, key=lambda s: (s.submitted_at or s.created_at), reverse=True),
        not_yet=sorted(not_yet, key=lambda s: (s.decided_at or s.updated_at), reverse=True),
        earned=list(awards),
        stacks=stacks,
        coming_due=coming_due,
        suggestions=suggestions,
    )
