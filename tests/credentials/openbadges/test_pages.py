"""The designer's badge image page and the admin's award and revocation pages."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.accounts.models import Role
from app.audit import AuditEvent
from app.credentials.openbadges import baking, images, publishing
from app.extensions import db
from tests import factories
from tests.credentials.openbadges.conftest import issue


def _png(colour="navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 120), colour).save(out, "PNG")
    return out.getvalue()


def test_designer_uploads_a_png_and_new_badges_are_baked_from_it(app, org, credential, teacher):
    designer = factories.user(roles={Role.DESIGNER}, organization=org)
    client = app.test_client(user=designer)
    page = client.get(f"/credentials/manage/{credential.id}/badge-image")
    assert page.status_code == 200 and 'for="png"' in page.get_data(as_text=True)
    response = client.post(f"/credentials/manage/{credential.id}/badge-image",
                           data={"png": (io.BytesIO(_png()), "badge.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(credential)
    assert credential.image_key
    served = client.get(f"/ob/badges/{credential.id}/image.png").data
    assert Image.open(io.BytesIO(served)).getpixel((5, 5))[:3] == (0, 0, 128)
    award = issue(teacher, credential)
    baked = publishing.read_baked(publishing.document(award, "ob2_hosted_png"))
    assert baked.startswith(served[:-12]) and baking.unbake_png(baked)  # same image bytes, plus the chunk
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.badge_image")) is not None


def test_designer_uploads_an_svg_which_is_sanitized(app, org, credential):
    client = app.test_client(user=factories.user(roles={Role.DESIGNER}, organization=org))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"><script>x()</script><rect width="9" height="9"/></svg>'
    response = client.post(f"/credentials/manage/{credential.id}/badge-image",
                           data={"svg": (io.BytesIO(svg), "badge.svg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    served = client.get(f"/ob/badges/{credential.id}/image.svg")
    assert served.mimetype == "image/svg+xml" and b"script" not in served.data and b"onload" not in served.data
    assert b"<rect" in served.data
    cleared = client.post(f"/credentials/manage/{credential.id}/badge-image/clear")
    assert cleared.status_code == 302
    db.session.refresh(credential)
    assert credential.image_key is None and credential.image_svg_key is None
    assert client.get(f"/ob/badges/{credential.id}/image.svg").data == images.drawn_images(credential)[1]


def test_a_bad_upload_shows_the_error_next_to_the_field(app, org, credential):
    client = app.test_client(user=factories.user(roles={Role.DESIGNER}, organization=org))
    response = client.post(f"/credentials/manage/{credential.id}/badge-image",
                           data={"png": (io.BytesIO(b"GIF89a not a png"), "badge.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="png-error"' in html and "not a PNG" in html
    empty = client.post(f"/credentials/manage/{credential.id}/badge-image", data={},
                        content_type="multipart/form-data")
    assert empty.status_code == 422 and "Choose a PNG or an SVG" in empty.get_data(as_text=True)


def test_designers_of_another_organization_are_refused(app, credential):
    outsider = factories.user(roles={Role.DESIGNER}, organization=factories.organization())
    assert app.test_client(user=outsider).get(f"/credentials/manage/{credential.id}/badge-image").status_code == 403


def test_admin_finds_and_revokes_an_award(app, org, award, admin):
    client = app.test_client(user=admin)
    listing = client.get("/admin/awards?q=ana.teacher")
    assert listing.status_code == 200 and "Station Rotation" in listing.get_data(as_text=True)
    assert "Station Rotation" not in client.get("/admin/awards?q=nobody").get_data(as_text=True)

    blank = client.post(f"/admin/awards/{award.id}", data={"reason": ""})
    assert blank.status_code == 422
    assert 'id="reason-error"' in blank.get_data(as_text=True)
    done = client.post(f"/admin/awards/{award.id}", data={"reason": "Evidence belonged to another teacher."})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Revoked" in page and "Evidence belonged to another teacher." in page
    assert "Revoked" in client.get("/admin/awards?status=revoked").get_data(as_text=True)


def test_admins_of_other_organizations_cannot_open_an_award(app, award):
    outsider = factories.user(roles={Role.ADMIN}, organization=factories.organization())
    client = app.test_client(user=outsider)
    assert client.get(f"/admin/awards/{award.id}").status_code == 403
    assert "Station Rotation" not in client.get("/admin/awards").get_data(as_text=True)


def test_admin_award_list_query_count_is_bounded(app, org, teacher, credential, admin, count_queries):
    for _ in range(3):
        issue(teacher, credential)
    client = app.test_client(user=admin)
    with count_queries() as statements:
        assert client.get("/admin/awards").status_code == 200
    assert len(statements) <= 8, len(statements)
