"""The analytics dashboards in a real browser: a program lead logs in, follows the navigation,
filters, and every dashboard passes axe (WCAG 2.1 A and AA) at desktop and phone widths."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import _violations
from tests.factories import PASSWORD

from tests.analytics.program import program  # noqa: F401  (pytest fixture)


@pytest.fixture
def page(browser):
    """axe is injected, so this context bypasses the CSP (as in test_accessibility.py)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def _log_in(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_program_lead_reads_every_dashboard(program, live_server, page):
    _log_in(page, live_server, program.lead.email)
    page.get_by_role("link", name="Analytics").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Credentials"
    page.locator("#start").fill("")
    page.locator("#end").fill("")
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_role("img", name="Pass rates per microcredential").count() == 1
    assert "Micro M" in page.locator("#outcomes-caption").locator("xpath=..").inner_text()
    assert _violations(page) == []
    for name in ("Reviewers", "Impact", "Equity and coverage"):
        page.get_by_role("navigation", name="Dashboards").get_by_role("link", name=name).click()
        assert page.get_by_role("heading", level=1).inner_text() == name
        assert _violations(page) == [], name
    page.locator("#school_id").select_option(label="Birch")
    page.get_by_role("button", name="Apply").click()
    assert "Birch" in page.locator("#schools-caption").locator("xpath=..").inner_text()
    with page.expect_download() as download:
        page.locator('a[href*="/analytics/equity/schools.csv"]').click()
    assert download.value.suggested_filename == "analytics-equity-schools.csv"


def test_dashboards_fit_a_phone(program, live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        _log_in(page, live_server, program.lead.email)
        for name in ("credentials", "reviewers", "impact", "equity"):
            page.goto(f"{live_server}/analytics/{name}?start=&end=")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, overflow)
    finally:
        context.close()
