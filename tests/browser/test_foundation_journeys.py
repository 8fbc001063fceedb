"""Real-browser journeys over the foundation: browse, register, log in, admin roles."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from tests import factories
from tests.factories import PASSWORD


def test_newcomer_browses_registers_and_logs_back_in(app, org, live_server, page):
    fw = factories.framework(org)
    credential = factories.micro_credential(org, name="Station Rotation Basics", competencies=[fw.competencies[0]])
    factories.school(org, "Hillside Middle")

    page.goto(live_server + "/")
    page.get_by_role("navigation").get_by_role("link", name="Catalog").click()
    expect(page).to_have_url(re.compile(r"/credentials$"))
    page.get_by_role("link", name="Station Rotation Basics").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(credential.name)
    expect(page.locator("table")).to_contain_text("Proficient")
    for requirement in credential.requirements:
        expect(page.locator("main")).to_contain_text(requirement.prompt)

    page.get_by_role("navigation").get_by_role("link", name="Register").click()
    page.get_by_label("Your name").fill("Rosa Park")
    page.get_by_label("E-mail").fill("rosa@example.org")
    page.get_by_label("School").select_option(label="Hillside Middle")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat password").fill("different")
    page.get_by_role("button", name=re.compile("Create account|Register", re.I)).click()
    expect(page.locator("main")).to_contain_text("The passwords do not match.")
    expect(page.get_by_label("Your name")).to_have_value("Rosa Park")  # nothing typed is lost

    page.get_by_label("Password", exact=True).fill("a-long-enough-password")
    page.get_by_label("Repeat password").fill("a-long-enough-password")
    page.get_by_role("button", name=re.compile("Create account|Register", re.I)).click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text("Your account is ready")
    user = db.session.scalar(select(User).where(User.email == "rosa@example.org"))
    assert user is not None and user.school.name == "Hillside Middle"

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail").fill("rosa@example.org")
    page.get_by_label("Password").fill("wrong-password-here")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main")).to_contain_text("E-mail or password is not right.")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_contain_text("Welcome back, Rosa Park")


def test_admin_grants_a_role(app, org, live_server, page):
    factories.user(roles={Role.ADMIN}, organization=org, email="admin@example.org", name="Ada Admin")
    teacher = factories.user(organization=org, email="teo@example.org", name="Teo Teacher")

    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation").get_by_text("Manage").click()
    page.get_by_role("navigation").get_by_role("link", name="Users").click()
    page.get_by_label("Name or e-mail").fill("teo@")
    page.get_by_role("button", name=re.compile("Search|Filter", re.I)).click()
    page.get_by_role("link", name=re.compile("Teo Teacher")).click()
    page.get_by_label("Coach").check()
    page.get_by_role("button", name=re.compile("Save", re.I)).click()
    expect(page.locator("body")).to_contain_text("Saved teo@example.org")
    db.session.expire_all()
    assert db.session.get(User, teacher.id).roles == {Role.TEACHER, Role.COACH}
