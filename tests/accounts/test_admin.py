"""The admin's user management: roles, activation, invites, and the CLI."""

from __future__ import annotations


from sqlalchemy import select

from app.accounts.models import InviteCode, Role, User
from app.audit import AuditEvent
from app.extensions import db
from tests import factories


def test_admin_lists_and_searches_users(admin_client, user_with_role):
    user_with_role(Role.COACH, email="coach.person@example.org", name="Coach Person")
    page = admin_client.get("/admin/users?q=coach.person").get_data(as_text=True)
    assert "coach.person@example.org" in page
    filtered = admin_client.get("/admin/users?role=hr").get_data(as_text=True)
    assert "coach.person@example.org" not in filtered


def test_admin_changes_roles_and_deactivates(app, admin_client, user_with_role):
    user = user_with_role(Role.TEACHER)
    response = admin_client.post(f"/admin/users/{user.id}", data={"roles": ["teacher", "coach"], "active": ""})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.roles == {Role.TEACHER, Role.COACH}
    assert user.active is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.access_changed"))
    assert event.object_id == user.id and event.data["roles_after"] == ["coach", "teacher"]


def test_admin_cannot_remove_own_admin_role(app, org):
    admin = factories.user(roles={Role.ADMIN}, organization=org)
    client = app.test_client(user=admin)
    response = client.post(f"/admin/users/{admin.id}", data={"roles": ["teacher"], "active": "y"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, admin.id).roles == {Role.ADMIN}


def test_admin_creates_a_user(admin_client):
    response = admin_client.post("/admin/users/new", data={
        "new-name": "Hana HR", "new-email": "hana@example.org", "new-password": "temporary-password",
        "new-roles": ["hr"],
    })
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "hana@example.org")).roles == {Role.HR}


def test_admin_creates_an_invite(admin_client):
    response = admin_client.post("/admin/invites", data={"invite-role": "teacher", "invite-max_uses": 5, "invite-days": 7})
    assert response.status_code == 302
    invite = db.session.scalar(select(InviteCode))
    assert invite.max_uses == 5 and invite.role is Role.TEACHER


def test_cli_creates_user(runner, org):
    result = runner.invoke(args=["users", "create", "--email", "New@Example.org", "--role", "designer",
                                 "--role", "coach", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.roles == {Role.DESIGNER, Role.COACH}


def test_cli_refuses_duplicates_and_weak_passwords(runner, user_with_role):
    user_with_role(Role.TEACHER, email="dup@example.org")
    dup = runner.invoke(args=["users", "create", "--email", "dup@example.org", "--role", "teacher",
                              "--password", "a-long-password"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    weak = runner.invoke(args=["users", "create", "--email", "x@example.org", "--role", "teacher", "--password", "short"])
    assert weak.exit_code != 0 and "at least 10" in weak.output


def test_users_page_query_count_does_not_grow_with_users(app, org, admin_client):
    from sqlalchemy import event

    school = factories.school(org)

    def count_for_page() -> int:
        statements = []
        listener = lambda *a, **k: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert admin_client.get("/admin/users").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    factories.user(organization=org, school=school)
    few = count_for_page()
    for _ in range(10):
        factories.user(organization=org, school=factories.school(org))
    assert count_for_page() == few
