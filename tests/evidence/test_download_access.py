"""Who may fetch an evidence file: the download access matrix, on the pages and the API,
and how files are served (never at a guessable public URL; S3 by short-lived presigned URL)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest

from app.accounts.models import Role
from app.evidence import services
from app.evidence.models import SubmissionStatus
from app.extensions import db
from app.reviewers.models import AssignmentStatus, ReviewerRole
from tests import factories
from tests.evidence.conftest import png_bytes
from tests.factories import PASSWORD

ALLOWED = {"owner", "assigned reviewer", "coach of the credential", "coach of its framework", "admin"}
VIEWERS = [
    "owner", "assigned reviewer", "reviewer of another attempt", "declined reviewer", "coach of the credential",
    "coach of its framework", "coach of another credential", "admin", "other teacher", "deactivated owner", "anonymous",
]


@pytest.fixture
def evidence(org, teacher, credential, parts):
    """A submitted attempt with a photo, and another teacher's attempt at the same credential."""
    submission = services.start_attempt(teacher=teacher, credential=credential)
    artifact = services.add_file(teacher=teacher, submission=submission, requirement=parts.file,
                                 filename="board.png", stream=io.BytesIO(png_bytes()))
    db.session.commit()
    submission.status = SubmissionStatus.SUBMITTED
    db.session.commit()
    return submission, artifact


def _viewer(kind: str, org, teacher, credential, submission):
    """A user who stands in ``kind`` of relation to ``submission`` (None: anonymous)."""
    if kind == "anonymous":
        return None
    if kind == "owner":
        return teacher
    if kind == "deactivated owner":
        teacher.active = False
        db.session.commit()
        return teacher
    if kind == "admin":
        return factories.user(roles={Role.ADMIN}, organization=org)
    if kind == "other teacher":
        return factories.user(organization=org)
    reviewer = factories.user(organization=org)
    if kind == "assigned reviewer":
        factories.assignment(reviewer, submission)
    elif kind == "declined reviewer":
        factories.assignment(reviewer, submission, status=AssignmentStatus.DECLINED)
    elif kind == "reviewer of another attempt":
        someone = factories.user(organization=org)
        factories.assignment(reviewer, factories.submission(someone, credential, status=SubmissionStatus.SUBMITTED))
    elif kind == "coach of the credential":
        reviewer.set_roles({Role.TEACHER, Role.COACH})
        factories.qualification(reviewer, credential=credential, role=ReviewerRole.COACH)
    elif kind == "coach of its framework":
        framework = factories.framework(org)
        credential.competencies = [framework.competencies[0]]
        db.session.commit()
        factories.qualification(reviewer, framework=framework, role=ReviewerRole.COACH)
    elif kind == "coach of another credential":
        factories.qualification(reviewer, credential=factories.micro_credential(org), role=ReviewerRole.COACH)
    else:
        raise AssertionError(kind)
    return reviewer


@pytest.mark.parametrize("kind", VIEWERS)
def test_download_matrix_on_the_pages(app, org, teacher, credential, evidence, kind):
    submission, artifact = evidence
    user = _viewer(kind, org, teacher, credential, submission)
    client = app.test_client(user=user) if user is not None else app.test_client()
    for url in (f"/artifacts/{artifact.id}/download", f"/artifacts/{artifact.id}/thumbnail", f"/submissions/{submission.id}"):
        response = client.get(url)
        if kind in ALLOWED:
            assert response.status_code == 200, (kind, url)
        elif user is None or kind == "deactivated owner":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (kind, url)
        else:
            assert response.status_code == 403, (kind, url)
            assert b"\x89PNG" not in response.data


@pytest.mark.parametrize("kind", [k for k in VIEWERS if k not in {"anonymous", "deactivated owner"}])
def test_download_matrix_through_the_api(app, org, teacher, credential, evidence, kind):
    submission, artifact = evidence
    user = _viewer(kind, org, teacher, credential, submission)
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    download = client.get(f"/api/v1/artifacts/{artifact.id}/download", headers=headers)
    detail = client.get(f"/api/v1/submissions/{submission.id}", headers=headers)
    if kind in ALLOWED:
        assert download.status_code == 200 and download.data[:4] == b"\x89PNG"
        assert detail.status_code == 200
    else:
        assert download.status_code == 403 and download.get_json()["error"]["code"] == "forbidden"
        assert detail.status_code == 403


