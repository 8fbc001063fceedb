"""Real browser: an admin revokes a badge from the awards page; the public page and documents say so."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.accounts.models import Role
from tests import factories
from tests.credentials.openbadges.conftest import issue
from tests.factories import PASSWORD


def test_admin_revokes_a_badge_and_the_world_sees_it(app, org, live_server, page):
    app.config["BASE_URL"] = live_server
    credential = factories.micro_credential(org, name="Station Rotation Basics")
    teacher = factories.user(organization=org, email="rosa@example.org", name="Rosa Park")
    factories.user(roles={Role.ADMIN}, organization=org, email="admin@example.org", name="Ada Admin")
    award = issue(teacher, credential)

    page.goto(f"{live_server}/ob/assertions/{award.uuid}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Station Rotation Basics")
    expect(page.get_by_role("status")).to_contain_text("Valid.")

    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation").get_by_text("Manage").click()
    page.get_by_role("navigation").get_by_role("link", name="Admin: awards").click()
    page.get_by_label("Recipient e-mail, credential or badge id").fill("rosa@")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Station Rotation Basics").click()

    page.get_by_role("button", name="Revoke this badge").click()
    expect(page.locator("#reason-error")).to_contain_text("Say why the badge is revoked.")
    page.get_by_label(re.compile("^Reason")).fill("The evidence belonged to another teacher.")
    page.get_by_role("button", name="Revoke this badge").click()
    expect(page.get_by_role("status").first).to_contain_text("Revoked")

    page.goto(f"{live_server}/ob/assertions/{award.uuid}")
    expect(page.get_by_role("alert")).to_contain_text("The evidence belonged to another teacher.")
    hosted = page.request.get(f"{live_server}/ob/assertions/{award.uuid}", headers={"Accept": "application/ld+json"})
    assert hosted.status == 410 and hosted.json()["revoked"] is True
    revocations = page.request.get(f"{live_server}/ob/issuers/{org.id}/revocations").json()
    assert revocations["revokedAssertions"][0]["revocationReason"] == "The evidence belonged to another teacher."
    baked = page.request.get(f"{live_server}/ob/assertions/{award.uuid}/hosted.png")
    assert baked.status == 410


def test_phone_width_verification_page_has_no_overflow(app, org, live_server, browser):
    app.config["BASE_URL"] = live_server
    award = issue(factories.user(organization=org), factories.micro_credential(org, name="A Long Credential Name For Phones"))
    context = browser.new_context(viewport={"width": 360, "height": 740})
    phone = context.new_page()
    phone.goto(f"{live_server}/ob/assertions/{award.uuid}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 360


def test_badge_pages_have_no_wcag_violations(app, org, live_server, browser):
    from app.credentials.openbadges import services
    from tests.browser.test_accessibility import _violations

    app.config["BASE_URL"] = live_server
    credential = factories.micro_credential(org, name="Station Rotation Basics")
    teacher = factories.user(organization=org)
    admin = factories.user(roles={Role.ADMIN}, organization=org, email="a11y-badges@example.org")
    award = issue(teacher, credential)
    services.set_evidence_consent(award, teacher, True)
    from app.extensions import db

    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        for path in [f"/ob/assertions/{award.uuid}", f"/ob/assertions/{award.uuid}/evidence"]:
            page.goto(live_server + path)
            assert _violations(page) == [], path
        page.goto(live_server + "/login")
        page.get_by_label("E-mail").fill(admin.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        for path in ["/admin/awards", f"/admin/awards/{award.id}", f"/credentials/manage/{credential.id}/badge-image",
                     "/credentials/manage/flagged-awards"]:
            page.goto(live_server + path)
            assert _violations(page) == [], path
        page.goto(f"{live_server}/admin/awards/{award.id}")
        page.get_by_role("button", name="Revoke this badge").click()
        assert _violations(page) == [], "revoke form with an error"
    finally:
        context.close()
