"""API: GET /api/v1/me/awards with every URL, POST /api/v1/awards/{id}/revoke for admins."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role
from app.audit import AuditEvent
from app.extensions import db
from tests import factories
from tests.credentials.openbadges.conftest import issue
from tests.factories import PASSWORD

URL_KEYS = {"assertion", "badge_class", "baked_png", "baked_svg", "signed_png", "signed_svg", "jws", "ob3_credential",
            "ob3_jwt", "ob3_png", "ob3_svg", "verification_page"}


def _auth(client, email):
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_my_awards_lists_every_url_and_each_answers(client, award, teacher, credential, count_queries):
    second = issue(teacher, factories.micro_credential(credential.issuer))
    headers = _auth(client, teacher.email)
    with count_queries() as statements:
        response = client.get("/api/v1/me/awards", headers=headers)
    assert response.status_code == 200
    assert len(statements) <= 8, statements
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [second.id, award.id]
    item = items[1]
    assert item["uuid"] == award.uuid and item["revoked"] is False and item["credential"] == "Station Rotation"
    assert set(item["urls"]) == URL_KEYS
    for name, url in item["urls"].items():
        fetched = client.get(url.replace("http://localhost", ""))
        assert fetched.status_code == 200, (name, url, fetched.status_code)


def test_my_awards_query_count_does_not_grow_with_awards(client, award, teacher, credential, count_queries):
    headers = _auth(client, teacher.email)
    with count_queries() as few:
        client.get("/api/v1/me/awards", headers=headers)
    for _ in range(3):
        issue(teacher, factories.micro_credential(credential.issuer))
    with count_queries() as many:
        assert len(client.get("/api/v1/me/awards", headers=headers).get_json()["items"]) == 4
    assert len(many) == len(few)


def test_my_awards_are_only_mine(client, award, org):
    other = factories.user(organization=org)
    assert client.get("/api/v1/me/awards", headers=_auth(client, other.email)).get_json() == {"items": []}
    assert client.get("/api/v1/me/awards").status_code == 401


def test_admin_revokes_through_the_api(client, award, admin):
    headers = _auth(client, admin.email)
    response = client.post(f"/api/v1/awards/{award.id}/revoke", json={"reason": "Issued to the wrong teacher."},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["revoked"] is True
    assert response.get_json()["revocation_reason"] == "Issued to the wrong teacher."
    assert client.get(f"/ob/assertions/{award.uuid}").status_code == 410
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.revoked")) is not None
    again = client.post(f"/api/v1/awards/{award.id}/revoke", json={"reason": "Again"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_revoke_api_refusals(client, award, teacher, admin, org):
    url = f"/api/v1/awards/{award.id}/revoke"
    assert client.post(url, json={"reason": "x"}).status_code == 401
    assert client.post(url, json={"reason": "x"}, headers=_auth(client, teacher.email)).status_code == 403
    outsider = factories.user(roles={Role.ADMIN}, organization=factories.organization())
    assert client.post(url, json={"reason": "x"}, headers=_auth(client, outsider.email)).status_code == 403
    headers = _auth(client, admin.email)
    missing = client.post(url, json={}, headers=headers)
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    blank = client.post(url, json={"reason": "   "}, headers=headers)
    assert blank.status_code == 422 and "reason" in blank.get_json()["error"]["fields"]
    extra = client.post(url, json={"reason": "x", "revoked_by_id": 1}, headers=headers)
    assert extra.status_code == 422
    assert client.post("/api/v1/awards/999999/revoke", json={"reason": "x"}, headers=headers).status_code == 404
    db.session.refresh(award)
    assert award.revoked_at is None
