"""The learning pages: start, module overview, sections, goal date; errors next to fields."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import event, select

from app.db import utcnow
from app.extensions import db
from app.learning import services
from app.learning.models import Enrollment, EnrollmentStatus
from app.learning.views import has_endpoint
from tests import factories


@pytest.fixture
def teacher(org):
    return factories.user(organization=org)


@pytest.fixture
def micro(org):
    return factories.micro_credential(org, name="Station Rotation")


@pytest.fixture
def client_for(app):
    return lambda user: app.test_client(user=user)


@pytest.fixture
def enrolled(teacher, micro):
    enrollment = services.enroll(teacher=teacher, credential=micro)
    db.session.commit()
    return enrollment


def _enrollment(teacher, micro) -> Enrollment | None:
    db.session.expire_all()
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == teacher.id,
                                                      Enrollment.credential_id == micro.id))


# ---------- The Start area of the credential page ----------

def test_anonymous_sees_register_and_login_with_next(client, micro):
    html = client.get(f"/credentials/{micro.slug}").get_data(as_text=True)
    assert f"/register?next=/credentials/{micro.slug}" in html.replace("%2F", "/")
    assert f"/login?next=/credentials/{micro.slug}" in html.replace("%2F", "/")
    assert f'action="/credentials/{micro.slug}/start"' not in html


def test_logged_in_teacher_sees_a_start_form_with_a_labelled_optional_goal_date(client_for, teacher, micro):
    html = client_for(teacher).get(f"/credentials/{micro.slug}").get_data(as_text=True)
    assert f'action="/credentials/{micro.slug}/start"' in html
    assert '<label for="goal_date">' in html and 'type="date"' in html
    assert 'aria-describedby="goal_date-hint"' in html and "(optional)" in html


def test_enrolled_teacher_sees_continue(client_for, teacher, micro, enrolled):
    html = client_for(teacher).get(f"/credentials/{micro.slug}").get_data(as_text=True)
    assert f'href="/learn/{micro.slug}"' in html and "Continue this credential" in html
    assert f'action="/credentials/{micro.slug}/start"' not in html


def test_stack_page_offers_no_start_form(client_for, org, teacher, micro):
    stack = factories.stack_credential(org, [micro])
    html = client_for(teacher).get(f"/credentials/{stack.slug}").get_data(as_text=True)
    assert "/start" not in html and "Choose a microcredential to start" in html


def test_detail_page_adds_one_query_for_the_start_area(client_for, teacher, micro):
    client = client_for(teacher)
    client.get(f"/credentials/{micro.slug}")  # warm up
    statements: list[str] = []
    listener = lambda *args, **kwargs: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(f"/credentials/{micro.slug}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert sum("FROM enrollment" in s for s in statements) == 1


# ---------- Starting ----------

def test_start_enrolls_and_redirects_to_the_module(client_for, teacher, micro):
    goal = utcnow().date() + timedelta(days=20)
    response = client_for(teacher).post(f"/credentials/{micro.slug}/start", data={"goal_date": goal.isoformat()})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/learn/{micro.slug}")
    enrollment = _enrollment(teacher, micro)
    assert enrollment is not None and enrollment.goal_date == goal


def test_start_without_a_goal_date_and_twice_is_fine(client_for, teacher, micro):
    client = client_for(teacher)
    assert client.post(f"/credentials/{micro.slug}/start", data={"goal_date": ""}).status_code == 302
    assert client.post(f"/credentials/{micro.slug}/start", data={}).status_code == 302
    assert _enrollment(teacher, micro).goal_date is None


@pytest.mark.parametrize("value,message", [
    ("2001-01-01", "That date has passed"),
    ("next tuesday", "Enter a date such as"),
])
def test_start_with_a_bad_goal_date_shows_the_error_next_to_the_field(client_for, teacher, micro, value, message):
    response = client_for(teacher).post(f"/credentials/{micro.slug}/start", data={"goal_date": value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(r'<span class="field__error" id="goal_date-error">(.*?)</span>\s*<input[^>]*>', html, re.S)
    assert error and message in error.group(1)
    field = re.search(r'<input[^>]*id="goal_date"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and f'value="{value}"' in field  # nothing typed is lost
    assert _enrollment(teacher, micro) is None


def test_start_unknown_or_unpublished_is_404(client_for, org, teacher):
    draft = factories.micro_credential(org, published=False)
    assert client_for(teacher).post(f"/credentials/{draft.slug}/start").status_code == 404
    assert client_for(teacher).post("/credentials/nope/start").status_code == 404


# ---------- Module page ----------

def test_module_page_invites_a_teacher_who_has_not_started(client_for, teacher, micro):
    client = client_for(teacher)
    response = client.get(f"/learn/{micro.slug}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/credentials/{micro.slug}")
    assert "Start this credential to open its module" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_module_page_shows_progress_sections_and_resume(client_for, teacher, micro, enrolled):
    html = client_for(teacher).get(f"/learn/{micro.slug}").get_data(as_text=True)
    assert '<label class="progress__label" for="module-progress">0 of 4 sections done</label>' in html
    assert '<progress id="module-progress" max="4" value="0">' in html
    for section in micro.module.sections:
        assert f"/learn/{micro.slug}/sections/{section.id}" in html
    assert f"Start: {micro.module.sections[0].title}" in html
    assert 'action="/learn/' + micro.slug + '/goal"' in html


def test_module_page_offers_evidence_only_when_the_endpoint_exists(app, client_for, teacher, micro, enrolled):
    html = client_for(teacher).get(f"/learn/{micro.slug}").get_data(as_text=True)
    if has_endpoint("evidence.start"):
        with app.test_request_context():
            assert f'action="{url_for("evidence.start", slug=micro.slug)}"' in html
    else:
        assert "Work on your evidence" not in html
    with app.test_request_context():
        assert not has_endpoint("evidence.no_such_page")


def test_module_page_query_count_does_not_grow_with_progress(client_for, teacher, micro, enrolled):
    client = client_for(teacher)
    url = f"/learn/{micro.slug}"

    def count() -> int:
        db.session.expire_all()  # the request shares the test's session: start from the same state
        statements = []
        listener = lambda *a, **k: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = count()
    enrollment = _enrollment(teacher, micro)
    for section in micro.module.sections[:3]:
        services.mark_section_done(teacher=teacher, enrollment=enrollment, section=section)
    db.session.commit()
    assert count() == few


# ---------- Sections ----------

def test_section_page_renders_sanitized_markdown_and_records_the_visit(client_for, teacher, micro, enrolled):
    s1, s2, s3, _s4 = micro.module.sections
    s2.body_md = "## Why\n\n**Small groups** work. <script>alert(1)</script> [x](javascript:alert(1))"
    db.session.commit()
    response = client_for(teacher).get(f"/learn/{micro.slug}/sections/{s2.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>Small groups</strong>" in html and "<h2>Why</h2>" in html
    assert "<script>alert(1)</script>" not in html and 'href="javascript' not in html
    assert f'href="/learn/{micro.slug}/sections/{s1.id}" rel="prev"' in html
    assert f'href="/learn/{micro.slug}/sections/{s3.id}" rel="next"' in html
    assert f'action="/learn/{micro.slug}/sections/{s2.id}/done"' in html
    assert _enrollment(teacher, micro).last_section_id == s2.id
    module_html = client_for(teacher).get(f"/learn/{micro.slug}").get_data(as_text=True)
    assert f"Resume: {s2.title}" in module_html


def test_mark_done_and_not_done_move_the_progress(client_for, teacher, micro, enrolled):
    client = client_for(teacher)
    section = micro.module.sections[0]
    response = client.post(f"/learn/{micro.slug}/sections/{section.id}/done")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/sections/{section.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 of 4 sections done" in html and "is marked as done" in html
    assert f'action="/learn/{micro.slug}/sections/{section.id}/undone"' in html
    assert "1 of 4 sections done" in client.get(f"/learn/{micro.slug}").get_data(as_text=True)
    client.post(f"/learn/{micro.slug}/sections/{section.id}/undone")
    assert "0 of 4 sections done" in client.get(f"/learn/{micro.slug}").get_data(as_text=True)


def test_a_section_of_another_module_is_404(client_for, org, teacher, micro, enrolled):
    foreign = factories.micro_credential(org).module.sections[0]
    client = client_for(teacher)
    assert client.get(f"/learn/{micro.slug}/sections/{foreign.id}").status_code == 404
    assert client.post(f"/learn/{micro.slug}/sections/{foreign.id}/done").status_code == 404
    assert _enrollment(teacher, micro).progress == []


def test_another_teacher_cannot_reach_my_module(client_for, org, micro, enrolled):
    stranger = factories.user(organization=org)
    section = micro.module.sections[0]
    client = client_for(stranger)
    assert client.get(f"/learn/{micro.slug}").status_code == 302
    assert client.post(f"/learn/{micro.slug}/sections/{section.id}/done").status_code == 302
    db.session.expire_all()
    assert enrolled.progress == []


# ---------- Goal date and leaving ----------

def test_goal_date_is_saved_and_cleared(client_for, teacher, micro, enrolled):
    client = client_for(teacher)
    goal = utcnow().date() + timedelta(days=3)
    assert client.post(f"/learn/{micro.slug}/goal", data={"goal_date": goal.isoformat()}).status_code == 302
    assert _enrollment(teacher, micro).goal_date == goal
    html = client.get(f"/learn/{micro.slug}").get_data(as_text=True)
    assert "in 3 days" in html and f'value="{goal.isoformat()}"' in html
    assert client.post(f"/learn/{micro.slug}/goal", data={"goal_date": ""}).status_code == 302
    assert _enrollment(teacher, micro).goal_date is None


def test_a_past_goal_date_is_refused_next_to_the_field(client_for, teacher, micro, enrolled):
    response = client_for(teacher).post(f"/learn/{micro.slug}/goal", data={"goal_date": "2001-01-01"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="goal_date-error"' in html and "That date has passed" in html
    assert 'value="2001-01-01"' in html
    assert "0 of 4 sections done" in html  # the rest of the page is still there
    assert _enrollment(teacher, micro).goal_date is None


def test_leaving_keeps_progress_and_starting_again_resumes(client_for, teacher, micro, enrolled):
    client = client_for(teacher)
    section = micro.module.sections[0]
    client.post(f"/learn/{micro.slug}/sections/{section.id}/done")
    response = client.post(f"/learn/{micro.slug}/leave")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert _enrollment(teacher, micro).status is EnrollmentStatus.LEFT
    assert client.get(f"/learn/{micro.slug}").status_code == 302
    client.post(f"/credentials/{micro.slug}/start")
    assert "1 of 4 sections done" in client.get(f"/learn/{micro.slug}").get_data(as_text=True)


# ---------- CSRF ----------

def test_forms_carry_csrf_tokens_and_posts_without_one_are_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.organization()
        micro = factories.micro_credential(org)
        teacher = factories.user(organization=org)
        client = app.test_client(user=teacher)
        detail = client.get(f"/credentials/{micro.slug}").get_data(as_text=True)
        start_form = re.search(r'<form class="start-form".*?</form>', detail, re.S).group(0)
        assert 'name="csrf_token"' in start_form
        assert client.post(f"/credentials/{micro.slug}/start").status_code == 400

        services.enroll(teacher=teacher, credential=micro)
        db.session.commit()
        module = client.get(f"/learn/{micro.slug}").get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", module, re.S)
        assert forms and all('name="csrf_token"' in f for f in forms)
        section = micro.module.sections[0]
        page = client.get(f"/learn/{micro.slug}/sections/{section.id}").get_data(as_text=True)
        done_form = re.search(r'<form method="post" action="[^"]*/done">.*?</form>', page, re.S).group(0)
        assert 'name="csrf_token"' in done_form
        assert client.post(f"/learn/{micro.slug}/sections/{section.id}/done").status_code == 400
        assert client.post(f"/learn/{micro.slug}/goal", data={"goal_date": ""}).status_code == 400
