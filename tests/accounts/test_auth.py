"""Register, log in, log out, change password, rate limits, CSRF, sessions."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import InviteCode, Role, User
from app.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _login(client, email, password, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_register_creates_a_teacher_and_logs_in(client, org):
    school = factories.school(org, "North Elementary")
    response = client.post("/register", data={
        "name": "Ada Teacher", "email": "Ada@Example.org", "school_id": school.id,
        "password": "a-long-password", "confirm": "a-long-password",
    })
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    assert user is not None and user.roles == {Role.TEACHER} and user.school_id == school.id
    assert user.password_hash.startswith("$argon2id$")
    assert "a-long-password" not in user.password_hash
    assert client.get("/account").status_code == 200


def test_register_rejects_duplicate_email_case_insensitively(client, user_with_role):
    user_with_role(Role.TEACHER, email="taken@example.org")
    response = client.post("/register", data={
        "name": "Someone", "email": "TAKEN@example.org", "password": "a-long-password", "confirm": "a-long-password",
    })
    assert response.status_code == 422
    assert b"already exists" in response.data


def test_register_shows_errors_next_to_fields(client, org):
    response = client.post("/register", data={"name": "", "email": "nope", "password": "short", "confirm": "other"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert "The passwords do not match." in html


def test_invite_mode_requires_a_valid_code(make_app):
    app = make_app(REGISTRATION_MODE="invite")
    with app.app_context():
        org = factories.organization()
        invite = InviteCode(code="WELCOME-1", organization=org, role=Role.COACH, max_uses=1)
        db.session.add(invite)
        db.session.commit()
        client = app.test_client()
        form = {"name": "Cora", "email": "cora@example.org", "password": "a-long-password", "confirm": "a-long-password"}
        assert client.post("/register", data={**form, "invite_code": ""}).status_code == 422
        assert client.post("/register", data={**form, "invite_code": "WRONG"}).status_code == 422
        assert client.post("/register", data={**form, "invite_code": "WELCOME-1"}).status_code == 302
        user = db.session.scalar(select(User).where(User.email == "cora@example.org"))
        assert user.roles == {Role.COACH} and user.organization_id == org.id
        other = app.test_client()
        again = other.post("/register", data={**form, "email": "dan@example.org", "invite_code": "WELCOME-1"})
        assert again.status_code == 422 and b"already been used" in again.data


def test_login_and_logout(client, user_with_role):
    user = user_with_role(Role.TEACHER, email="t@example.org")
    response = _login(client, "T@Example.org", PASSWORD)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    wrong = _login(client, "t@example.org", "not-the-password")
    unknown = _login(client, "nobody@example.org", "not-the-password")
    assert wrong.status_code == unknown.status_code == 422
    assert b"E-mail or password is not right." in wrong.data
    assert b"E-mail or password is not right." in unknown.data
    assert client.get("/account").status_code == 302


def test_inactive_user_cannot_log_in(client, user_with_role):
    user_with_role(Role.TEACHER, email="gone@example.org", active=False)
    assert _login(client, "gone@example.org", PASSWORD).status_code == 422


def test_next_parameter_only_redirects_on_site(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    response = client.post("/login?next=https://evil.example.com/", data={"email": "t@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/credentials", data={"email": "t@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/credentials"


def test_login_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        factories.user(email="t@example.org")
        client = app.test_client()
        statuses = [_login(client, "t@example.org", "wrong-password").status_code for _ in range(3)]
        assert statuses == [422, 422, 422]
        locked = _login(client, "t@example.org", PASSWORD)
        assert locked.status_code == 429
        assert b"Too many attempts" in locked.data


def test_csrf_token_is_required(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        factories.user(email="t@example.org")
        client = app.test_client()
        refused = _login(client, "t@example.org", PASSWORD)
        assert refused.status_code == 400
        assert b"Reload the page" in refused.data
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page)
        assert token, "the login form carries a CSRF token"
        accepted = _login(client, "t@example.org", PASSWORD, csrf_token=token.group(1))
        assert accepted.status_code == 302


def test_change_password_ends_other_sessions(app, user_with_role):
    user = user_with_role(Role.TEACHER, email="t@example.org")
    mine, other = app.test_client(), app.test_client()
    _login(mine, "t@example.org", PASSWORD)
    _login(other, "t@example.org", PASSWORD)
    response = mine.post("/account", data={
        "password-current_password": PASSWORD, "password-new_password": "a-brand-new-password",
        "password-confirm": "a-brand-new-password", "password-submit": "1",
    })
    assert response.status_code == 302
    assert mine.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    mine.post("/logout")
    assert _login(mine, "t@example.org", PASSWORD).status_code == 422
    assert _login(mine, "t@example.org", "a-brand-new-password").status_code == 302


def test_change_password_needs_the_current_one(teacher_client):
    response = teacher_client.post("/account", data={
        "password-current_password": "wrong-one", "password-new_password": "a-brand-new-password",
        "password-confirm": "a-brand-new-password", "password-submit": "1",
    })
    assert response.status_code == 422
    assert b"not your current password" in response.data


def test_update_profile(teacher_client):
    response = teacher_client.post("/account", data={"profile-name": "New Name", "profile-submit": "1"})
    assert response.status_code == 302
    assert b"New Name" in teacher_client.get("/account").data
