"""Real browser: an HR officer drops a baked PNG on /verify and sees valid; an admin revokes the
award; the same image then shows revoked with the reason. Plus axe on the verification pages."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

from app.accounts.models import Role
from tests import factories
from tests.credentials.openbadges.conftest import issue
from tests.factories import PASSWORD
from tests.verify.helpers import baked


def _log_in(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _drop(page, data: bytes, name: str) -> None:
    """Drop a file on the drop zone the way a desktop drag does (a DataTransfer with a File)."""
    transfer = page.evaluate_handle(
        """([b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: 'image/png'}));
            return dt;
        }""",
        [base64.b64encode(data).decode(), name],
    )
    page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": transfer})


def test_hr_drops_a_baked_png_and_sees_valid_then_revoked(app, org, live_server, browser):
    app.config["BASE_URL"] = live_server
    credential = factories.micro_credential(org, name="Station Rotation Basics")
    teacher = factories.user(organization=org, email="rosa@example.org", name="Rosa Park")
    factories.user(roles={Role.HR}, organization=org, email="hr@example.org", name="Hana HR")
    factories.user(roles={Role.ADMIN}, organization=org, email="admin@example.org", name="Ada Admin")
    award = issue(teacher, credential)
    png = baked(award, "ob2_hosted_png")

    hr_context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = hr_context.new_page()
    page.set_default_timeout(10_000)
    _log_in(page, live_server, "hr@example.org")
    page.get_by_role("navigation").get_by_role("link", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a credential")
    _drop(page, png, "rosa-badge.png")
    expect(page.locator("[data-drop-name]")).to_have_text("Chosen: rosa-badge.png")
    page.get_by_label("Earner's e-mail address").fill("rosa@example.org")
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Valid.")
    expect(page.locator('[data-check="recipient"]')).to_contain_text("matches the recipient")
    expect(page.locator(".verify-facts")).to_contain_text("Station Rotation Basics")

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    admin.set_default_timeout(10_000)
    _log_in(admin, live_server, "admin@example.org")
    admin.goto(f"{live_server}/admin/awards/{award.id}")
    admin.get_by_label(re.compile("^Reason")).fill("The evidence belonged to another teacher.")
    admin.get_by_role("button", name="Revoke this badge").click()
    expect(admin.get_by_role("status").first).to_contain_text("Revoked")
    admin_context.close()

    page.goto(live_server + "/verify")
    page.get_by_label("Or a baked badge image (PNG or SVG)").set_input_files(
        files=[{"name": "rosa-badge.png", "mimeType": "image/png", "buffer": png}])
    page.get_by_role("button", name="Verify", exact=True).click()
    alert = page.locator('[data-status="revoked"]')
    expect(alert).to_contain_text("Revoked.")
    expect(alert).to_contain_text("The evidence belonged to another teacher.")
    expect(page.locator('[data-check="not_revoked"]')).to_contain_text("The evidence belonged to another teacher.")
    hr_context.close()


def test_verify_pages_have_no_wcag_violations(app, org, live_server, browser):
    from tests.browser.test_accessibility import _violations

    app.config["BASE_URL"] = live_server
    award = issue(factories.user(organization=org), factories.micro_credential(org))
    factories.user(roles={Role.HR}, organization=org, email="hr-a11y@example.org")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/verify")
        assert _violations(page) == [], "empty"
        page.get_by_role("button", name="Verify", exact=True).click()
        assert _violations(page) == [], "errors"
        page.get_by_label("Badge link, award id, JSON, JWS or VC-JWT").fill(award.uuid)
        page.get_by_role("button", name="Verify", exact=True).click()
        assert _violations(page) == [], "answer"
        _log_in(page, live_server, "hr-a11y@example.org")
        page.goto(live_server + "/verify/rosters")
        assert _violations(page) == [], "rosters"
        page.locator("#file").set_input_files(
            files=[{"name": "r.csv", "mimeType": "text/csv", "buffer": f"award\n{award.uuid}\nnope\n".encode()}])
        page.get_by_role("button", name="Verify the roster").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Roster results")
        assert _violations(page) == [], "roster results"
    finally:
        context.close()


def test_phone_width_verify_page_has_no_overflow(app, org, live_server, browser):
    app.config["BASE_URL"] = live_server
    award = issue(factories.user(organization=org), factories.micro_credential(org, name="A Long Credential Name"))
    context = browser.new_context(viewport={"width": 360, "height": 740})
    phone = context.new_page()
    phone.goto(live_server + "/verify")
    phone.get_by_label("Badge link, award id, JSON, JWS or VC-JWT").fill(f"{live_server}/ob/assertions/{award.uuid}")
    phone.get_by_role("button", name="Verify", exact=True).click()
    expect(phone.get_by_role("status").first).to_contain_text("Valid.")
    width = phone.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 360
