"""The teacher journey in a real browser: from "I want this credential" to "my evidence is submitted".

A new teacher signs up from the credential page, starts its module, marks a
section done, uploads a photo and a PDF, fills the classroom-data table,
submits, and sees her attempt as submitted on the dashboard. Once at laptop
width and once at phone width.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.evidence.models import Artifact, Submission, SubmissionStatus
from app.extensions import db
from app.learning.models import Enrollment, SectionProgress
from tests import factories

PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 900}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(out, "JPEG")
    return out.getvalue()


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_new_teacher_goes_from_catalog_to_submitted(app, org, live_server, browser, viewport):
    credential = factories.micro_credential(org, name="Station Rotation Basics")
    credential.requirements[1].max_files = 3
    db.session.commit()
    text_part, file_part, data_part = credential.requirements
    first_section = credential.module.sections[0]

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)  # a busy 2-core machine can be slow to serve the first page
    try:
        page.goto(f"{live_server}/credentials/{credential.slug}")
        page.get_by_role("link", name="Start this credential").click()

        page.get_by_label("Your name").fill("Nia Newcomer")
        page.get_by_label("E-mail").fill("nia@example.org")
        page.get_by_label("Password", exact=True).fill("a-long-enough-password")
        page.get_by_label("Repeat password").fill("a-long-enough-password")
        page.get_by_role("button", name=re.compile("Create account|Register", re.I)).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(credential.name)

        page.get_by_role("button", name="Start this credential").click()
        expect(page.locator("main")).to_contain_text("0 of 4")
        page.get_by_role("link", name=first_section.title).first.click()
        page.get_by_role("button", name="Mark as done").click()
        expect(page.get_by_role("button", name="Mark as not done")).to_be_visible()
        page.get_by_role("link", name=credential.module.title).first.click()
        expect(page.locator("main")).to_contain_text("1 of 4")

        page.get_by_role("button", name="Work on your evidence").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(credential.name)

        # Submitting too early names every missing part next to it.
        page.get_by_role("button", name="Submit for review").click()
        expect(page.get_by_role("alert").first).to_contain_text("3 required parts are still missing evidence.")
        expect(page.locator(f"#requirement-{file_part.id}-error")).to_contain_text("needs at least one file")

        # The written response saves itself while she types (autosave) and survives a reload.
        written = "My grade 5 class of **24**; goal: fractions on a number line."
        part = page.locator(f"#requirement-{text_part.id}")
        part.get_by_label("Your response").fill(written)
        expect(part.locator("[data-save-status]")).to_contain_text("Saved at", timeout=15_000)
        page.reload()
        expect(page.locator(f"#requirement-{text_part.id}").get_by_label("Your response")).to_have_value(written)

        for name, mime, data in (("rotation.jpg", "image/jpeg", _photo()), ("plan.pdf", "application/pdf", _pdf())):
            part = page.locator(f"#requirement-{file_part.id}")
            part.get_by_label("Choose a file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
            part.get_by_role("button", name="Upload").click()
            expect(page.get_by_role("status").first).to_contain_text(f"Uploaded “{name}”")
        part = page.locator(f"#requirement-{file_part.id}")
        expect(part).to_contain_text("rotation.jpg")
        expect(part).to_contain_text("plan.pdf")
        expect(part.locator("img")).to_have_count(1)  # the photo's thumbnail

        table = page.locator(f"#requirement-{data_part.id}")
        table.get_by_label("Row 1: Measure").fill("Exit ticket mastery")
        table.get_by_label("Row 1: Unit").fill("%")
        table.get_by_label("Row 1: Before").fill("40")
        table.get_by_label("Row 1: After").fill("65")
        table.get_by_label("Row 1: Students").fill("24")
        table.get_by_label("Row 1: From").fill("2025-01-06")
        table.get_by_label("Row 1: To").fill("2025-02-14")
        expect(table.locator("[data-change]").first).to_contain_text("+25")
        table.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("status").first).to_contain_text("Saved the table")

        page.get_by_role("button", name="Submit for review").click()
        expect(page.locator("body")).to_contain_text("Submitted. Your evidence is now waiting for review")
        expect(page.get_by_role("heading", name="Waiting for review")).to_be_visible()

        page.goto(f"{live_server}/dashboard")
        waiting = page.locator("section", has=page.get_by_role("heading", name="Submitted, waiting for review"))
        expect(waiting).to_contain_text(credential.name)
        expect(waiting).to_contain_text("Submitted")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the dashboard scrolls sideways by {overflow}px"
    finally:
        context.close()

    db.session.expire_all()
    teacher = db.session.scalar(select(User).where(User.email == "nia@example.org"))
    submission = db.session.scalar(select(Submission).where(Submission.teacher_id == teacher.id))
    assert submission.status is SubmissionStatus.SUBMITTED
    kinds = sorted(a.kind.value for a in db.session.scalars(select(Artifact).where(Artifact.submission_id == submission.id)))
    assert kinds == ["data", "file", "file", "text"]
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == teacher.id))
    assert db.session.scalar(select(SectionProgress).where(SectionProgress.enrollment_id == enrollment.id)) is not None
