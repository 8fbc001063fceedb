"""The evidence pages through HTTP: the editor and its part forms, autosave, submit,
withdraw, resubmit, history with feedback, upload refusals next to the field, a storage
failure mid-upload, and downloads."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import event, func, select

from app.credentials.models import RequirementKind
from app.evidence import services
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.extensions import db
from tests.evidence.conftest import HTML_PAGE, SVG_WITH_SCRIPT, fill_required, jpeg_bytes, pdf_bytes, png_bytes
from tests.evidence.test_services import FlakyStorage, big_pdf
from tests.test_uploads import image_bytes, noisy_png


@pytest.fixture
def web(app, teacher):
    return app.test_client(user=teacher)


def _part(html: str, requirement_id: int) -> str:
    """The HTML of one part's card on the attempt page."""
    match = re.search(rf'<li class="card evidence-part[^"]*" id="requirement-{requirement_id}".*?</li>\s*(?=<li class="card evidence-part|</ol>)',
                      html, re.S)
    assert match, f"no part {requirement_id} on the page"
    return match.group(0)


def _upload(web, draft, requirement, name, data, **kwargs):
    return web.post(
        f"/submissions/{draft.id}/files/{requirement.id}",
        data={f"part-{requirement.id}-file": (io.BytesIO(data), name)}, content_type="multipart/form-data", **kwargs,
    )


def _artifacts(submission) -> list[Artifact]:
    db.session.expire_all()
    return list(db.session.scalars(select(Artifact).where(Artifact.submission_id == submission.id).order_by(Artifact.id)))


def _data_form(requirement, rows: list[dict]) -> dict:
    form = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            form[f"part-{requirement.id}-rows-{i}-{key}"] = value
    return form


GOOD_ROW = {"measure": "Exit ticket", "unit": "%", "before": "40", "after": "65", "direction": "higher",
            "students": "24", "period_start": "2025-01-06", "period_end": "2025-02-14"}


@pytest.fixture
def feedback_loader():
    def loader(submissions):
        return {
            s.id: services.AttemptFeedback(
                outcome=s.status.value, feedback_md=("Add **student work** <script>alert(1)</script>",),
                criteria=(services.CriterionFeedback("Criterion 1", "Developing", "Show the routine in action.", False),),
            )
            for s in submissions
        }

    services.register_feedback_loader(loader)
    yield loader
    services._feedback_loaders.remove(loader)


# --- the editor ------------------------------------------------------------------------------


def test_start_opens_the_draft_and_the_page_shows_every_part(web, credential, parts):
    response = web.post(f"/credentials/{credential.slug}/evidence")
    assert response.status_code == 302
    submission = db.session.scalar(select(Submission))
    assert response.headers["Location"].endswith(f"/submissions/{submission.id}")
    html = web.get(f"/submissions/{submission.id}").get_data(as_text=True)
    for requirement in credential.requirements:
        assert requirement.prompt in _part(html, requirement.id)
    assert "0 of 3</strong> required parts" in html
    assert 'id="part-%d-text"' % parts.text.id in html and 'name="part-%d-file"' % parts.file.id in html
    assert 'aria-label="Row 1: Measure"' in html and "Add link" in html
    # starting again reopens the same draft
    assert web.post(f"/credentials/{credential.slug}/evidence").headers["Location"].endswith(f"/submissions/{submission.id}")


def test_save_text_by_button_and_sanitized_when_shown(web, teacher, draft, parts):
    text = "My **class**.\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    response = web.post(f"/submissions/{draft.id}/text/{parts.text.id}", data={f"part-{parts.text.id}-text": text})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#requirement-{parts.text.id}")
    assert [a.text_md for a in _artifacts(draft)] == [text]
    html = web.get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert f"Saved “{parts.text.title}”" in html
    fill_required(teacher, draft, parts)  # replaces the text; put ours back and submit
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text=text)
    db.session.commit()
    assert web.post(f"/submissions/{draft.id}/submit").status_code == 302
    shown = _part(web.get(f"/submissions/{draft.id}").get_data(as_text=True), parts.text.id)
    assert "<strong>class</strong>" in shown
    assert "<script>alert" not in shown and 'href="javascript:' not in shown
    assert "&lt;script&gt;" in shown  # shown as text, never run


