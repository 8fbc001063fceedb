"""The authoring API with a designer's token: frameworks, competencies, modules, credentials
as documents, stacks, publish, versions, export/import, sharing; and who gets refused."""

from __future__ import annotations

import json

from app.accounts.models import Role
from app.credentials.authoring import services as svc
from app.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _headers(client, user, scopes=("read", "write")):
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD, "scopes": list(scopes)})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


DOCUMENT = {
    "name": "Feedback Loops",
    "summary": "Fast feedback.",
    "criteria_md": "Gives feedback students act on.",
    "tags": ["feedback"],
    "validity_months": 36,
    "module": {"title": "Feedback module", "estimated_hours": 2,
               "sections": [{"kind": "key_method", "title": "Method", "body_md": "Give **timely** feedback."}]},
    "requirements": [
        {"key": "plan", "kind": "text", "title": "Plan", "prompt": "Your plan"},
        {"key": "clip", "kind": "file", "title": "Clip", "prompt": "A clip", "accepted_types": ["video"]},
    ],
    "rubric": {"criteria": [
        {"key": "c1", "name": "Timeliness", "requirements": ["plan"],
         "levels": [{"label": "Not yet", "points": 1}, {"label": "Proficient", "points": 3, "is_pass": True}]},
        {"key": "c2", "name": "Uptake", "requirements": ["clip"],
         "levels": [{"label": "Not yet", "points": 1}, {"label": "Proficient", "points": 3, "is_pass": True}]},
    ]},
    "policy": {"peer_reviews": 2, "coach_rule": "on_disagreement"},
}


def test_designer_builds_frameworks_and_modules(client, designer):
    h = _headers(client, designer)
    response = client.post("/api/v1/author/frameworks", json={"name": "API Framework"}, headers=h)
    assert response.status_code == 201
    framework_id = response.get_json()["id"]
    ids = []
    for code in ("A", "B"):
        r = client.post(f"/api/v1/author/frameworks/{framework_id}/competencies", json={"code": code, "name": f"Comp {code}"},
                        headers=h)
        assert r.status_code == 201
        ids.append(r.get_json()["id"])
    clash = client.post(f"/api/v1/author/frameworks/{framework_id}/competencies", json={"code": "A", "name": "Again"},
                        headers=h)
    assert clash.status_code == 422 and "code" in clash.get_json()["error"]["fields"]
    order = client.put(f"/api/v1/author/frameworks/{framework_id}/competencies/order", json={"ids": ids[::-1]},
                       headers=h)
    assert [c["code"] for c in order.get_json()["competencies"]] == ["B", "A"]
    assert client.post(f"/api/v1/author/competencies/{ids[0]}/retire", json={"retired": True},
                       headers=h).get_json()["retired_at"]
    case = client.get(f"/api/v1/author/frameworks/{framework_id}/case", headers=h).get_json()
    assert [i["humanCodingScheme"] for i in case["CFItems"]] == ["B", "A"]
    imported = client.post("/api/v1/author/frameworks/import", json={"format": "case", "content": json.dumps(case),
                                                                      "slug": "api-framework-copy"}, headers=h)
    assert imported.status_code == 201 and len(imported.get_json()["competencies"]) == 2
    assert "A" in client.get(f"/api/v1/author/frameworks/{framework_id}/csv", headers=h).get_data(as_text=True)

    module = client.post("/api/v1/author/modules", json={"title": "M", "sections": [
        {"title": "One", "body_md": "1"}, {"title": "Two", "body_md": "2"}]}, headers=h)
    assert module.status_code == 201
    module_id = module.get_json()["id"]
    updated = client.put(f"/api/v1/author/modules/{module_id}", json={"title": "M2", "estimated_hours": 3, "sections": [
        {"title": "Two", "body_md": "2"}]}, headers=h)
    assert [s["title"] for s in updated.get_json()["sections"]] == ["Two"] and updated.get_json()["estimated_hours"] == 3


