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


# --- the rest of the teacher's contract (DESIGN.md section 7) --------------------------------


def test_catalog_and_credential_calls_of_the_contract(client, org):
    fw = factories.framework(org)
    credential = factories.micro_credential(org, competencies=[fw.competencies[0]])
    items = client.get("/api/v1/credentials").get_json()["items"]
    item = next(i for i in items if i["id"] == credential.id)
    assert {"id", "slug", "name", "kind", "competencies"} <= set(item)
    assert item["kind"] == "micro" and item["competencies"][0]["code"] == fw.competencies[0].code
    detail = client.get(f"/api/v1/credentials/{credential.id}").get_json()
    assert [r["id"] for r in detail["requirements"]] == [r.id for r in credential.requirements]
    criteria = detail["rubric"]["criteria"]
    assert len(criteria) == 3 and [level["label"] for level in criteria[0]["levels"]] == [
        "Not yet", "Developing", "Proficient", "Exemplary"]
    assert sum(level["is_pass"] for level in criteria[0]["levels"]) == 1


def test_links_and_data_rows_through_the_api(client, org):
    from app.credentials.models import Requirement, RequirementKind

    credential, headers = _setup(client, org)
    link_req = Requirement(credential=credential, position=5, kind=RequirementKind.LINK, title="Video", prompt="p",
                           required=False, max_files=1)
    db.session.add(link_req)
    db.session.commit()
    sid = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers).get_json()["id"]
    bad = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                      json={"requirement_id": link_req.id, "kind": "link", "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "url" in bad.get_json()["error"]["fields"]
    good = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                       json={"requirement_id": link_req.id, "kind": "link", "url": "https://video.example.org/1",
                             "title": "Lesson clip"})
    assert good.status_code == 201 and good.get_json()["url"] == "https://video.example.org/1"
    data_req = credential.requirements[2]
    rows = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers, json={
        "requirement_id": data_req.id, "kind": "data",
        "rows": [{"measure": "Quiz", "before": 1, "after": 2, "period_start": "2025-03-01", "period_end": "2025-02-01"}],
    })
    assert rows.status_code == 422
    assert rows.get_json()["error"]["fields"] == {"rows.0.period_end": ["Row 1: the end date is before the start date."]}
    wrong_kind = client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                             json={"requirement_id": data_req.id, "kind": "text", "text": "x"})
    assert wrong_kind.status_code == 422 and "requirement_id" in wrong_kind.get_json()["error"]["fields"]


def test_submitted_attempts_are_immutable_and_withdraw_stops_at_review(client, org):
    from tests.evidence.conftest import fill_required, Parts

    credential, headers = _setup(client, org)
    sid = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers).get_json()["id"]
    submission = db.session.get(Submission, sid)
    text_req = credential.requirements[0]
    from app.credentials.models import Requirement, RequirementKind

    link = Requirement(credential=credential, position=5, kind=RequirementKind.LINK, title="L", prompt="p", required=False)
    db.session.add(link)
    db.session.commit()
    fill_required(submission.teacher, submission, Parts(credential.requirements))
    assert client.post(f"/api/v1/submissions/{sid}/submit", headers=headers).status_code == 200
    artifact_id = client.get(f"/api/v1/submissions/{sid}", headers=headers).get_json()["artifacts"][0]["id"]
    for call in (
        lambda: client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers,
                            json={"requirement_id": text_req.id, "kind": "text", "text": "changed"}),
        lambda: client.post(f"/api/v1/submissions/{sid}/artifacts", headers=headers, content_type="multipart/form-data",
                            data={"requirement_id": str(credential.requirements[1].id),
                                  "file": (io.BytesIO(_png()), "late.png")}),
        lambda: client.delete(f"/api/v1/artifacts/{artifact_id}", headers=headers),
        lambda: client.post(f"/api/v1/submissions/{sid}/submit", headers=headers),
    ):
        response = call()
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"]["message"] == "A submitted attempt cannot be changed."
    db.session.get(Submission, sid).status = SubmissionStatus.IN_REVIEW
    db.session.commit()
    refused = client.post(f"/api/v1/submissions/{sid}/withdraw", headers=headers)
    assert refused.status_code == 409 and "Review of this attempt has started" in refused.get_json()["error"]["message"]


def test_status_shows_the_decision_and_feedback_per_criterion(client, org):
    from app.evidence import services

    credential, headers = _setup(client, org)
    sid = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers).get_json()["id"]
    assert client.get(f"/api/v1/submissions/{sid}", headers=headers).get_json()["decision"] is None
    submission = db.session.get(Submission, sid)
    submission.status = SubmissionStatus.NOT_YET
    submission.submitted_at = submission.decided_at = submission.created_at
    db.session.commit()
    plain = client.get(f"/api/v1/submissions/{sid}", headers=headers).get_json()["decision"]
    assert plain["outcome"] == "not_yet" and plain["criteria"] == []

    def loader(submissions):
        return {s.id: services.AttemptFeedback(
            outcome="not_yet", decided_at=s.decided_at, feedback_md=("Show the routine.",),
            criteria=(services.CriterionFeedback("Criterion 1", "Developing", "Add student work.", False),),
        ) for s in submissions}

    services.register_feedback_loader(loader)
    try:
        body = client.get(f"/api/v1/submissions/{sid}", headers=headers).get_json()
    finally:
        services._feedback_loaders.remove(loader)
    assert body["status"] == "not_yet" and [a["status"] for a in body["attempts"]] == ["not_yet"]
    assert body["decision"]["feedback"] == ["Show the routine."]
    assert body["decision"]["criteria"] == [
        {"criterion": "Criterion 1", "level": "Developing", "comment": "Add student work.", "passed": False}]
    # starting again after "not yet" points to resubmit
    again = client.post("/api/v1/submissions", json={"credential_id": credential.id}, headers=headers)
    assert again.status_code == 409 and "Revise and resubmit" in again.get_json()["error"]["message"]


def test_the_openapi_document_describes_the_teachers_calls(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/tokens", "post"), ("/api/v1/credentials", "get"), ("/api/v1/credentials/{credential_id}", "get"),
        ("/api/v1/submissions", "post"), ("/api/v1/submissions/{submission_id}", "get"),
        ("/api/v1/submissions/{submission_id}/artifacts", "post"), ("/api/v1/submissions/{submission_id}/submit", "post"),
        ("/api/v1/submissions/{submission_id}/withdraw", "post"), ("/api/v1/submissions/{submission_id}/resubmit", "post"),
        ("/api/v1/artifacts/{artifact_id}/download", "get"),
    ]:
        assert method in paths[path], (path, method)
    upload = paths["/api/v1/submissions/{submission_id}/artifacts"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(upload)
    assert "422" in paths["/api/v1/submissions/{submission_id}/submit"]["post"]["responses"]