def test_anonymous_api_callers_get_401(client, evidence):
    submission, artifact = evidence
    assert client.get(f"/api/v1/artifacts/{artifact.id}/download").status_code == 401
    assert client.get(f"/api/v1/submissions/{submission.id}").status_code == 401


def test_files_are_never_at_a_public_url(make_app, tmp_path):
    """On local disk, files live outside the static folder under random keys, and no route serves them by key."""
    app = make_app(STORAGE_BACKEND="local", STORAGE_LOCAL_ROOT=str(tmp_path / "files"))
    with app.app_context():
        org = factories.organization()
        teacher = factories.user(organization=org)
        credential = factories.micro_credential(org)
        file_part = credential.requirements[1]
        draft = services.start_attempt(teacher=teacher, credential=credential)
        artifact = services.add_file(teacher=teacher, submission=draft, requirement=file_part,
                                     filename="board.png", stream=io.BytesIO(png_bytes()))
        db.session.commit()
        key = artifact.storage_key
        assert key.startswith(f"evidence/{draft.id}/") and "board" not in key
        assert len(key.rsplit("/", 1)[1]) == 32  # 122 random bits
        assert (tmp_path / "files" / key).exists()
        assert not str(tmp_path / "files").startswith(app.static_folder)
        anonymous = app.test_client()
        for url in (f"/{key}", f"/static/{key}", f"/files/{key}", f"/instance/files/{key}"):
            assert anonymous.get(url).status_code == 404
        html = app.test_client(user=teacher).get(f"/submissions/{draft.id}").get_data(as_text=True)
        assert key not in html


def test_s3_downloads_redirect_to_a_short_lived_presigned_url(make_app, s3_bucket):
    app = make_app(STORAGE_BACKEND="s3", S3_BUCKET=s3_bucket.name, S3_ENDPOINT_URL=s3_bucket.endpoint_url,
                   STORAGE_DOWNLOAD_URL_EXPIRES=120)
    with app.app_context():
        org = factories.organization()
        teacher = factories.user(organization=org)
        credential = factories.micro_credential(org)
        file_part = credential.requirements[1]
        draft = services.start_attempt(teacher=teacher, credential=credential)
        artifact = services.add_file(teacher=teacher, submission=draft, requirement=file_part,
                                     filename="Board photo.png", stream=io.BytesIO(png_bytes()))
        db.session.commit()
        stored = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=artifact.storage_key)["Body"].read()
        assert stored[:4] == b"\x89PNG"

        for client, url, headers in (
            (app.test_client(user=teacher), f"/artifacts/{artifact.id}/download", {}),
            (app.test_client(), f"/api/v1/artifacts/{artifact.id}/download", _token(app, teacher)),
        ):
            response = client.get(url, headers=headers)
            assert response.status_code == 302
            assert response.headers["Cache-Control"] == "private, no-store"
            location = response.headers["Location"]
            query = parse_qs(urlsplit(location).query)
            assert location.startswith(f"{s3_bucket.endpoint_url}/{s3_bucket.name}/{artifact.storage_key}?")
            assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Signature"]
            assert query["response-content-disposition"][0].startswith("attachment")
            with urlopen(location, timeout=10) as fetched:  # the signed link really serves the file
                assert fetched.read() == stored

        # without the signature the object is not public
        from urllib.error import HTTPError

        with pytest.raises(HTTPError):
            urlopen(f"{s3_bucket.endpoint_url}/{s3_bucket.name}/{artifact.storage_key}", timeout=10)

        # nobody else gets a link
        other = app.test_client(user=factories.user(organization=org))
        assert other.get(f"/artifacts/{artifact.id}/download").status_code == 403
        # thumbnails always come through the app (the page's CSP allows images from its own origin only)
        thumb = app.test_client(user=teacher).get(f"/artifacts/{artifact.id}/thumbnail")
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def _token(app, user) -> dict:
    token = app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}