def test_designer_creates_publishes_and_versions_a_credential(client, designer):
    h = _headers(client, designer)
    incomplete = client.post("/api/v1/author/credentials", json={"name": "Empty one"}, headers=h)
    assert incomplete.status_code == 201 and incomplete.get_json()["problems"]
    refused = client.post(f"/api/v1/author/credentials/{incomplete.get_json()['id']}/publish", headers=h)
    assert refused.status_code == 422 and "rubric" in refused.get_json()["error"]["fields"]

    created = client.post("/api/v1/author/credentials", json=DOCUMENT, headers=h)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["problems"] == [] and body["version"] == 1
    credential_id = body["id"]
    published = client.post(f"/api/v1/author/credentials/{credential_id}/publish", headers=h)
    assert published.status_code == 200 and published.get_json()["published"] is True
    assert client.get(f"/api/v1/credentials/{credential_id}").status_code == 200  # in the public catalog

    changed = {**DOCUMENT, "name": "Feedback Loops, revised"}
    v2 = client.put(f"/api/v1/author/credentials/{credential_id}", json=changed, headers=h).get_json()
    assert v2["version"] == 2 and v2["id"] != credential_id and v2["published"] is False
    assert client.get(f"/api/v1/author/credentials/{credential_id}", headers=h).get_json()["name"] == "Feedback Loops"
    history = client.get(f"/api/v1/author/credentials/{v2['id']}/history", headers=h).get_json()["items"]
    assert history[0]["action"] == "credential.document_applied" and history[0]["version"] == 2

    exported = client.get(f"/api/v1/author/credentials/{credential_id}/export", headers=h).get_json()
    assert exported["rubric"]["criteria"][1]["requirements"] == ["r2"]
    unpublished = client.post(f"/api/v1/author/credentials/{credential_id}/unpublish", headers=h)
    assert unpublished.get_json()["published"] is False


def test_stacks_through_the_api(client, designer):
    h = _headers(client, designer)
    parts = []
    for name in ("Part one", "Part two"):
        body = client.post("/api/v1/author/credentials", json={**DOCUMENT, "name": name}, headers=h).get_json()
        parts.append(body)
    stack = client.post("/api/v1/author/credentials", json={"kind": "stack", "name": "Both parts",
                                                             "criteria_md": "Earn both."}, headers=h).get_json()
    refused = client.put(f"/api/v1/author/credentials/{stack['id']}/stack",
                         json={"rule": "all", "component_ids": [p["id"] for p in parts]}, headers=h)
    assert refused.status_code == 422 and "component_ids" in refused.get_json()["error"]["fields"]
    for p in parts:
        client.post(f"/api/v1/author/credentials/{p['id']}/publish", headers=h)
    saved = client.put(f"/api/v1/author/credentials/{stack['id']}/stack",
                       json={"rule": "n_of", "required_count": 1, "component_ids": [p["id"] for p in parts]}, headers=h)
    assert saved.status_code == 200 and saved.get_json()["document"]["stack"]["required_count"] == 1
    assert client.post(f"/api/v1/author/credentials/{stack['id']}/publish", headers=h).status_code == 200


def test_sharing_through_the_api(client, designer, draft, other_designer):
    svc.publish_credential(author=designer, credential=draft)
    db.session.commit()
    mine, theirs = _headers(client, designer), _headers(client, other_designer)
    assert client.post(f"/api/v1/author/shared/{draft.id}/adopt", headers=theirs).status_code == 403
    client.post(f"/api/v1/author/credentials/{draft.id}/offer", json={"offered": True}, headers=mine)
    assert client.get("/api/v1/author/shared", headers=theirs).get_json()["items"][0]["adopted"] is False
    assert client.post(f"/api/v1/author/shared/{draft.id}/adopt", headers=theirs).status_code == 200
    copy = client.post(f"/api/v1/author/shared/{draft.id}/copy", json={"name": "Ours"}, headers=theirs)
    assert copy.status_code == 201 and "Adapted from" in copy.get_json()["document"]["credit"]


def test_refusals(client, org, designer, draft, other_designer):
    teacher = factories.user(roles={Role.TEACHER}, organization=org)
    assert client.get("/api/v1/author/credentials", headers=_headers(client, teacher)).status_code == 403
    theirs = _headers(client, other_designer)
    assert client.get(f"/api/v1/author/credentials/{draft.id}", headers=theirs).status_code == 403
    assert client.put(f"/api/v1/author/credentials/{draft.id}", json=DOCUMENT, headers=theirs).status_code == 403
    read_only = _headers(client, designer, scopes=("read",))
    assert client.get("/api/v1/author/credentials", headers=read_only).status_code == 200
    assert client.post("/api/v1/author/frameworks", json={"name": "X"}, headers=read_only).status_code == 403
    unknown = client.post("/api/v1/author/credentials", json={**DOCUMENT, "is_published": True},
                          headers=_headers(client, designer))
    assert unknown.status_code == 422 and "is_published" in unknown.get_json()["error"]["fields"]
    assert client.get("/api/v1/author/credentials").status_code == 401
