"""The portfolio API: the same services as the pages, bearer tokens, the error envelope."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import parse_qs, urlsplit

from app.credentials.openbadges.services import revoke_award
from app.extensions import db
from app.portfolio import services
from tests import factories
from tests.factories import PASSWORD
from tests.portfolio.conftest import issue


def _headers(client, user, scopes=("read", "write")):
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD, "scopes": list(scopes)})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_get_portfolio_lists_awards_with_links(client, teacher, award):
    auth = _headers(client, teacher)
    body = client.get("/api/v1/me/portfolio", headers=auth).get_json()
    assert body["profile"] == {"handle": None, "enabled": False, "display_name": None, "headline": None,
                               "public_url": None}
    [item] = body["awards"]
    assert item["id"] == award.id and item["status"] == "valid" and item["visible"] is False
    assert item["urls"]["ob3_jwt"].endswith(f"/ob/assertions/{award.uuid}/credential.jwt")
    query = parse_qs(urlsplit(item["linkedin_url"]).query)
    assert query["certId"] == [award.uuid] and query["name"] == ["Station Rotation"]
    assert item["share_url"].endswith(f"/ob/assertions/{award.uuid}")
    assert item["embed_url"].endswith(f"/embed/awards/{award.uuid}") and "<img" in item["embed_html"]


def test_patch_profile_and_errors(client, teacher, other_teacher):
    services.update_profile(teacher=other_teacher, handle="taken")
    db.session.commit()
    auth = _headers(client, teacher)
    response = client.patch("/api/v1/me/portfolio", json={"handle": "TAKEN", "enabled": True}, headers=auth)
    assert response.status_code == 422 and "handle" in response.get_json()["error"]["fields"]
    response = client.patch("/api/v1/me/portfolio", json={"enabled": True}, headers=auth)
    assert response.status_code == 422 and "handle" in response.get_json()["error"]["fields"]
    response = client.patch("/api/v1/me/portfolio", json={"colour": "red"}, headers=auth)
    assert response.status_code == 422 and "colour" in response.get_json()["error"]["fields"]
    response = client.patch("/api/v1/me/portfolio", json={"handle": "Rosa", "enabled": True, "headline": "Grade 4"},
                            headers=auth)
    assert response.status_code == 200
    assert response.get_json()["profile"]["public_url"] == "http://localhost/u/rosa"
    read_only = _headers(client, teacher, scopes=("read",))
    response = client.patch("/api/v1/me/portfolio", json={"headline": "x"}, headers=read_only)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_collections_crud_and_award_settings(client, org, teacher, other_teacher, award):
    second = issue(teacher, factories.micro_credential(org, name="Small Groups"))
    theirs = issue(other_teacher, factories.micro_credential(org))
    auth = _headers(client, teacher)
    response = client.post("/api/v1/me/portfolio/collections", json={"name": "Blended", "award_ids": [award.id]},
                           headers=auth)
    assert response.status_code == 201
    collection = response.get_json()
    assert collection["award_ids"] == [award.id] and collection["position"] == 0
    url = f"/api/v1/me/portfolio/collections/{collection['id']}"
    response = client.patch(url, json={"award_ids": [second.id, award.id], "description": "My year"}, headers=auth)
    assert response.get_json()["award_ids"] == [second.id, award.id]
    response = client.patch(url, json={"award_ids": [theirs.id]}, headers=auth)
    assert response.status_code == 422 and "award_ids" in response.get_json()["error"]["fields"]
    assert client.post("/api/v1/me/portfolio/collections", json={"name": ""}, headers=auth).status_code == 422
    assert client.get(url, headers=auth).get_json()["description"] == "My year"

    other_auth = _headers(client, other_teacher)
    assert client.get(url, headers=other_auth).status_code == 403
    assert client.patch(f"/api/v1/me/portfolio/awards/{award.id}", json={"visible": True},
                        headers=other_auth).status_code == 403
    assert client.patch("/api/v1/me/portfolio/awards/999999", json={"visible": True},
                        headers=auth).status_code == 404

    response = client.patch(f"/api/v1/me/portfolio/awards/{award.id}", json={"visible": True,
                                                                          "evidence_public": True}, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["visible"] is True and response.get_json()["evidence_public"] is True
    client.patch("/api/v1/me/portfolio", json={"handle": "rosa", "enabled": True}, headers=auth)
    assert client.get("/u/rosa").status_code == 200

    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url, headers=auth).status_code == 404
    assert client.get("/api/v1/me/portfolio", headers=auth).get_json()["collections"] == []


def test_export_through_the_api(client, teacher, admin, award):
    revoke_award(admin=admin, award=award, reason="Withdrawn.")
    db.session.commit()
    auth = _headers(client, teacher, scopes=("read",))
    response = client.get("/api/v1/me/export", headers=auth)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["awards"][0]["status"] == "revoked"
    assert client.get("/api/v1/me/export").status_code == 401
