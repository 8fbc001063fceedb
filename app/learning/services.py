"""Learning rules: enrolling in a credential, goal dates, section progress, resume.

Services take the acting teacher as an argument, flush, and never commit; the
caller (a view, the API or another domain's service) commits once. A teacher
acts only on her own enrollment: every function that takes an enrollment
raises ``PermissionDenied`` when it belongs to someone else.

An enrollment's ``status`` is ``active`` while the module has sections left,
``completed`` once every section is marked done (``completed_at`` records
when), and ``left`` when the teacher stops; starting again reactivates it and
keeps the progress she had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.credentials.models import Credential
from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.learning.models import Enrollment, EnrollmentStatus, Module, ModuleSection, SectionProgress

# A goal further out than this is almost certainly a typo (2205 for 2025).
MAX_GOAL_YEARS = 5


def earliest_goal_date() -> date:
    """The earliest goal date accepted: today somewhere on Earth.

    Teachers are in many time zones and the server only knows UTC, so a date is
    refused as past only once it has ended everywhere (UTC-12 is the last zone
    to leave a day)."""
    return (utcnow() - timedelta(hours=12)).date()


def latest_goal_date() -> date:
    """The latest goal date accepted."""
    return utcnow().date() + timedelta(days=366 * MAX_GOAL_YEARS)


def check_goal_date(goal_date: date | None) -> None:
    """Raise ValidationError('goal_date') for a date in the past or absurdly far ahead; None is fine."""
    if goal_date is None:
        return
    if goal_date < earliest_goal_date():
        raise ValidationError("goal_date", "That date has passed. Pick today or a day in the future.")
    if goal_date > latest_goal_date():
        raise ValidationError("goal_date", f"Pick a date within the next {MAX_GOAL_YEARS} years.")


def _check_owner(teacher: User, enrollment: Enrollment) -> None:
    if enrollment.user_id != teacher.id:
        raise PermissionDenied("That is someone else's enrollment.")


def _check_active(enrollment: Enrollment) -> None:
    if enrollment.status is EnrollmentStatus.LEFT:
        raise Conflict("You stopped working on this credential. Start it again to pick up where you left off.")


def enroll(*, teacher: User, credential: Credential, goal_date: date | None = None) -> Enrollment:
    """Enroll ``teacher`` in ``credential`` and return the enrollment.

    Idempotent: an existing enrollment in the same credential version is
    returned (reactivated if she had left it), with its goal date replaced only
    when ``goal_date`` is given. Raises NotFound for an unpublished credential,
    ValidationError(None) for a stack (stacks are earned through their
    microcredentials, there is nothing to enroll in) and
    ValidationError('goal_date') for a past date.
    """
    if not credential.published:
        raise NotFound("No published credential has that address.")
    if credential.is_stack:
        raise ValidationError(
            None, "A stack is earned through its microcredentials: start one of those instead."
        )
    check_goal_date(goal_date)
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == teacher.id, Enrollment.credential_id == credential.id)
    )
    if enrollment is None:
        enrollment = Enrollment(user=teacher, credential=credential, goal_date=goal_date)
        db.session.add(enrollment)
    else:
        if enrollment.status is EnrollmentStatus.LEFT:
            enrollment.status = (
                EnrollmentStatus.COMPLETED if enrollment.completed_at else EnrollmentStatus.ACTIVE
            )
        if goal_date is not None:
            enrollment.goal_date = goal_date
    db.session.flush()
    return enrollment


def set_goal_date(*, teacher: User, enrollment: Enrollment, goal_date: date | None) -> Enrollment:
    """Set or (with None) clear the goal date. Raises PermissionDenied,
    Conflict (she left it) or ValidationError('goal_date')."""
    _check_owner(teacher, enrollment)
    _check_active(enrollment)
    check_goal_date(goal_date)
    enrollment.goal_date = goal_date
    db.session.flush()
    return enrollment


def leave(*, teacher: User, enrollment: Enrollment) -> Enrollment:
    """Stop working on a credential. Progress is kept, so starting again resumes it."""
    _check_owner(teacher, enrollment)
    enrollment.status = EnrollmentStatus.LEFT
    db.session.flush()
    return enrollment


def _module_sections(enrollment: Enrollment) -> list[ModuleSection]:
    module = enrollment.credential.module
    return list(module.sections) if module is not None else []


def _check_section(enrollment: Enrollment, section: ModuleSection) -> None:
    module_id = enrollment.credential.module_id
    if module_id is None or section.module_id != module_id:
        raise NotFound("That section is not part of this module.")


def _sync_completion(enrollment: Enrollment) -> None:
    """Keep ``status``/``completed_at`` in step with whether every section is done."""
    sections = _module_sections(enrollment)
    done = {p.section_id for p in enrollment.progress}
    complete = bool(sections) and all(s.id in done for s in sections)
    if complete and enrollment.status is EnrollmentStatus.ACTIVE:
        enrollment.status = EnrollmentStatus.COMPLETED
        enrollment.completed_at = utcnow()
    elif not complete and enrollment.status is EnrollmentStatus.COMPLETED:
        enrollment.status = EnrollmentStatus.ACTIVE
        enrollment.completed_at = None


def mark_section_done(*, teacher: User, enrollment: Enrollment, section: ModuleSection) -> SectionProgress:
    """Record ``section`` as done (idempotent) and remember it as the place to resume.

    Raises PermissionDenied (not her enrollment), NotFound (the section is not
    in this credential's module) or Conflict (she left the module)."""
    _check_owner(teacher, enrollment)
    _check_section(enrollment, section)
    _check_active(enrollment)
    enrollment.last_section_id = section.id
    row = next((p for p in enrollment.progress if p.section_id == section.id), None)
    if row is None:
        row = _insert_progress(enrollment, section)
    _sync_completion(enrollment)
    db.session.flush()
    return row


def _insert_progress(enrollment: Enrollment, section: ModuleSection) -> SectionProgress:
    """Insert the progress row in a savepoint: a double-click sends two requests,
    and the second must find the first one's row rather than fail."""
    try:
        with db.session.begin_nested():
            row = SectionProgress(enrollment_id=enrollment.id, section_id=section.id)
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalars(
            select(SectionProgress).where(
                SectionProgress.enrollment_id == enrollment.id, SectionProgress.section_id == section.id
            )
        ).one()
    db.session.expire(enrollment, ["progress"])
    return row


def mark_section_not_done(*, teacher: User, enrollment: Enrollment, section: ModuleSection) -> None:
    """Undo ``mark_section_done`` (idempotent). Raises like ``mark_section_done``."""
    _check_owner(teacher, enrollment)
    _check_section(enrollment, section)
    _check_active(enrollment)
    enrollment.last_section_id = section.id
    for row in [p for p in enrollment.progress if p.section_id == section.id]:
        enrollment.progress.remove(row)
    _sync_completion(enrollment)
    db.session.flush()


def visit_section(*, teacher: User, enrollment: Enrollment, section: ModuleSection) -> None:
    """Remember ``section`` as where she is, so the module page can resume there.

    Writes only when the section changes. Raises PermissionDenied or NotFound;
    a visit to a module she left is allowed and not recorded."""
    _check_owner(teacher, enrollment)
    _check_section(enrollment, section)
    if enrollment.status is not EnrollmentStatus.LEFT and enrollment.last_section_id != section.id:
        enrollment.last_section_id = section.id
        db.session.flush()


@dataclass(frozen=True)
class ProgressSummary:
    """Where a teacher stands in a module. ``next_section`` is where to resume:
    the last section she visited if it is not done, else the first one not
    done; None when every section is done (or the module has none)."""

    done: int
    total: int
    done_section_ids: frozenset[int]
    next_section: ModuleSection | None
    started: bool

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total


def progress(enrollment: Enrollment) -> ProgressSummary:
    """Summarize ``enrollment``'s progress. Runs no query when the module's
    sections and the enrollment's progress rows are loaded (see ``find_enrollment``)."""
    sections = _module_sections(enrollment)
    section_ids = {s.id for s in sections}
    done_ids = frozenset(p.section_id for p in enrollment.progress if p.section_id in section_ids)
    last = next((s for s in sections if s.id == enrollment.last_section_id), None)
    if last is not None and last.id not in done_ids:
        next_section = last
    else:
        next_section = next((s for s in sections if s.id not in done_ids), None)
    return ProgressSummary(
        done=len(done_ids),
        total=len(sections),
        done_section_ids=done_ids,
        next_section=next_section,
        started=bool(done_ids) or last is not None,
    )


def enrollment_options() -> tuple:
    """Loader options for everything ``progress`` and the module pages read."""
    return (
        selectinload(Enrollment.credential).selectinload(Credential.module).selectinload(Module.sections),
        selectinload(Enrollment.progress),
    )


def find_enrollment(*, teacher: User, slug: str, include_left: bool = False, load: bool = True) -> Enrollment | None:
    """``teacher``'s enrollment in the credential ``slug`` (the newest version she
    enrolled in), or None. With ``load`` the module, its sections and her
    progress come with it in a bounded number of queries; without, one query."""
    query = (
        select(Enrollment)
        .join(Enrollment.credential)
        .where(Enrollment.user_id == teacher.id, Credential.slug == slug)
        .order_by(Credential.version.desc())
        .limit(1)
    )
    if not include_left:
        query = query.where(Enrollment.status != EnrollmentStatus.LEFT)
    if load:
        query = query.options(*enrollment_options())
    return db.session.scalar(query)


def section_of(enrollment: Enrollment, section_id: int) -> ModuleSection:
    """The section ``section_id`` of the enrollment's module. Raises NotFound."""
    section = next((s for s in _module_sections(enrollment) if s.id == section_id), None)
    if section is None:
        raise NotFound("That section is not part of this module.")
    return section


def neighbours(enrollment: Enrollment, section: ModuleSection) -> tuple[ModuleSection | None, ModuleSection | None]:
    """The sections before and after ``section`` in module order."""
    sections = _module_sections(enrollment)
    index = next(i for i, s in enumerate(sections) if s.id == section.id)
    return (sections[index - 1] if index > 0 else None, sections[index + 1] if index + 1 < len(sections) else None)