def test_text_over_the_limit_is_refused_next_to_the_field(web, draft, parts):
    response = web.post(f"/submissions/{draft.id}/text/{parts.text.id}",
                        data={f"part-{parts.text.id}-text": "x" * (services.MAX_TEXT_CHARS + 1)})
    assert response.status_code == 422
    assert "Keep your response under 20,000 characters." in _part(response.get_data(as_text=True), parts.text.id)


def test_autosave_saves_text_and_data_and_answers_json(web, draft, parts):
    response = web.post(f"/submissions/{draft.id}/autosave", data={
        "autosave_part": f"requirement-{parts.text.id}", f"part-{parts.text.id}-text": "Typed, not yet saved",
    })
    assert response.status_code == 200
    body = response.get_json()
    assert body["part"] == f"requirement-{parts.text.id}" and body["saved_at"]
    response = web.post(f"/submissions/{draft.id}/autosave", data={
        "autosave_part": f"requirement-{parts.data.id}", **_data_form(parts.data, [GOOD_ROW])})
    assert response.status_code == 200
    kinds = {a.kind: a for a in _artifacts(draft)}
    assert kinds[RequirementKind.TEXT].text_md == "Typed, not yet saved"
    assert [(m.measure, m.before, m.after) for m in kinds[RequirementKind.DATA].measures] == [("Exit ticket", 40, 65)]


def test_autosave_refusals_are_json_envelopes(web, teacher, draft, parts):
    bad = web.post(f"/submissions/{draft.id}/autosave", data={
        "autosave_part": f"requirement-{parts.data.id}",
        **_data_form(parts.data, [GOOD_ROW, {**GOOD_ROW, "before": "lots", "students": "-3"}]),
    })
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert set(fields) == {"rows.1.before", "rows.1.students"}
    assert web.post(f"/submissions/{draft.id}/autosave",
                    data={"autosave_part": f"requirement-{parts.file.id}"}).status_code == 422
    assert web.post(f"/submissions/{draft.id}/autosave", data={"autosave_part": "nonsense"}).status_code == 422
    fill_required(teacher, draft, parts)
    services.submit_attempt(teacher=teacher, submission=draft)
    db.session.commit()
    late = web.post(f"/submissions/{draft.id}/autosave", data={
        "autosave_part": f"requirement-{parts.text.id}", f"part-{parts.text.id}-text": "too late"})
    assert late.status_code == 409 and late.get_json()["error"]["message"] == services.IMMUTABLE_MESSAGE


def test_data_table_bad_rows_get_per_cell_errors_and_keep_what_was_typed(web, draft, parts):
    rows = [GOOD_ROW, {**GOOD_ROW, "measure": "", "after": "n/a", "period_end": "2024-12-01"}]
    response = web.post(f"/submissions/{draft.id}/data/{parts.data.id}", data=_data_form(parts.data, rows))
    assert response.status_code == 422
    part = _part(response.get_data(as_text=True), parts.data.id)
    assert "Row 2: say what you measured" in part and "Row 2: “After” must be a number" in part
    assert "Row 2: the end date is before the start date." in part
    invalid = re.findall(r'<input[^>]*aria-invalid="true"[^>]*>', part)
    assert {re.search(r'aria-label="([^"]+)"', tag).group(1) for tag in invalid} == {
        "Row 2: Measure", "Row 2: After", "Row 2: To"}
    assert 'value="n/a"' in part  # nothing she typed is lost
    assert db.session.scalar(select(func.count(ImpactMeasure.id))) == 0

    saved = web.post(f"/submissions/{draft.id}/data/{parts.data.id}", data=_data_form(parts.data, [GOOD_ROW]))
    assert saved.status_code == 302
    part = _part(web.get(f"/submissions/{draft.id}").get_data(as_text=True), parts.data.id)
    assert 'value="Exit ticket"' in part and "+25" in part and "improved" in part


