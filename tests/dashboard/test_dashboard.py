"""The teacher's dashboard: every section (in progress, submitted and waiting, not yet,
earned, stack progress "2 of 3", goal dates coming due, suggested next credentials),
as the service computes it and as the page shows it, in a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.accounts.models import Role
from app.credentials.awards import award_credential
from app.db import utcnow
from app.dashboard.services import teacher_dashboard
from app.evidence.models import SubmissionStatus
from app.extensions import db
from app.learning import services as learning
from tests import factories


@pytest.fixture
def world(org):
    """A teacher who earned two of a stack's three micros and has work in every state."""
    fw = factories.framework(org, competencies=6)
    c = fw.competencies
    micros = {name: factories.micro_credential(org, name=name, competencies=[c[i]])
              for i, name in enumerate(["Earned A", "Earned B", "Missing C", "Drafting D", "Waiting E", "Revising F"])}
    untouched = factories.micro_credential(org, name="Fresh G", competencies=[factories.framework(org).competencies[0]])
    stack = factories.stack_credential(org, [micros["Earned A"], micros["Earned B"], micros["Missing C"]])
    teacher = factories.user(roles={Role.TEACHER}, organization=org, name="Dee Teacher")
    today = utcnow().date()
    for name in ("Earned A", "Earned B"):
        passed = factories.submission(teacher, micros[name], status=SubmissionStatus.PASSED)
        award_credential(passed)
    db.session.commit()
    drafting = learning.enroll(teacher=teacher, credential=micros["Drafting D"], goal_date=today + timedelta(days=5))
    learning.mark_section_done(teacher=teacher, enrollment=drafting, section=micros["Drafting D"].module.sections[0])
    learning.enroll(teacher=teacher, credential=micros["Waiting E"], goal_date=today + timedelta(days=60))
    db.session.commit()
    draft = factories.submission(teacher, micros["Drafting D"])
    waiting = factories.submission(teacher, micros["Waiting E"], status=SubmissionStatus.SUBMITTED)
    not_yet = factories.submission(teacher, micros["Revising F"], status=SubmissionStatus.NOT_YET)
    return {"teacher": teacher, "micros": micros, "stack": stack, "untouched": untouched, "draft": draft,
            "waiting": waiting, "not_yet": not_yet, "today": today}


def test_every_section_of_the_dashboard(world):
    board = teacher_dashboard(world["teacher"], today=world["today"])
    micros = world["micros"]
    assert [(i.credential.name, i.draft.id if i.draft else None) for i in board.in_progress] == [
        ("Drafting D", world["draft"].id)]
    progress = board.in_progress[0].progress
    assert (progress.done, progress.total) == (1, 4)
    assert [s.id for s in board.waiting] == [world["waiting"].id]
    assert [s.id for s in board.not_yet] == [world["not_yet"].id]
    assert sorted(a.credential.name for a in board.earned) == ["Earned A", "Earned B"]
    (stack,) = board.stacks
    assert (stack.stack.id, stack.earned, stack.required, stack.remaining) == (world["stack"].id, 2, 3, 1)
    assert [m.name for m in stack.missing] == ["Missing C"]
    assert [(g.enrollment.credential.name, g.days_left) for g in board.coming_due] == [("Drafting D", 5)]
    names = [s.credential.name for s in board.suggestions]
    # the micro that completes a nearly finished stack first, then new competencies
    assert names[:2] == ["Missing C", "Fresh G"]
    assert board.suggestions[0].stack.stack.id == world["stack"].id
    assert all(n not in names for n in ("Earned A", "Earned B", "Drafting D", "Waiting E", "Revising F"))
    assert micros["Missing C"].competencies[0] in board.suggestions[0].new_competencies


def test_goal_dates_past_and_far_away(world):
    later = world["today"] + timedelta(days=50)
    board = teacher_dashboard(world["teacher"], today=later)
    due = {g.enrollment.credential.name: g for g in board.coming_due}
    assert due["Drafting D"].overdue and due["Drafting D"].days_left == -45
    assert due["Waiting E"].days_left == 10 and not due["Waiting E"].overdue


def test_a_new_teacher_sees_an_empty_board_and_suggestions(org):
    factories.micro_credential(org, competencies=[factories.framework(org).competencies[0]])
    board = teacher_dashboard(factories.user(organization=org))
    assert board.is_empty and not board.stacks and len(board.suggestions) == 1


def test_the_page_shows_each_section(app, world):
    html = app.test_client(user=world["teacher"]).get("/dashboard").get_data(as_text=True)

    def section(heading: str) -> str:
        start = html.index(heading)
        return html[start: html.find("</section>", start)]

    assert "Drafting D" in section("In progress") and "1 of 4" in section("In progress")
    assert "Continue your evidence draft" in section("In progress")
    assert "Waiting E" in section("Submitted, waiting for review")
    assert "Revising F" in section("Not yet: ready for revision") and "Read the feedback" in section("Not yet")
    assert "Earned A" in section("Earned") and "Earned B" in section("Earned")
    stacks = section("Progress toward stacks")
    assert world["stack"].name in stacks and "2 of 3 microcredentials earned" in stacks and "1 more to go" in stacks
    due = section("Goal dates coming up")
    assert "Drafting D" in due and "Waiting E" not in due
    suggested = section("Suggested next")
    assert "Missing C" in suggested and f"Counts toward {world['stack'].name}" in suggested and "Fresh G" in suggested


def test_the_page_is_only_her_own(app, org, world):
    other = factories.user(organization=org)
    html = app.test_client(user=other).get("/dashboard").get_data(as_text=True)
    assert "Drafting D" not in html.split("Suggested next")[0] and "Earned A" not in html.split("Suggested next")[0]


def test_dashboard_query_count_does_not_grow(app, org, world):
    client = app.test_client(user=world["teacher"])

    def count() -> int:
        db.session.expire_all()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/dashboard").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = count()
    teacher = world["teacher"]
    for n in range(3):
        micro = factories.micro_credential(org, name=f"More {n}")
        learning.enroll(teacher=teacher, credential=micro, goal_date=world["today"] + timedelta(days=n + 1))
        db.session.commit()
        factories.submission(teacher, micro, status=SubmissionStatus.SUBMITTED if n else SubmissionStatus.DRAFT)
    assert count() == few
