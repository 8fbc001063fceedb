"""The teacher's part of the API contract: draft, artifacts, submit, withdraw, status."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.accounts.models import Role
from app.evidence.models import Submission, SubmissionStatus
from app.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _auth(client, email, **extra):
    token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD, **extra}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _setup(client, org):
    credential = factories.micro_credential(org)
    factories.user(organization=org, email="t@example.org")
    headers = _auth(client, "t@example.org")
    return credential, headers


def test_the_whole_teacher_contract(client, org):
    credential, headers = _setup(client, org)
    created = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "draft" and body["attempt"] == 1
    sid = body["id"]
    again = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == sid

    text_req, file_req, data_req = credential.requirements
    refused = client.post(f"/api/v1/submissions/{sid}/submit", headers=headers)
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert {f"requirement-{r.id}" for r in credential.requirements} <= set(fields)

    text = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                       json={"requirement_id": text_req.id, "kind": "text", "text": "My **class** of 24."})
    assert text.status_code == 201, text.get_json()
    upload = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                         data={"requirement_id": str(file_req.id), "file": (io.BytesIO(_png()), "photo.png")},
                         content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    artifact = upload.get_json()
    assert artifact["content_type"] == "image/png" and artifact["download_url"]
    data = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers, json={
        "requirement_id": data_req.id, "kind": "data",
        "rows": [{"measure": "Exit ticket mastery", "unit": "%", "before": 40, "after": 65, "students": 24}],
    })
    assert data.status_code == 201, data.get_json()
    assert data.get_json()["rows"][0]["change"] == 25

    status = client.get(f"/api/v1/submissions/{sid}", headers=headers).get_json()
    assert status["missing"] == {} and len(status["artifacts"]) == 3
    download = client.get(artifact["download_url"], headers=headers)
    assert download.status_code == 200 and download.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert download.headers["Cache-Control"] == "private, no-store"

    submitted = client.post(f"/api/v1/submissions/{sid}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    late = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                       json={"requirement_id": text_req.id, "kind": "text", "text": "changed"})
    assert late.status_code in {409, 422}
    withdrawn = client.post(f"/api/v1/submissions/{sid}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    listing = client.get("/api/v1/submissions", headers=headers).get_json()["items"]
    assert [item["id"] for item in listing] == [sid]


def test_refused_upload_keeps_the_draft(client, org):
    credential, headers = _setup(client, org)
    sid = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers).get_json()["id"]
    text_req, file_req, _ = credential.requirements
    client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                json={"requirement_id": text_req.id, "kind": "text", "text": "keep me"})
    html = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                       data={"requirement_id": str(file_req.id),
                             "file": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.png")},
                       content_type="multipart/form-data")
    assert html.status_code == 422
    assert "file" in html.get_json()["error"]["fields"]
    artifacts = client.get(f"/api/v1/submissions/{sid}", headers=headers).get_json()["artifacts"]
    assert [a["text"] for a in artifacts] == ["keep me"]


def test_others_cannot_read_or_change_a_submission(client, org):
    credential, headers = _setup(client, org)
    sid = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers).get_json()["id"]
    factories.user(organization=org, email="other@example.org")
    other = _auth(client, "other@example.org")
    assert client.get(f"/api/v1/submissions/{sid}", headers=other).status_code == 403
    change = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=other,
                         json={"requirement_id": credential.requirements[0].id, "kind": "text", "text": "x"})
    assert change.status_code == 403
    factories.user(roles={Role.ADMIN}, organization=org, email="admin@example.org")
    assert client.get(f"/api/v1/submissions/{sid}", headers=_auth(client, "admin@example.org")).status_code == 200
    assert client.get(f"/api/v1/submissions/{sid}").status_code == 401


def test_read_only_token_cannot_write(client, org):
    credential, _ = _setup(client, org)
    read_only = _auth(client, "t@example.org", scopes=["read"])
    response = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=read_only)
    assert response.status_code == 403


def test_unknown_or_unpublished_credential(client, org):
    draft = factories.micro_credential(org, published=False)
    factories.user(organization=org, email="t@example.org")
    headers = _auth(client, "t@example.org")
    assert client.post("/api/v1/submissions", json={"credential_id": draft.id}, headers=headers).status_code == 404
    assert client.post("/api/v1/submissions", json={"credential_id": "x"}, headers=headers).status_code == 422


def test_resubmit_after_not_yet_carries_artifacts(client, org):
    credential, headers = _setup(client, org)
    sid = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers).get_json()["id"]
    text_req = credential.requirements[0]
    kept = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                       json={"requirement_id": text_req.id, "kind": "text", "text": "first try"}).get_json()
    submission = db.session.get(Submission, sid)
    submission.status = SubmissionStatus.NOT_YET
    db.session.commit()
    response = client.post(f"/api/v1/submissions/{sid}/resubmit", headers=headers,
                           json={"keep_artifact_ids": [kept["id"]], "change_note": "Added data."})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["attempt"] == 2 and body["previous_id"] == sid
    assert [a["text"] for a in body["artifacts"]] == ["first try"]
    assert body["artifacts"][0]["carried_forward"] is True
    assert [a["attempt"] for a in body["attempts"]] == [1, 2]
    assert db.session.scalar(select(Submission).where(Submission.id == body["id"])).change_note == "Added data."
