"""Real browser: a designer builds a small credential with a two-criterion rubric, previews it,
publishes it, and a teacher can start it."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.credentials.models import Credential
from app.extensions import db
from app.learning.models import Enrollment
from tests import factories
from tests.factories import PASSWORD


def _log_in(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _add_part(page, title, prompt):
    page.get_by_role("link", name="Add a part").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Add part").click()
    expect(page.locator(".flashes")).to_contain_text("Added the part.")


def _add_criterion(page, name, part):
    page.get_by_role("link", name="Add a criterion").click()
    page.get_by_label("Criterion", exact=True).fill(name)
    page.get_by_label(part, exact=True).check()
    page.locator("#pass_level-2").check()  # "Proficient", the third of the suggested levels
    page.get_by_role("button", name="Save criterion").click()
    expect(page.locator(".flashes")).to_contain_text("Saved the criterion.")


def test_designer_builds_previews_and_publishes_and_a_teacher_starts(app, org, live_server, page):
    factories.user(roles={Role.DESIGNER}, organization=org, email="dana@example.org", name="Dana Designer")
    factories.user(roles={Role.TEACHER}, organization=org, email="tess@example.org", name="Tess Teacher")

    _log_in(page, live_server, "dana@example.org")
    page.get_by_role("navigation").get_by_text("Manage").click()
    page.get_by_role("navigation").get_by_role("link", name="Author").click()
    page.get_by_role("link", name="New credential").click()
    page.get_by_label("Name").fill("Exit Tickets")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exit Tickets")
    expect(page.locator("#problems")).to_contain_text("Write the criteria narrative")

    narrative = page.get_by_label("Criteria narrative")
    narrative.fill("Uses **exit tickets** to adjust the next lesson.")
    # The live preview renders the Markdown through the server's sanitizer.
    expect(page.locator("#criteria-preview strong")).to_have_text("exit tickets")
    page.get_by_label("Summary").fill("Check understanding at the end of a lesson.")
    page.get_by_role("button", name="Save basics").click()
    expect(page.locator(".flashes")).to_contain_text("Saved.")

    _add_part(page, "Ticket design", "Share the exit ticket you used.")
    _add_part(page, "Adjustment", "Describe how the answers changed your next lesson.")
    _add_criterion(page, "Quality of the ticket", "Ticket design")
    _add_criterion(page, "Use of the results", "Adjustment")
    rubric = page.locator("#rubric table")
    expect(rubric.locator("tr")).to_have_count(2)
    expect(rubric).to_contain_text("Pass")

    page.get_by_role("link", name="Preview as a teacher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exit Tickets")
    expect(page.locator("main")).to_contain_text("Share the exit ticket you used.")
    page.get_by_role("link", name="Back to the editor").click()
    page.get_by_role("link", name="Preview as a reviewer").click()
    expect(page.locator("main")).to_contain_text("Use of the results")
    page.get_by_role("link", name="Back to the editor").click()

    page.get_by_role("button", name="Publish version 1").click()
    expect(page.locator(".flashes")).to_contain_text("Published version 1")
    credential = db.session.scalar(select(Credential).where(Credential.name == "Exit Tickets"))
    assert credential.published and len(credential.rubric.criteria) == 2

    page.get_by_role("button", name="Log out").click()
    _log_in(page, live_server, "tess@example.org")
    page.goto(live_server + "/credentials")
    page.get_by_role("link", name="Exit Tickets").first.click()
    page.get_by_role("button", name="Start this credential").click()
    expect(page.locator("body")).to_contain_text(re.compile("Exit Tickets"))
    db.session.expire_all()
    assert db.session.scalar(select(Enrollment).where(Enrollment.credential_id == credential.id)) is not None
