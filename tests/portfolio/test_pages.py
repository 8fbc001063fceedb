"""Portfolio pages through HTTP: her badges, one badge's page, switches, collections, the public
profile, the share page's Open Graph tags and the embed's frame policy."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from app.credentials.openbadges.services import revoke_award
from app.extensions import db
from app.portfolio import services
from app.portfolio.models import AwardVisibility, Collection
from tests import factories
from tests.portfolio.conftest import issue


def _meta(body: str, key: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', body)
    return html.unescape(match.group(1)) if match else None


def test_portfolio_lists_her_badges_with_status(app, org, teacher, admin, award):
    stack = issue(teacher, factories.micro_credential(org, name="Revoked One"))
    revoke_award(admin=admin, award=stack, reason="Evidence was copied.")
    db.session.commit()
    response = app.test_client(user=teacher).get("/portfolio")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Station Rotation" in body and "Valid" in body
    assert "Revoked" in body and "Evidence was copied." in body
    assert body.index("Revoked One") < body.index("Station Rotation")  # newest first
    assert f'/ob/badges/{award.credential_id}/image.png' in body
    assert 'href="/portfolio/export"' in body
    assert '<a href="/portfolio"' in body  # the navigation link


def test_award_page_has_downloads_linkedin_share_and_embed(app, teacher, award):
    body = app.test_client(user=teacher).get(f"/portfolio/awards/{award.id}").get_data(as_text=True)
    for path in ("hosted.png", "hosted.svg", "signed.png", "signed.svg", "ob3.png", "ob3.svg", "signed.jws",
                 "credential.json", "credential.jwt"):
        assert f"/ob/assertions/{award.uuid}/{path}" in body, path
    href = html.unescape(re.search(r'id="linkedin-link" href="([^"]+)"', body).group(1))
    assert href == services.linkedin_url(award)
    assert parse_qs(urlsplit(href).query)["certId"] == [award.uuid]
    snippet = html.unescape(re.search(r'<textarea id="embed-snippet"[^>]*>(.*?)</textarea>', body, re.S).group(1))
    assert f'href="http://localhost/ob/assertions/{award.uuid}"' in snippet and "Station Rotation" in snippet
    assert f"/embed/awards/{award.uuid}" in body
    assert 'src="/static/js/portfolio.js"' in body


def test_switches_change_visibility_and_consent(app, teacher, award):
    client = app.test_client(user=teacher)
    response = client.post(f"/portfolio/awards/{award.id}/visibility", data={"value": "on"})
    assert response.status_code == 302
    assert db.session.get(AwardVisibility, award.id) is not None
    client.post(f"/portfolio/awards/{award.id}/consent", data={"value": "on"})
    db.session.refresh(award)
    assert award.evidence_public is True
    client.post(f"/portfolio/awards/{award.id}/visibility", data={"value": "off"})
    db.session.expire_all()
    assert db.session.get(AwardVisibility, award.id) is None
    assert client.post(f"/portfolio/awards/{award.id}/consent", data={"value": "maybe"}).status_code == 302
    db.session.refresh(award)
    assert award.evidence_public is True  # an unknown value changes nothing


def test_profile_errors_show_next_to_the_field(app, teacher, other_teacher):
    services.update_profile(teacher=other_teacher, handle="taken")
    db.session.commit()
    client = app.test_client(user=teacher)
    for handle, message in [("Taken", "That address is taken"), ("admin", "reserved"), ("a_b", "lowercase letters")]:
        response = client.post("/portfolio/profile", data={"handle": handle, "enabled": "y"})
        body = response.get_data(as_text=True)
        assert response.status_code == 422, handle
        error = re.search(r'id="handle-error">\s*<span class="visually-hidden">Error: </span>([^<]*)', body)
        assert error and message in error.group(1), handle
        assert 'aria-invalid="true"' in body
    response = client.post("/portfolio/profile", data={"handle": "", "enabled": "y"})
    assert response.status_code == 422 and "before turning it on" in response.get_data(as_text=True)
    response = client.post("/portfolio/profile", data={"handle": "Rosa-Park", "enabled": "y", "headline": "Grade 4"})
    assert response.status_code == 302
    page = client.get("/portfolio").get_data(as_text=True)
    assert "http://localhost/u/rosa-park" in page and 'value="rosa-park"' in page


def test_collections_pages(app, org, teacher, award):
    second = issue(teacher, factories.micro_credential(org, name="Small Groups"))
    client = app.test_client(user=teacher)
    assert client.post("/portfolio/collections", data={"name": ""}).status_code == 422
    response = client.post("/portfolio/collections", data={"name": "Blended", "description": "My year"})
    collection = db.session.scalar(db.select(Collection))
    assert response.headers["Location"].endswith(f"/portfolio/collections/{collection.id}")
    client.post(f"/portfolio/collections/{collection.id}/awards/{award.id}", data={"action": "add"})
    client.post(f"/portfolio/collections/{collection.id}/awards/{second.id}", data={"action": "add"})
    client.post(f"/portfolio/collections/{collection.id}/awards/{second.id}", data={"action": "up"})
    db.session.expire_all()
    assert [i.award_id for i in collection.items] == [second.id, award.id]
    page = client.get(f"/portfolio/collections/{collection.id}").get_data(as_text=True)
    assert page.index("Small Groups") < page.index("Station Rotation")
    client.post(f"/portfolio/collections/{collection.id}", data={"name": "Blended learning", "description": ""})
    client.post("/portfolio/collections", data={"name": "Leadership"})
    assert client.post(f"/portfolio/collections/{collection.id}", data={"name": "leadership"}).status_code == 422
    client.post(f"/portfolio/collections/{collection.id}/move", data={"direction": "down"})
    db.session.expire_all()
    names = [c.name for c in services.portfolio_overview(teacher).collections]
    assert names == ["Leadership", "Blended learning"]
    client.post(f"/portfolio/awards/{award.id}/collections", data={"collections": []})
    db.session.expire_all()
    assert [i.award_id for i in collection.items] == [second.id]
    client.post(f"/portfolio/collections/{collection.id}/delete")
    db.session.expire_all()
    assert db.session.get(Collection, collection.id) is None


def test_public_profile_page(app, org, teacher, admin, award):
    anonymous = app.test_client()
    services.update_profile(teacher=teacher, handle="rosa", headline="Grade 4 teacher")
    services.set_award_visibility(teacher=teacher, award=award, visible=True)
    db.session.commit()
    assert anonymous.get("/u/rosa").status_code == 404  # off
    assert anonymous.get("/u/nobody").status_code == 404
    services.update_profile(teacher=teacher, enabled=True)
    hidden = issue(teacher, factories.micro_credential(org, name="Hidden Badge"))
    revoked = issue(teacher, factories.micro_credential(org, name="Revoked Badge"))
    services.set_award_visibility(teacher=teacher, award=revoked, visible=True)
    services.create_collection(teacher=teacher, name="Blended year", award_ids=[award.id, revoked.id, hidden.id])
    revoke_award(admin=admin, award=revoked, reason="Withdrawn.")
    db.session.commit()
    response = anonymous.get("/u/ROSA")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Rosa Park" in body and "Grade 4 teacher" in body and "Blended year" in body
    assert "Station Rotation" in body and f"/ob/assertions/{award.uuid}" in body
    assert "Hidden Badge" not in body and "Revoked Badge" not in body
    assert teacher.email.lower() not in body.lower()


def test_share_page_has_open_graph_and_twitter_tags(app, org, teacher, admin, award):
    response = app.test_client().get(f"/ob/assertions/{award.uuid}", headers={"Accept": "text/html"})
    body = response.get_data(as_text=True)
    assert _meta(body, "og:title") == "Station Rotation"
    assert _meta(body, "og:url") == f"http://localhost/ob/assertions/{award.uuid}"
    assert _meta(body, "og:image") == f"http://localhost/ob/badges/{award.credential_id}/image.png"
    assert "Issued by" in _meta(body, "og:description")
    assert _meta(body, "twitter:card") == "summary"
    assert _meta(body, "twitter:image") == _meta(body, "og:image")
    image = app.test_client().get(urlsplit(_meta(body, "og:image")).path)
    assert image.status_code == 200 and image.mimetype == "image/png"
    revoke_award(admin=admin, award=award, reason="Copied evidence.")
    db.session.commit()
    body = app.test_client().get(f"/ob/assertions/{award.uuid}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert _meta(body, "og:title") == "Revoked: Station Rotation"
    assert "Copied evidence." in _meta(body, "og:description")


def test_embed_may_be_framed_and_nothing_else_may(app, admin, award):
    client = app.test_client()
    response = client.get(f"/embed/awards/{award.uuid}")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "X-Frame-Options" not in response.headers
    body = response.get_data(as_text=True)
    assert "Station Rotation" in body and f"/ob/assertions/{award.uuid}" in body and "<script" not in body
    for path in ["/", f"/ob/assertions/{award.uuid}", "/u/nobody", "/login"]:
        other = client.get(path, headers={"Accept": "text/html"})
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], path
        assert other.headers["X-Frame-Options"] == "DENY", path
    revoke_award(admin=admin, award=award, reason="Evidence was copied.")
    db.session.commit()
    body = client.get(f"/embed/awards/{award.uuid}").get_data(as_text=True)
    assert "Revoked" in body and "Evidence was copied." in body
    assert client.get("/embed/awards/not-a-badge").status_code == 404


def test_portfolio_page_queries_do_not_grow_with_awards(app, org, teacher, count_queries):
    client = app.test_client(user=teacher)
    first = issue(teacher, factories.micro_credential(org))
    services.create_collection(teacher=teacher, name="First", award_ids=[first.id])
    db.session.commit()
    with count_queries() as few:
        assert client.get("/portfolio").status_code == 200
    for _ in range(4):
        a = issue(teacher, factories.micro_credential(org))
        services.create_collection(teacher=teacher, name=f"C{a.id}", award_ids=[a.id])
    db.session.commit()
    with count_queries() as many:
        assert client.get("/portfolio").status_code == 200
    assert len(many) == len(few), (len(few), len(many))
