"""Real browser: a peer scores an attempt "not yet" with comments, the teacher reads the feedback,
resubmits, and the second attempt passes and shows as earned."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.credentials.models import Award
from app.extensions import db
from tests.factories import PASSWORD
from tests.reviewers.conftest import fill_and_submit, world  # noqa: F401  (fixture)


def _log_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page):
    page.get_by_role("button", name="Log out").click()


def _score(page, base, email, level, comment=None):
    _log_in(page, base, email)
    page.get_by_role("navigation").get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Exit Tickets").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review: Exit Tickets")
    expect(page.locator("main")).not_to_contain_text("Tina Teacher")
    for i in range(1, 4):
        group = page.get_by_role("group", name=re.compile(f"Criterion {i}"))
        group.get_by_label(re.compile(f"^{level}")).check()
        if comment:
            group.get_by_label(f"Comment on Criterion {i}").fill(f"{comment} (criterion {i})")
    expected = "Recommendation: pass." if level == "Proficient" else "Recommendation: not yet (3 below the pass level)."
    expect(page.locator("[data-recommendation]")).to_have_text(expected)
    page.get_by_label("Overall feedback for the teacher").fill("Thank you for the clear lesson plan.")
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_role("status").first).to_contain_text("Review sent")
    _log_out(page)


def test_not_yet_feedback_resubmission_and_pass(app, world, live_server, page):
    world.credential.policy.peer_reviews = 1
    peer, *others = world.peers
    for other in others:
        other.active = False
    db.session.commit()
    first = fill_and_submit(world.teacher, world.credential)

    # The peer tries to send without comments below the pass level: told next to the criterion.
    _log_in(page, live_server, peer.email)
    page.get_by_role("navigation").get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Exit Tickets").first.click()
    page.get_by_role("group", name=re.compile("Criterion 1")).get_by_label(re.compile("^Developing")).check()
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#criterion-2")).to_contain_text("Choose a level")
    _log_out(page)
    _score(page, live_server, peer.email, "Developing", comment="Show how students used the exit ticket")

    # The teacher reads the per-criterion feedback and resubmits.
    _log_in(page, live_server, world.teacher.email)
    page.goto(f"{live_server}/submissions/{first.id}")
    feedback = page.get_by_role("region", name="Feedback")
    expect(feedback).to_contain_text("Developing")
    expect(feedback).to_contain_text("Show how students used the exit ticket (criterion 2)")
    expect(feedback).not_to_contain_text(peer.name)
    page.get_by_label("What changed since your last attempt?").fill("I added student reflections.")
    page.get_by_role("button", name="Start attempt 2").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("main")).to_contain_text(re.compile("Submitted|waiting for review", re.I))
    _log_out(page)

    _score(page, live_server, peer.email, "Proficient")

    _log_in(page, live_server, world.teacher.email)
    page.goto(f"{live_server}/credentials/{world.credential.slug}/attempts")
    expect(page.locator("main")).to_contain_text("Passed")
    page.get_by_role("navigation").get_by_role("link", name="Notifications").click()
    expect(page.locator("main")).to_contain_text("You earned Exit Tickets")
    db.session.expire_all()
    assert db.session.scalar(select(Award).where(Award.recipient_id == world.teacher.id)) is not None


def test_review_pages_have_no_wcag_violations(app, world, live_server, browser):
    from app.accounts.models import Role
    from app.reviewers.models import Assignment
    from tests import factories
    from tests.browser.test_accessibility import _violations

    submission = fill_and_submit(world.teacher, world.credential)
    assignment = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)).first()
    admin = factories.user(roles={Role.ADMIN, Role.COACH}, organization=world.org, email="a11y-admin@example.org")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        for email, paths in [
            (assignment.reviewer.email, ["/reviews", f"/reviews/assignments/{assignment.id}", "/notifications",
                                         f"/reviews/calibration/{world.credential.slug}"]),
            (admin.email, ["/reviews/oversight", "/reviews/qualifications", "/reviews/agreement"]),
        ]:
            _log_in(page, live_server, email)
            for path in paths:
                page.goto(live_server + path)
                assert _violations(page) == [], path
            _log_out(page)
    finally:
        context.close()