def test_links_by_page(web, draft, parts):
    bad = web.post(f"/submissions/{draft.id}/links/{parts.link.id}",
                   data={f"part-{parts.link.id}-url": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert "Links must start with https:// or http://." in _part(bad.get_data(as_text=True), parts.link.id)
    for n in (1, 2):
        assert web.post(f"/submissions/{draft.id}/links/{parts.link.id}", data={
            f"part-{parts.link.id}-url": f"https://video.example.org/{n}", f"part-{parts.link.id}-title": f"Clip {n}",
        }).status_code == 302
    part = _part(web.get(f"/submissions/{draft.id}").get_data(as_text=True), parts.link.id)
    assert "Clip 1" in part and "Clip 2" in part
    assert "This part has all the links it takes." in part and "Add link" not in part


def test_several_files_per_part_up_to_max_files_and_remove(web, draft, parts, storage):
    for name, data in (("photo.jpg", jpeg_bytes()), ("plan.pdf", pdf_bytes()), ("board.png", png_bytes())):
        response = _upload(web, draft, parts.file, name, data)
        assert response.status_code == 302, response.get_data(as_text=True)
    part = _part(web.get(f"/submissions/{draft.id}").get_data(as_text=True), parts.file.id)
    assert all(name in part for name in ("photo.jpg", "plan.pdf", "board.png"))
    assert part.count("file-item__thumb") == 2  # the two images
    assert "This part has all the files it takes." in part
    full = _upload(web, draft, parts.file, "more.png", png_bytes())
    assert full.status_code == 422 and "up to 3 files" in full.get_data(as_text=True)

    pdf = next(a for a in _artifacts(draft) if a.original_name == "plan.pdf")
    assert web.post(f"/artifacts/{pdf.id}/delete").status_code == 302
    assert [a.original_name for a in _artifacts(draft)] == ["photo.jpg", "board.png"]
    assert not storage.exists(pdf.storage_key)


# --- upload refusals, through the page and the API ----------------------------------------------

def _bomb() -> bytes:
    return image_bytes("PNG", (20000, 10000), mode="1")  # 200 megapixels, a few kB on disk


REFUSALS = [  # (id, file name, bytes, words of the message, upload limit)
    ("lying-extension", "photo.pdf", lambda: png_bytes(), "name ends in .pdf", None),
    ("html-as-png", "photo.png", lambda: HTML_PAGE, "HTML page", None),
    ("svg-with-script", "drawing.svg", lambda: SVG_WITH_SCRIPT, "SVG", None),
    ("200-megapixels", "huge.png", _bomb, "too large to process", None),
    ("truncated-image", "broken.png", lambda: noisy_png()[: len(noisy_png()) * 2 // 3], "may be damaged", None),
    ("over-the-limit", "plan.pdf", lambda: big_pdf(3000), "larger than the 2 KB limit", 2048),
    ("empty", "plan.pdf", lambda: b"", "empty", None),
]


@pytest.mark.parametrize("name, data, message, limit", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refused_uploads_show_the_reason_next_to_the_field(app, web, teacher, draft, parts, storage, name, data, message, limit):
    if limit:  # below the request limit, so the app itself refuses it
        app.config["MAX_UPLOAD_BYTES"] = limit
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="Keep me")
    db.session.commit()
    response = _upload(web, draft, parts.file, name, data())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    part = _part(html, parts.file.id)
    error = re.search(r'<span class="field__error" id="part-\d+-file-error">(.*?)</span>\s*<input', part, re.S)
    assert error and message in error.group(1), part
    assert f'id="part-{parts.file.id}-file"' in part and 'aria-invalid="true"' in part
    assert "Keep me" in html  # the rest of the draft is still there
    assert [a.text_md for a in _artifacts(draft)] == ["Keep me"] and storage.keys() == []


@pytest.mark.parametrize("name, data, message, limit", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refused_uploads_through_the_api_are_4xx_envelopes(app, client, api_headers, draft, parts, storage,
                                                            name, data, message, limit):
    if limit:
        app.config["MAX_UPLOAD_BYTES"] = limit
    response = client.post(
        f"/api/v1/submissions/{draft.id}/artifacts", headers=api_headers, content_type="multipart/form-data",
        data={"requirement_id": str(parts.file.id), "file": (io.BytesIO(data()), name)},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and message in error["fields"]["file"][0]
    assert storage.keys() == [] and _artifacts(draft) == []


@pytest.mark.parametrize("damage", ["no-last-boundary", "truncated-headers", "no-boundary"])
def test_a_large_malformed_upload_is_a_4xx_envelope_and_keeps_the_draft(app, client, api_headers, draft, parts,
                                                                        storage, damage):
    head = (b'--xyz\r\nContent-Disposition: form-data; name="requirement_id"\r\n\r\n' + str(parts.file.id).encode()
            + b'\r\n--xyz\r\nContent-Disposition: form-data; name="file"; filename="plan.pdf"\r\n\r\n')
    body = {
        "no-last-boundary": head + pdf_bytes() + b"x" * 600_000,
        "truncated-headers": head[:-30] + b"x" * 600_000,
        "no-boundary": b"x" * 600_000,
    }[damage]
    services.save_text(teacher=draft.teacher, submission=draft, requirement=parts.text, text="Keep me")
    db.session.commit()
    response = client.post(f"/api/v1/submissions/{draft.id}/artifacts", headers=api_headers, data=body,
                           content_type="multipart/form-data; boundary=xyz")
    assert 400 <= response.status_code < 500 and response.get_json()["error"]["code"]
    assert [a.text_md for a in _artifacts(draft)] == ["Keep me"] and storage.keys() == []


@pytest.mark.parametrize("csrf", [False, True], ids=["refused-in-the-view", "refused-by-the-csrf-check"])
def test_a_file_over_the_request_limit_is_refused_on_the_page_next_to_the_field(make_app, csrf):
    from tests import factories

    app = make_app(MAX_UPLOAD_BYTES=4096, MAX_CONTENT_LENGTH=8192, WTF_CSRF_ENABLED=csrf)
    with app.app_context():
        org = factories.organization()
        teacher = factories.user(organization=org)
        credential = factories.micro_credential(org)
        file_part = credential.requirements[1]
        draft = services.start_attempt(teacher=teacher, credential=credential)
        db.session.commit()
        web = app.test_client(user=teacher)
        response = web.post(f"/submissions/{draft.id}/files/{file_part.id}", content_type="multipart/form-data",
                            data={f"part-{file_part.id}-file": (io.BytesIO(big_pdf(20_000)), "plan.pdf")})
        assert response.status_code == 413
        part = _part(response.get_data(as_text=True), file_part.id)
        assert "larger than the 4 KB limit" in part and "rest of your draft is unchanged" in part
        api = client_token(app, teacher)
        response = app.test_client().post(
            f"/api/v1/submissions/{draft.id}/artifacts", headers=api, content_type="multipart/form-data",
            data={"requirement_id": str(file_part.id), "file": (io.BytesIO(big_pdf(20_000)), "plan.pdf")})
        assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"
        # someone else's attempt still gets the plain answer, never a page of her draft
        other = app.test_client(user=factories.user(organization=org))
        response = other.post(f"/submissions/{draft.id}/files/{file_part.id}", content_type="multipart/form-data",
                              data={f"part-{file_part.id}-file": (io.BytesIO(big_pdf(20_000)), "plan.pdf")})
        # (403 here; 413 when CSRF checking reads the body before the view runs)
        assert response.status_code in {403, 413} and "Your evidence" not in response.get_data(as_text=True)


def client_token(app, user) -> dict:
    from tests.factories import PASSWORD

    token = app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_headers(app, teacher):
    return client_token(app, teacher)


# --- nothing lost when storage fails mid-upload ---------------------------------------------------


def _break_storage(app, storage) -> FlakyStorage:
    """From now on, uploads fail part-way through the stream; stored objects stay readable."""
    flaky = FlakyStorage(fail_after=128 * 1024)
    flaky._files, flaky._saved_at = storage._files, storage._saved_at
    app.extensions["storage"] = flaky
    return flaky


def test_storage_failure_mid_upload_on_the_page(app, web, teacher, draft, parts, storage, runner):
    fill_required(teacher, draft, parts)
    before = [(a.id, a.kind, a.storage_key) for a in _artifacts(draft)]
    flaky = _break_storage(app, storage)
    response = _upload(web, draft, parts.file, "plan.pdf", big_pdf())
    assert response.status_code == 503
    part = _part(response.get_data(as_text=True), parts.file.id)
    assert "try the upload again" in part and "Nothing else in your draft was affected." in part
    assert 0 < flaky.read_before_failing < len(big_pdf())
    assert [(a.id, a.kind, a.storage_key) for a in _artifacts(draft)] == before
    assert runner.invoke(args=["storage", "check", "--grace-minutes", "0"]).exit_code == 0

    app.extensions["storage"] = storage  # storage is back: she retries
    assert _upload(web, draft, parts.file, "plan.pdf", big_pdf()).status_code == 302
    assert len(_artifacts(draft)) == len(before) + 1
    assert runner.invoke(args=["storage", "check", "--grace-minutes", "0"]).exit_code == 0


def test_storage_failure_mid_upload_through_the_api(app, client, api_headers, teacher, draft, parts, storage, runner):
    fill_required(teacher, draft, parts)
    flaky = _break_storage(app, storage)
    before = [(a.id, a.storage_key) for a in _artifacts(draft)]
    response = client.post(
        f"/api/v1/submissions/{draft.id}/artifacts", headers=api_headers, content_type="multipart/form-data",
        data={"requirement_id": str(parts.file.id), "file": (io.BytesIO(big_pdf()), "plan.pdf")},
    )
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "storage_unavailable"
    assert 0 < flaky.read_before_failing < len(big_pdf())
    assert [(a.id, a.storage_key) for a in _artifacts(draft)] == before
    assert runner.invoke(args=["storage", "check", "--grace-minutes", "0"]).exit_code == 0


def test_s3_failing_during_a_multipart_upload_keeps_the_draft(make_app, s3_bucket, monkeypatch):
    """A real S3 endpoint (moto over HTTP) that drops the upload after its first part."""
    from tests import factories

    app = make_app(STORAGE_BACKEND="s3", S3_BUCKET=s3_bucket.name, S3_ENDPOINT_URL=s3_bucket.endpoint_url)
    with app.app_context():
        org = factories.organization()
        teacher = factories.user(organization=org)
        credential = factories.micro_credential(org)
        text_part, file_part, _ = credential.requirements
        draft = services.start_attempt(teacher=teacher, credential=credential)
        services.save_text(teacher=teacher, submission=draft, requirement=text_part, text="Keep me")
        db.session.commit()
        from app.storage import get_storage

        storage = get_storage(app)
        real_upload_part = storage.client.upload_part
        calls = []

        def upload_part(**kwargs):
            calls.append(kwargs["PartNumber"])
            if kwargs["PartNumber"] >= 2:
                from botocore.exceptions import EndpointConnectionError

                raise EndpointConnectionError(endpoint_url=s3_bucket.endpoint_url)
            return real_upload_part(**kwargs)

        monkeypatch.setattr(storage.client, "upload_part", upload_part)
        web = app.test_client(user=teacher)
        response = web.post(f"/submissions/{draft.id}/files/{file_part.id}", content_type="multipart/form-data",
                            data={f"part-{file_part.id}-file": (io.BytesIO(big_pdf(12 * 1024 * 1024)), "plan.pdf")})
        assert response.status_code == 503, response.get_data(as_text=True)[:500]
        assert 2 in calls  # it failed part-way, after the upload had started
        assert [a.text_md for a in _artifacts(draft)] == ["Keep me"]
        listing = s3_bucket.client.list_objects_v2(Bucket=s3_bucket.name).get("Contents", [])
        assert listing == []
        assert s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", []) == []


# --- submitting ----------------------------------------------------------------------------------


def test_submit_lists_each_missing_part_next_to_it(web, teacher, draft, parts):
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="Done")
    db.session.commit()
    response = web.post(f"/submissions/{draft.id}/submit")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "2 required parts are still missing evidence." in html
    assert f"“{parts.file.title}” needs at least one file." in _part(html, parts.file.id)
    assert "needs at least one row of data" in _part(html, parts.data.id)
    assert "field__error" not in _part(html, parts.text.id) and "field__error" not in _part(html, parts.link.id)
    assert f'href="#requirement-{parts.file.id}"' in html  # the summary links to each part
    assert db.session.get(Submission, draft.id).status is SubmissionStatus.DRAFT


def test_submitted_attempt_is_read_only_and_refuses_changes(web, teacher, draft, parts):
    fill_required(teacher, draft, parts)
    response = web.post(f"/submissions/{draft.id}/submit")
    assert response.status_code == 302
    html = web.get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert "Waiting for review" in html and "Withdraw this attempt" in html
    assert "Save draft" not in html and 'type="file"' not in html and "Submit for review" not in html
    artifact = _artifacts(draft)[0]
    changes = [
        (f"/submissions/{draft.id}/text/{parts.text.id}", {f"part-{parts.text.id}-text": "changed"}),
        (f"/submissions/{draft.id}/links/{parts.link.id}", {f"part-{parts.link.id}-url": "https://example.org/x"}),
        (f"/submissions/{draft.id}/data/{parts.data.id}", _data_form(parts.data, [GOOD_ROW])),
        (f"/submissions/{draft.id}/files/{parts.file.id}", {f"part-{parts.file.id}-file": (io.BytesIO(png_bytes()), "x.png")}),
        (f"/submissions/{draft.id}/change-note", {"change-change_note": "x"}),
        (f"/artifacts/{artifact.id}/delete", {}),
        (f"/submissions/{draft.id}/submit", {}),
    ]
    before = [(a.id, a.text_md, a.storage_key) for a in _artifacts(draft)]
    for url, data in changes:
        response = web.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200, url
        assert services.IMMUTABLE_MESSAGE in response.get_data(as_text=True), url
    assert [(a.id, a.text_md, a.storage_key) for a in _artifacts(draft)] == before


def test_withdraw_before_review_then_edit_again(web, teacher, draft, parts, credential):
    fill_required(teacher, draft, parts)
    web.post(f"/submissions/{draft.id}/submit")
    response = web.post(f"/submissions/{draft.id}/withdraw", follow_redirects=True)
    assert "Withdrawn." in response.get_data(as_text=True) and "Edit again" in response.get_data(as_text=True)
    again = web.post(f"/credentials/{credential.slug}/evidence")
    new = db.session.scalar(select(Submission).where(Submission.attempt == 2))
    assert again.headers["Location"].endswith(f"/submissions/{new.id}")
    assert len(_artifacts(new)) == len(_artifacts(draft))


def test_withdraw_is_refused_once_review_has_started(web, teacher, draft, parts):
    fill_required(teacher, draft, parts)
    web.post(f"/submissions/{draft.id}/submit")
    db.session.get(Submission, draft.id).status = SubmissionStatus.IN_REVIEW
    db.session.commit()
    html = web.get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert "In review" in html and "Withdraw this attempt" not in html
    response = web.post(f"/submissions/{draft.id}/withdraw", follow_redirects=True)
    assert "Review of this attempt has started" in response.get_data(as_text=True)
    assert db.session.get(Submission, draft.id).status is SubmissionStatus.IN_REVIEW


# --- history, feedback, resubmission --------------------------------------------------------


def _not_yet(web, teacher, draft, parts):
    fill_required(teacher, draft, parts)
    web.post(f"/submissions/{draft.id}/submit")
    submission = db.session.get(Submission, draft.id)
    submission.status = SubmissionStatus.NOT_YET
    submission.decided_at = submission.submitted_at
    db.session.commit()
    return submission


def test_history_shows_every_attempt_with_its_feedback(web, teacher, draft, parts, credential, feedback_loader):
    _not_yet(web, teacher, draft, parts)
    html = web.get(f"/credentials/{credential.slug}/attempts").get_data(as_text=True)
    assert "Attempt 1" in html and "Not yet" in html
    assert "<strong>student work</strong>" in html and "<script>alert" not in html
    assert "Show the routine in action." in html and "Developing" in html
    assert "Read the feedback and revise" in html
    page = web.get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert "Show the routine in action." in page and "Revise and resubmit" in page


def test_resubmit_by_page_keeps_chosen_evidence_and_asks_what_changed(web, teacher, draft, parts, storage):
    first = _not_yet(web, teacher, draft, parts)
    page = web.get(f"/submissions/{first.id}").get_data(as_text=True)
    assert services.CHANGE_NOTE_PROMPT in page
    file = next(a for a in _artifacts(first) if a.kind is RequirementKind.FILE)
    keys = storage.keys()
    response = web.post(f"/submissions/{first.id}/resubmit", data={"keep": [str(file.id)]})
    assert response.status_code == 302
    second = db.session.scalar(select(Submission).where(Submission.attempt == 2))
    assert response.headers["Location"].endswith(f"/submissions/{second.id}")
    kept = _artifacts(second)
    assert [(a.storage_key, a.carried_from_id) for a in kept] == [(file.storage_key, file.id)]
    assert storage.keys() == keys  # no re-upload, no copy
    html = web.get(f"/submissions/{second.id}").get_data(as_text=True)
    assert "kept from your last attempt" in html and "What changed since attempt 1" in html

    services.save_text(teacher=teacher, submission=second, requirement=parts.text, text="Revised")
    services.save_data_table(teacher=teacher, submission=second, requirement=parts.data,
                             rows=[{k: v for k, v in GOOD_ROW.items() if k != "direction"}])
    db.session.commit()
    refused = web.post(f"/submissions/{second.id}/submit")
    assert refused.status_code == 422
    assert "Tell your reviewers in a sentence or two." in refused.get_data(as_text=True)
    assert web.post(f"/submissions/{second.id}/change-note", data={"change-change_note": "Added a data table."}).status_code == 302
    assert web.post(f"/submissions/{second.id}/submit").status_code == 302
    assert db.session.get(Submission, second.id).status is SubmissionStatus.SUBMITTED


def test_after_the_last_attempt_a_coach_takes_over(web, teacher, draft, parts, credential):
    credential.policy.max_attempts = 1
    db.session.commit()
    first = _not_yet(web, teacher, draft, parts)
    html = web.get(f"/submissions/{first.id}").get_data(as_text=True)
    assert "You have used all 1 attempt for this credential." in html and "Start attempt 2" not in html
    response = web.post(f"/submissions/{first.id}/resubmit", data={}, follow_redirects=True)
    assert "used all 1 attempt" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Submission.id))) == 1


def test_attempt_page_query_count_does_not_grow_with_evidence(web, teacher, draft, parts):
    fill_required(teacher, draft, parts)

    def count() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert web.get(f"/submissions/{draft.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = count()
    for n in range(2):
        services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url=f"https://example.org/{n}")
        services.add_file(teacher=teacher, submission=draft, requirement=parts.file, filename=f"p{n}.png",
                          stream=io.BytesIO(png_bytes()))
    db.session.commit()
    assert count() == few


# --- downloads -------------------------------------------------------------------------------


def test_download_and_thumbnail_are_private_and_not_cached(web, teacher, draft, parts):
    artifact = services.add_file(teacher=teacher, submission=draft, requirement=parts.file, filename="Board photo.png",
                                 stream=io.BytesIO(png_bytes()))
    db.session.commit()
    response = web.get(f"/artifacts/{artifact.id}/download")
    assert response.status_code == 200 and response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    thumb = web.get(f"/artifacts/{artifact.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Cache-Control"] == "private, no-store"
    # the storage key is never part of a page or a URL
    html = web.get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert artifact.storage_key not in html and artifact.thumbnail_key not in html


def test_a_file_missing_from_storage_is_a_404_not_a_500(web, teacher, draft, parts, storage):
    artifact = services.add_file(teacher=teacher, submission=draft, requirement=parts.file, filename="p.png",
                                 stream=io.BytesIO(png_bytes()))
    db.session.commit()
    storage.delete(artifact.storage_key)
    response = web.get(f"/artifacts/{artifact.id}/download")
    assert response.status_code == 404 and "missing from storage" in response.get_data(as_text=True)
