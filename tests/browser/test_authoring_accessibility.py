"""axe-core (WCAG 2.1 A and AA) and phone width on the authoring pages, as a designer."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.credentials.authoring import services as svc
from app.extensions import db
from tests import factories
from tests.browser.test_accessibility import _violations
from tests.credentials.authoring.conftest import build_draft
from tests.factories import PASSWORD


@pytest.fixture
def authoring_pages(org):
    designer = factories.user(roles={Role.DESIGNER}, organization=org, email="a11y-designer@example.org")
    credential = build_draft(designer)
    framework = factories.framework(org)
    db.session.commit()
    criterion = credential.rubric.criteria[0]
    exemplar = svc.save_exemplar(author=designer, credential=credential, data=svc.ExemplarData(
        title="Sample", body_md="A sample.", levels={c.id: (c.levels[1].id, "ok") for c in credential.rubric.criteria}))
    db.session.commit()
    c = f"/author/credentials/{credential.id}"
    return designer, [
        "/author/", c, f"{c}/criteria/new", f"/author/criteria/{criterion.id}", f"{c}/policy",
        f"{c}/requirements/new", f"{c}/exemplars/new", f"/author/exemplars/{exemplar.id}", f"{c}/history",
        f"{c}/preview/teacher", f"{c}/preview/reviewer", f"/author/frameworks/{framework.id}",
        "/author/frameworks/import", f"/author/modules/{credential.module_id}",
        f"/author/modules/{credential.module_id}/sections/new", "/author/credentials/new", "/author/shared",
    ]


def _log_in(page, live_server, email):
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_authoring_pages_have_no_wcag_violations(authoring_pages, live_server, browser):
    designer, paths = authoring_pages
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        _log_in(page, live_server, designer.email)
        for path in paths:
            page.goto(live_server + path)
            assert _violations(page) == [], path
        # A form with errors next to its fields.
        page.goto(live_server + paths[2])
        page.get_by_role("button", name="Save criterion").click()
        assert _violations(page) == []
    finally:
        context.close()


def test_authoring_pages_fit_a_phone(authoring_pages, live_server, browser):
    designer, paths = authoring_pages
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        _log_in(page, live_server, designer.email)
        for path in paths:
            page.goto(live_server + path)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
    finally:
        context.close()
