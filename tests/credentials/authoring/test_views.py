"""The authoring pages: forms show errors next to their field, the rubric builder, previews,
publishing from the page, the live preview endpoint, imports and exports, query counts."""

from __future__ import annotations

import io
import json

from sqlalchemy import event, select

from app.credentials.authoring import services as svc
from app.credentials.models import Credential
from app.extensions import db
from tests.credentials.authoring.test_interchange import CSV_TEXT


def _client(app, user):
    return app.test_client(user=user)


def test_designer_builds_a_credential_through_the_pages(app, designer):
    client = _client(app, designer)
    response = client.post("/author/credentials/new", data={"kind": "micro", "name": "Exit Tickets"})
    assert response.status_code == 302
    credential = db.session.scalar(select(Credential).where(Credential.name == "Exit Tickets"))
    editor = f"/author/credentials/{credential.id}"
    assert "Add at least one part" in client.get(editor).get_data(as_text=True)

    response = client.post(f"{editor}/requirements/new", data={
        "kind": "text", "title": "Reflection", "prompt": "What did you learn?", "required": "y", "max_files": "1"})
    assert response.status_code == 302
    requirement = credential.requirements[0]

    # A criterion without a pass level: the page answers 422 with the message next to the levels.
    levels = {"levels-0-label": "Not yet", "levels-0-points": "1", "levels-1-label": "Proficient",
              "levels-1-points": "3"}
    response = client.post(f"{editor}/criteria/new", data={
        "name": "Insight", "requirement_ids": str(requirement.id), **levels})
    assert response.status_code == 422
    assert "Mark one level as the pass level." in response.get_data(as_text=True)
    response = client.post(f"{editor}/criteria/new", data={
        "name": "Insight", "requirement_ids": str(requirement.id), **levels, "pass_level": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    credential = db.session.get(Credential, credential.id)
    assert credential.rubric.criteria[0].pass_level.label == "Proficient"

    response = client.post(editor, data={"name": "Exit Tickets", "criteria_md": "Uses exit tickets well.",
                                         "tags": "assessment, Quick Checks"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Credential, credential.id).tags == ["assessment", "quick checks"]

    assert client.get(f"{editor}/preview/teacher").status_code == 200
    reviewer = client.get(f"{editor}/preview/reviewer").get_data(as_text=True)
    assert "Insight" in reviewer and "What did you learn?" in reviewer
    response = client.post(f"{editor}/publish", follow_redirects=True)
    assert "Published version 1" in response.get_data(as_text=True)
    assert client.get(f"/credentials/{credential.slug}").status_code == 200


def test_publish_from_the_page_names_what_is_missing(app, designer):
    credential = svc.create_credential(author=designer, kind=svc.CredentialKind.MICRO, name="Half done")
    db.session.commit()
    response = _client(app, designer).post(f"/author/credentials/{credential.id}/publish", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "not ready to publish" in page and "Write the criteria narrative" in page


def test_a_published_version_is_read_only_and_offers_the_next_version(app, designer, draft):
    svc.publish_credential(author=designer, credential=draft)
    db.session.commit()
    client = _client(app, designer)
    page = client.get(f"/author/credentials/{draft.id}").get_data(as_text=True)
    assert "Start version 2 to make changes" in page
    response = client.post(f"/author/credentials/{draft.id}", data={"name": "Sneaky change"}, follow_redirects=True)
    assert "Start version 2" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Credential, draft.id).name == "Small Groups"
    response = client.post(f"/author/credentials/{draft.id}/new-version")
    assert response.status_code == 302
    v2 = db.session.scalar(select(Credential).where(Credential.slug == draft.slug, Credential.version == 2))
    assert response.headers["Location"].endswith(f"/author/credentials/{v2.id}")


def test_another_districts_designer_gets_403(app, draft, other_designer):
    client = _client(app, other_designer)
    assert client.get(f"/author/credentials/{draft.id}").status_code == 403
    assert client.post(f"/author/credentials/{draft.id}/publish").status_code == 403
    assert client.get(f"/author/modules/{draft.module_id}").status_code == 403


def test_live_preview_is_sanitized_like_the_teachers_page(app, designer):
    response = _client(app, designer).post("/author/preview", data={
        "source": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"})
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html and "<script>" not in html and 'href="javascript' not in html
    from app.markdown import render_markdown

    assert html == str(render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1))"))


def test_csv_import_and_export_through_the_pages(app, designer):
    client = _client(app, designer)
    response = client.post("/author/frameworks/import", data={
        "format": "csv", "name": "Uploaded", "file": (io.BytesIO(CSV_TEXT.encode()), "fw.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    framework_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    exported = client.get(f"/author/frameworks/{framework_id}/export.csv")
    assert exported.mimetype == "text/csv" and "Gather data" in exported.get_data(as_text=True)
    case = client.get(f"/author/frameworks/{framework_id}/export.json").get_json()
    assert len(case["CFItems"]) == 4
    bad = client.post("/author/frameworks/import", data={
        "format": "csv", "name": "Bad", "file": (io.BytesIO(b"\xff\xfe\x00junk"), "x.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "UTF-8" in bad.get_data(as_text=True)


def test_credential_export_and_import_through_the_pages(app, designer, draft):
    client = _client(app, designer)
    body = client.get(f"/author/credentials/{draft.id}/export.json").get_data()
    response = client.post("/author/credentials/import", data={
        "file": (io.BytesIO(body), "c.json"), "slug": "small-groups-again"}, content_type="multipart/form-data")
    assert response.status_code == 302
    copy = db.session.scalar(select(Credential).where(Credential.slug == "small-groups-again"))
    assert svc.export_document(copy)["rubric"] == json.loads(body)["rubric"]
    taken = client.post("/author/credentials/import", data={"file": (io.BytesIO(body), "c.json")},
                        content_type="multipart/form-data")
    assert taken.status_code == 422 and "exists already" in taken.get_data(as_text=True)


def test_editor_page_query_count_does_not_grow_with_the_rubric(app, designer):
    from tests.credentials.authoring.conftest import build_draft

    client = _client(app, designer)

    def count(credential_id: int) -> int:
        statements: list[str] = []

        def listener(*_args, **_kwargs):
            statements.append("q")

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/author/credentials/{credential_id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    small = build_draft(designer, name="Small", criteria=1)
    large = build_draft(designer, name="Large", criteria=8)
    count(small.id)  # the first request also loads the logged-in user
    assert count(large.id) == count(small.id)
    assert count(large.id) <= 25


def test_editor_links_to_the_badge_image_page(app, designer):
    from tests.credentials.authoring.conftest import build_draft

    client = _client(app, designer)
    credential = build_draft(designer, name="Badge Look", criteria=1)
    page = client.get(f"/author/credentials/{credential.id}").get_data(as_text=True)
    upload = f"/credentials/manage/{credential.id}/badge-image"
    assert upload in page and f"/ob/badges/{credential.id}/image.png" in page
    assert client.get(upload).status_code == 200
    assert client.get(f"/ob/badges/{credential.id}/image.png").mimetype == "image/png"
