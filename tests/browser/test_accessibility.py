"""axe-core (WCAG 2.1 A and AA rules) on every page that exists, anonymous and logged in."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts.models import Role
from tests import factories
from tests.factories import PASSWORD

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make test` (it runs `npm ci`) or `npm ci` in the project root")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


@pytest.fixture
def page(browser):
    """Our CSP forbids injected scripts (as it should); axe needs this context to bypass it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def catalog(org):
    fw = factories.framework(org)
    micro = factories.micro_credential(org, competencies=fw.competencies)
    factories.stack_credential(org, [micro, factories.micro_credential(org)])
    return micro


def test_public_pages_have_no_wcag_violations(catalog, live_server, page):
    for path in ["/", "/credentials", f"/credentials/{catalog.slug}", "/login", "/register", "/credentials?q=zzz"]:
        page.goto(live_server + path)
        assert _violations(page) == [], path


def test_form_errors_have_no_wcag_violations(live_server, page):
    page.goto(live_server + "/register")
    page.get_by_role("button", name="Create account").click()
    assert _violations(page) == []


def test_logged_in_pages_have_no_wcag_violations(org, catalog, live_server, page):
    admin = factories.user(roles={Role.ADMIN}, organization=org, email="a11y@example.org")
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for path in ["/account", "/admin/users", f"/admin/users/{admin.id}", f"/credentials/{catalog.slug}"]:
        page.goto(live_server + path)
        assert _violations(page) == [], path


def test_phone_width_has_no_horizontal_scroll(catalog, live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        for path in ["/", "/credentials", f"/credentials/{catalog.slug}", "/register"]:
            page.goto(live_server + path)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
    finally:
        context.close()
