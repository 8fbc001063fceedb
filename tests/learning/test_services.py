"""Learning rules, without HTTP: enrolling, goal dates, section progress, resume."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.learning import services
from app.learning.models import Enrollment, EnrollmentStatus, SectionProgress
from tests import factories


@pytest.fixture
def teacher(org):
    return factories.user(organization=org)


@pytest.fixture
def micro(org):
    return factories.micro_credential(org)


def _today():
    return utcnow().date()


def test_enroll_is_idempotent_and_updates_goal_only_when_given(teacher, micro):
    goal = _today() + timedelta(days=30)
    first = services.enroll(teacher=teacher, credential=micro, goal_date=goal)
    db.session.commit()
    again = services.enroll(teacher=teacher, credential=micro)
    assert again.id == first.id and again.goal_date == goal
    later = goal + timedelta(days=10)
    assert services.enroll(teacher=teacher, credential=micro, goal_date=later).goal_date == later
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
    assert first.status is EnrollmentStatus.ACTIVE and first.started_at is not None


def test_goal_date_in_the_past_is_refused(teacher, micro):
    with pytest.raises(ValidationError) as exc:
        services.enroll(teacher=teacher, credential=micro, goal_date=_today() - timedelta(days=2))
    assert exc.value.field == "goal_date"
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0


def test_goal_date_today_is_accepted_and_far_future_refused(teacher, micro):
    enrollment = services.enroll(teacher=teacher, credential=micro, goal_date=_today())
    assert enrollment.goal_date == _today()
    with pytest.raises(ValidationError) as exc:
        services.set_goal_date(teacher=teacher, enrollment=enrollment, goal_date=_today() + timedelta(days=365 * 20))
    assert exc.value.field == "goal_date"
    services.set_goal_date(teacher=teacher, enrollment=enrollment, goal_date=None)
    assert enrollment.goal_date is None


def test_unpublished_credentials_and_stacks_are_refused(org, teacher, micro):
    draft = factories.micro_credential(org, published=False)
    with pytest.raises(NotFound):
        services.enroll(teacher=teacher, credential=draft)
    stack = factories.stack_credential(org, [micro])
    with pytest.raises(ValidationError):
        services.enroll(teacher=teacher, credential=stack)


def test_someone_elses_enrollment_is_refused(org, teacher, micro):
    enrollment = services.enroll(teacher=teacher, credential=micro)
    other = factories.user(organization=org)
    section = micro.module.sections[0]
    for call in (
        lambda: services.mark_section_done(teacher=other, enrollment=enrollment, section=section),
        lambda: services.mark_section_not_done(teacher=other, enrollment=enrollment, section=section),
        lambda: services.visit_section(teacher=other, enrollment=enrollment, section=section),
        lambda: services.set_goal_date(teacher=other, enrollment=enrollment, goal_date=None),
        lambda: services.leave(teacher=other, enrollment=enrollment),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert enrollment.progress == [] and enrollment.status is EnrollmentStatus.ACTIVE


def test_sections_of_another_module_are_refused(org, teacher, micro):
    enrollment = services.enroll(teacher=teacher, credential=micro)
    foreign = factories.micro_credential(org).module.sections[0]
    with pytest.raises(NotFound):
        services.mark_section_done(teacher=teacher, enrollment=enrollment, section=foreign)
    with pytest.raises(NotFound):
        services.visit_section(teacher=teacher, enrollment=enrollment, section=foreign)
    with pytest.raises(NotFound):
        services.section_of(enrollment, foreign.id)
    assert enrollment.last_section_id is None


def test_mark_done_is_idempotent_and_undo_works(teacher, micro):
    enrollment = services.enroll(teacher=teacher, credential=micro)
    section = micro.module.sections[1]
    first = services.mark_section_done(teacher=teacher, enrollment=enrollment, section=section)
    second = services.mark_section_done(teacher=teacher, enrollment=enrollment, section=section)
    db.session.commit()
    assert first.id == second.id
    assert enrollment.last_section_id == section.id
    assert services.progress(enrollment).done == 1
    services.mark_section_not_done(teacher=teacher, enrollment=enrollment, section=section)
    services.mark_section_not_done(teacher=teacher, enrollment=enrollment, section=section)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SectionProgress)) == 0


def test_a_row_inserted_meanwhile_is_found_not_duplicated(teacher, micro):
    """A double-click: the other request inserted the row after this one loaded progress."""
    enrollment = services.enroll(teacher=teacher, credential=micro)
    db.session.commit()
    section = micro.module.sections[0]
    assert enrollment.progress == []  # loaded, now stale
    db.session.execute(insert(SectionProgress).values(enrollment_id=enrollment.id, section_id=section.id,
                                                      completed_at=utcnow()))
    row = services.mark_section_done(teacher=teacher, enrollment=enrollment, section=section)
    db.session.commit()
    assert row.id is not None
    assert db.session.scalar(select(func.count()).select_from(SectionProgress)) == 1
    assert services.progress(enrollment).done == 1


def test_progress_and_resume(teacher, micro):
    s1, s2, s3, s4 = micro.module.sections
    enrollment = services.enroll(teacher=teacher, credential=micro)
    summary = services.progress(enrollment)
    assert (summary.done, summary.total, summary.percent, summary.started) == (0, 4, 0, False)
    assert summary.next_section == s1

    services.visit_section(teacher=teacher, enrollment=enrollment, section=s3)
    summary = services.progress(enrollment)
    assert summary.next_section == s3 and summary.started  # resume where she left off

    services.mark_section_done(teacher=teacher, enrollment=enrollment, section=s3)
    summary = services.progress(enrollment)
    assert summary.next_section == s1  # the last one is done: the first not done
    assert (summary.done, summary.percent) == (1, 25)

    for section in (s1, s2, s4):
        services.mark_section_done(teacher=teacher, enrollment=enrollment, section=section)
    summary = services.progress(enrollment)
    assert summary.complete and summary.next_section is None and summary.percent == 100
    assert enrollment.status is EnrollmentStatus.COMPLETED and enrollment.completed_at is not None

    services.mark_section_not_done(teacher=teacher, enrollment=enrollment, section=s2)
    assert enrollment.status is EnrollmentStatus.ACTIVE and enrollment.completed_at is None
    assert services.progress(enrollment).next_section == s2


def test_leave_keeps_progress_and_enrolling_again_resumes(teacher, micro):
    enrollment = services.enroll(teacher=teacher, credential=micro)
    services.mark_section_done(teacher=teacher, enrollment=enrollment, section=micro.module.sections[0])
    services.leave(teacher=teacher, enrollment=enrollment)
    db.session.commit()
    assert services.find_enrollment(teacher=teacher, slug=micro.slug) is None
    with pytest.raises(Conflict):
        services.mark_section_done(teacher=teacher, enrollment=enrollment, section=micro.module.sections[1])
    again = services.enroll(teacher=teacher, credential=micro)
    assert again.id == enrollment.id and again.status is EnrollmentStatus.ACTIVE
    assert services.progress(again).done == 1


def test_find_enrollment_prefers_the_newest_version_and_is_scoped_to_the_teacher(org, teacher):
    v1 = factories.micro_credential(org, slug="routines", version=1)
    v2 = factories.micro_credential(org, slug="routines", version=2)
    services.enroll(teacher=teacher, credential=v1)
    newest = services.enroll(teacher=teacher, credential=v2)
    db.session.commit()
    assert services.find_enrollment(teacher=teacher, slug="routines").id == newest.id
    assert services.find_enrollment(teacher=factories.user(organization=org), slug="routines") is None


def test_neighbours(teacher, micro):
    s1, s2, _s3, s4 = micro.module.sections
    enrollment = services.enroll(teacher=teacher, credential=micro)
    assert services.neighbours(enrollment, s1) == (None, s2)
    assert services.neighbours(enrollment, s4)[1] is None
