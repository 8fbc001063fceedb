"""Real browser: a teacher with a badge opens her portfolio, turns on her public profile at a
handle, makes a collection with the badge, sees the public page logged out, takes the LinkedIn
link and downloads the export; every portfolio page passes axe."""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests import factories
from tests.browser.test_accessibility import _violations
from tests.factories import PASSWORD
from tests.portfolio.conftest import issue


def test_teacher_shares_her_badge_on_a_public_profile(app, org, live_server, browser):
    app.config["BASE_URL"] = live_server
    teacher = factories.user(organization=org, email="rosa@example.org", name="Rosa Park")
    award = issue(teacher, factories.micro_credential(org, name="Station Rotation Basics"))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(live_server + "/login")
        page.get_by_label("E-mail").fill("rosa@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("navigation").get_by_role("link", name="Portfolio").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your portfolio")
        assert _violations(page) == [], "portfolio"

        page.get_by_label("Profile address").fill("admin")
        page.get_by_label("Show my public profile").check()
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator("#handle-error")).to_contain_text("reserved")
        assert _violations(page) == [], "profile error"
        page.get_by_label("Profile address").fill("rosa-park")
        page.get_by_label("Headline").fill("Grade 4 teacher")
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_role("status").first).to_contain_text("Public profile saved")

        page.get_by_label("Collection name").fill("Blended learning")
        page.get_by_role("button", name="Create collection").click()
        page.get_by_role("button", name="Add Station Rotation Basics").click()
        expect(page.get_by_role("button", name="Remove Station Rotation Basics")).to_be_visible()
        assert _violations(page) == [], "collection"

        page.get_by_role("link", name="Portfolio").first.click()
        page.get_by_role("link", name="Station Rotation Basics").click()
        page.get_by_role("button", name="Show on my public profile").click()
        expect(page.get_by_role("button", name="Hide from my public profile")).to_be_visible()
        assert _violations(page) == [], "award"
        href = page.get_by_role("link", name="Add to LinkedIn profile").get_attribute("href")
        query = parse_qs(urlsplit(href).query)
        assert href.startswith("https://www.linkedin.com/profile/add?")
        assert query["name"] == ["Station Rotation Basics"] and query["certId"] == [award.uuid]
        assert query["certUrl"] == [f"{live_server}/ob/assertions/{award.uuid}"]
        expect(page.get_by_label("Embed code for your website or blog")).to_have_value(re.compile("Station Rotation"))

        with page.expect_download() as info:
            page.goto(live_server + "/portfolio")
            page.get_by_role("link", name="Export everything (ZIP)").click()
        archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["awards"][0]["uuid"] == award.uuid

        anonymous = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
        public = anonymous.new_page()
        public.goto(live_server + "/u/rosa-park")
        expect(public.get_by_role("heading", level=1)).to_have_text("Rosa Park")
        expect(public.get_by_role("heading", name="Blended learning")).to_be_visible()
        expect(public.get_by_role("link", name="Station Rotation Basics")).to_be_visible()
        assert public.evaluate("document.documentElement.scrollWidth") <= 360
        assert _violations(public) == [], "public profile"
        public.goto(f"{live_server}/embed/awards/{award.uuid}")
        assert _violations(public) == [], "embed"
        assert public.goto(live_server + "/u/nobody").status == 404
        anonymous.close()
    finally:
        context.close()
