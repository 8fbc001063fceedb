"""The attempt page (editor while a draft, read-only after), its part forms,
autosave, downloads, and the attempt history.

Each view authenticates, loads through a policy (``get_..._or_403``), parses a
form, calls one service, commits once and redirects or renders. Service
``ValidationError``s are shown next to the part they concern (status 422); a
storage outage during an upload re-renders the page with the message next to
that part (503) and everything else intact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.accounts.models import User
from app.credentials import services as credential_services
from app.credentials.models import Requirement, RequirementKind
from app.errors import AppError, Conflict, NotFound, ValidationError, handle_http_error
from app.evidence import bp, services
from app.evidence.forms import (
    ChangeNoteForm,
    DataTableForm,
    FilePartForm,
    LinkForm,
    ResubmitForm,
    TextPartForm,
    measure_row,
    part_prefix,
)
from app.evidence.models import Artifact, Submission, SubmissionStatus
from app.evidence.policies import (
    can_edit_submission,
    file_name_for,
    get_artifact_or_403,
    get_own_artifact_or_403,
    get_own_submission_or_403,
    get_submission_or_403,
    is_owner,
)
from app.extensions import db
from app.forms import apply_validation_error
from app.evidence.files import download_response, thumbnail_response
from app.storage import StorageUnavailable, describe_limit
from app.uploads import ALLOWED_TYPES, KIND_LABELS, accepted_phrase

KIND_NAMES = {
    RequirementKind.TEXT: "Written response",
    RequirementKind.FILE: "Files",
    RequirementKind.LINK: "Links",
    RequirementKind.DATA: "Data table",
}
STATUS_LABELS = {
    SubmissionStatus.DRAFT: "Draft",
    SubmissionStatus.SUBMITTED: "Submitted",
    SubmissionStatus.IN_REVIEW: "In review",
    SubmissionStatus.PASSED: "Passed",
    SubmissionStatus.NOT_YET: "Not yet",
    SubmissionStatus.WITHDRAWN: "Withdrawn",
}


def _me() -> User:
    """The logged-in user as a model instance (services may attach it to rows)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


# --- template helpers -------------------------------------------------------------------------


@bp.app_template_filter("evidence_number")
def _number_filter(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


@bp.app_template_filter("evidence_date")
def _date_filter(value: datetime | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


@bp.app_template_global("evidence_file_name")
def _file_name(artifact: Artifact) -> str | None:
    """The file's name as the person looking may see it (neutral for reviewers)."""
    return file_name_for(current_user, artifact)


@bp.app_template_global("evidence_change")
def _change(before: Any, after: Any, higher_is_better: bool) -> dict[str, str] | None:
    """The change from before to after, for people (``{"text", "verdict"}``), or None
    while either value is missing or not a number (a row still being typed)."""
    start, end = services.parse_number(before), services.parse_number(after)
    if start is None or end is None:
        return None
    diff = end - start
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    text = f"{sign}{_number_filter(abs(diff))}"
    if start:
        text += f" ({sign}{abs(diff) / abs(start) * 100:.0f}%)"
    if diff == 0:
        verdict = "no change"
    else:
        verdict = "improved" if (diff > 0) == higher_is_better else "worse"
    return {"text": text, "verdict": verdict}


def _accept_attr(requirement: Requirement) -> str:
    """The file input's ``accept``: extensions and MIME types of the kinds the part takes."""
    kinds = set(requirement.accepted_types or KIND_LABELS)
    values: list[str] = []
    for file_type in ALLOWED_TYPES.values():
        if kinds & set(file_type.kinds):
            values.extend(f".{ext}" for ext in file_type.extensions)
            values.append(file_type.mime)
    return ",".join(dict.fromkeys(values))


def _type_label(content_type: str | None) -> str:
    file_type = ALLOWED_TYPES.get(content_type or "")
    return file_type.label.split(" ", 1)[1] if file_type else (content_type or "file")


# --- the attempt page -------------------------------------------------------------------------


def _part_forms(page: services.EditorPage, posted: dict[int, Any]) -> dict[int, Any]:
    """One form per part: the posted one (with what she typed and its errors), the rest from the database."""
    forms: dict[int, Any] = {}
    for requirement in page.requirements:
        if requirement.id in posted:
            forms[requirement.id] = posted[requirement.id]
            continue
        prefix = part_prefix(requirement.id)
        if requirement.kind is RequirementKind.TEXT:
            forms[requirement.id] = TextPartForm(formdata=None, prefix=prefix, data={"text": page.text_for(requirement)})
        elif requirement.kind is RequirementKind.LINK:
            forms[requirement.id] = LinkForm(formdata=None, prefix=prefix)
        elif requirement.kind is RequirementKind.FILE:
            forms[requirement.id] = FilePartForm(formdata=None, prefix=prefix)
        else:
            form = DataTableForm(
                formdata=None, prefix=prefix, data={"rows": [measure_row(m) for m in page.measures_for(requirement)]}
            )
            form.pad()
            forms[requirement.id] = form
    return forms


def _render_page(
    submission: Submission,
    *,
    posted: dict[int, Any] | None = None,
    part_errors: dict[int, list[str]] | None = None,
    cell_errors: set[str] | None = None,
    change_form: ChangeNoteForm | None = None,
    summary: str | None = None,
    status: int = 200,
):
    page = services.load_editor_page(submission)
    viewer = _me()
    editable = can_edit_submission(viewer, submission)
    resubmit_form = None
    if is_owner(viewer, submission) and page.can_resubmit:
        resubmit_form = ResubmitForm(formdata=None)
        resubmit_form.keep.choices = _keep_choices(page)
        resubmit_form.keep.data = [choice.value for choice in resubmit_form.keep.choices]
    return (
        render_template(
            "evidence/attempt.html",
            page=page,
            submission=submission,
            credential=page.credential,
            editable=editable,
            owner=is_owner(viewer, submission),
            forms=_part_forms(page, posted or {}) if editable else {},
            change_form=change_form or ChangeNoteForm(formdata=None, prefix="change", data={"change_note": submission.change_note}),
            resubmit_form=resubmit_form,
            part_errors=part_errors or {},
            cell_errors=cell_errors or set(),
            summary=summary,
            feedback=services.attempt_feedback([submission]).get(submission.id),
            status_labels=STATUS_LABELS,
            kind_names=KIND_NAMES,
            accept_attr=_accept_attr,
            accepted_phrase=accepted_phrase,
            type_label=_type_label,
            max_upload=describe_limit(current_app.config["MAX_UPLOAD_BYTES"]),
            max_upload_bytes=current_app.config["MAX_UPLOAD_BYTES"],
        ),
        status,
    )


def _keep_choices(page: services.EditorPage) -> list[SelectChoice]:
    choices = []
    for requirement in page.requirements:
        for artifact in page.artifacts_for(requirement):
            if artifact.kind is RequirementKind.FILE:
                what = f"File: {artifact.original_name}"
            elif artifact.kind is RequirementKind.LINK:
                what = f"Link: {artifact.title or artifact.url}"
            elif artifact.kind is RequirementKind.TEXT:
                what = "Written response"
            else:
                what = f"Data table ({len(artifact.measures)} row{'s' if len(artifact.measures) != 1 else ''})"
            choices.append(SelectChoice(artifact.id, f"{requirement.title}: {what}"))
    return choices


def _back_to_part(submission: Submission, requirement_id: int | None = None) -> Response:
    anchor = f"requirement-{requirement_id}" if requirement_id else None
    return redirect(url_for("evidence.edit", submission_id=submission.id, _anchor=anchor))


def _requirement_of(submission: Submission, requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None or requirement.credential_id != submission.credential_id:
        raise NotFound("This credential has no such part.")
    return requirement


def _conflict(submission: Submission, exc: Conflict) -> Response:
    db.session.rollback()
    flash(exc.message, "error")
    return _back_to_part(submission)


@bp.post("/credentials/<slug>/evidence")
@login_required
def start(slug: str):
    credential = credential_services.get_published_credential(slug)
    try:
        submission = services.start_attempt(teacher=_me(), credential=credential)
    except services.ResubmitRequired as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("evidence.edit", submission_id=exc.previous.id, _anchor="resubmit"))
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("evidence.history", slug=slug))
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("credentials.detail", slug=slug))
    db.session.commit()
    return redirect(url_for("evidence.edit", submission_id=submission.id))


@bp.get("/submissions/<int:submission_id>")
@login_required
def edit(submission_id: int):
    submission = get_submission_or_403(_me(), submission_id)
    return _render_page(submission)


def _edit_draft(submission: Submission, form: Any, save: Callable[[], str], back: Callable[[], Response]
                ) -> Response | ValidationError | None:
    """Run one draft edit the views share: when the form validates, ``save()`` calls the service and
    returns the message to flash; then commit and go ``back``. A conflict (the attempt is no longer
    a draft) goes back to the attempt page with the message. Invalid input is rolled back and shown
    next to the fields: the caller renders the page (422), and gets the error to show cell by cell
    when it needs to. None when the form itself did not validate."""
    if not form.validate_on_submit():
        return None
    try:
        message = save()
    except Conflict as exc:
        return _conflict(submission, exc)
    except ValidationError as exc:
        db.session.rollback()
        apply_validation_error(form, exc)
        return exc
    db.session.commit()
    flash(message, "success")
    return back()


@bp.post("/submissions/<int:submission_id>/text/<int:requirement_id>")
@login_required
def save_text(submission_id: int, requirement_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    requirement = _requirement_of(submission, requirement_id)
    form = TextPartForm(prefix=part_prefix(requirement_id))

    def save() -> str:
        services.save_text(teacher=_me(), submission=submission, requirement=requirement, text=form.text.data or "")
        return f"Saved “{requirement.title}”."

    outcome = _edit_draft(submission, form, save, lambda: _back_to_part(submission, requirement_id))
    if isinstance(outcome, Response):
        return outcome
    return _render_page(submission, posted={requirement_id: form}, status=422)


@bp.post("/submissions/<int:submission_id>/links/<int:requirement_id>")
@login_required
def add_link(submission_id: int, requirement_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    requirement = _requirement_of(submission, requirement_id)
    form = LinkForm(prefix=part_prefix(requirement_id))

    def save() -> str:
        services.save_link(teacher=_me(), submission=submission, requirement=requirement,
                           url=form.url.data or "", title=form.title.data or "")
        return f"Added the link to “{requirement.title}”."

    outcome = _edit_draft(submission, form, save, lambda: _back_to_part(submission, requirement_id))
    if isinstance(outcome, Response):
        return outcome
    return _render_page(submission, posted={requirement_id: form}, status=422)


@bp.post("/submissions/<int:submission_id>/data/<int:requirement_id>")
@login_required
def save_data(submission_id: int, requirement_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    requirement = _requirement_of(submission, requirement_id)
    form = DataTableForm(prefix=part_prefix(requirement_id))

    def save() -> str:
        services.save_data_table(teacher=_me(), submission=submission, requirement=requirement,
                                 rows=form.service_rows())
        return f"Saved the table for “{requirement.title}”."

    outcome = _edit_draft(submission, form, save, lambda: _back_to_part(submission, requirement_id))
    if isinstance(outcome, Response):
        return outcome
    cells = set(outcome.fields) if isinstance(outcome, ValidationError) else set()
    form.pad()
    return _render_page(submission, posted={requirement_id: form}, cell_errors=cells, status=422)


@bp.post("/submissions/<int:submission_id>/files/<int:requirement_id>")
@login_required
def upload_file(submission_id: int, requirement_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    requirement = _requirement_of(submission, requirement_id)
    form = FilePartForm(prefix=part_prefix(requirement_id))
    status = 422
    if form.validate_on_submit():
        upload = form.file.data
        try:
            artifact = services.add_file(
                teacher=_me(), submission=submission, requirement=requirement,
                filename=upload.filename, stream=upload,
            )
        except Conflict as exc:
            return _conflict(submission, exc)
        except ValidationError as exc:
            db.session.rollback()
            apply_validation_error(form, exc)
        except StorageUnavailable as exc:
            db.session.rollback()
            form.file.errors = [f"{exc.message} Nothing else in your draft was affected."]
            status = 503
        else:
            db.session.commit()
            flash(f"Uploaded “{artifact.original_name}”.", "success")
            return _back_to_part(submission, requirement_id)
    return _render_page(submission, posted={requirement_id: form}, status=status)


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(exc: RequestEntityTooLarge):
    """A file over the request limit is refused before any view runs (the body is not
    read). On the upload form, show that next to the file field on her attempt page
    instead of an error page; anywhere else, the usual 413 answer."""
    args = request.view_args or {}
    if request.endpoint == "evidence.upload_file" and current_user.is_authenticated:
        try:
            submission = get_own_submission_or_403(_me(), args["submission_id"])
            requirement = _requirement_of(submission, args["requirement_id"])
        except AppError:
            pass
        else:
            db.session.rollback()
            form = FilePartForm(formdata=None, prefix=part_prefix(requirement.id))
            form.file.errors = [
                f"This file is larger than the {describe_limit(current_app.config['MAX_UPLOAD_BYTES'])} limit. "
                "Nothing was saved from it; the rest of your draft is unchanged."
            ]
            return _render_page(submission, posted={requirement.id: form}, status=413)
    return handle_http_error(exc)


@bp.post("/submissions/<int:submission_id>/change-note")
@login_required
def save_change_note(submission_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    form = ChangeNoteForm(prefix="change")

    def save() -> str:
        services.save_change_note(teacher=_me(), submission=submission, text=form.change_note.data or "")
        return "Saved your note for reviewers."

    outcome = _edit_draft(submission, form, save,
                          lambda: redirect(url_for("evidence.edit", submission_id=submission.id, _anchor="change-note")))
    if isinstance(outcome, Response):
        return outcome
    return _render_page(submission, change_form=form, status=422)


@bp.post("/artifacts/<int:artifact_id>/delete")
@login_required
def delete_artifact(artifact_id: int):
    artifact = get_own_artifact_or_403(_me(), artifact_id)
    submission, requirement_id = artifact.submission, artifact.requirement_id
    name = artifact.original_name or artifact.title or artifact.url or "the evidence"
    try:
        services.remove_artifact(teacher=_me(), artifact=artifact)
    except Conflict as exc:
        return _conflict(submission, exc)
    db.session.commit()
    flash(f"Removed “{name}”.", "success")
    return _back_to_part(submission, requirement_id)


@bp.post("/submissions/<int:submission_id>/submit")
@login_required
def submit(submission_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    try:
        services.submit_attempt(teacher=_me(), submission=submission)
    except Conflict as exc:
        return _conflict(submission, exc)
    except ValidationError as exc:
        db.session.rollback()
        part_errors: dict[int, list[str]] = {}
        change_form = None
        for name, messages in exc.fields.items():
            if name.startswith("requirement-") and name.removeprefix("requirement-").isdigit():
                part_errors[int(name.removeprefix("requirement-"))] = messages
            elif name == "change_note":
                change_form = ChangeNoteForm(formdata=None, prefix="change", data={"change_note": submission.change_note})
                change_form.change_note.errors = list(messages)
        return _render_page(
            submission, part_errors=part_errors, change_form=change_form, summary=exc.message, status=422
        )
    db.session.commit()
    flash("Submitted. Your evidence is now waiting for review; you will hear when it has been scored.", "success")
    return redirect(url_for("evidence.edit", submission_id=submission.id))


@bp.post("/submissions/<int:submission_id>/withdraw")
@login_required
def withdraw(submission_id: int):
    submission = get_own_submission_or_403(_me(), submission_id)
    try:
        services.withdraw_attempt(teacher=_me(), submission=submission)
    except Conflict as exc:
        return _conflict(submission, exc)
    db.session.commit()
    flash("Withdrawn. Choose “Edit again” when you want to change it and submit again.", "info")
    return redirect(url_for("evidence.edit", submission_id=submission.id))


@bp.post("/submissions/<int:submission_id>/resubmit")
@login_required
def resubmit(submission_id: int):
    previous = get_own_submission_or_403(_me(), submission_id)
    form = ResubmitForm()
    form.keep.choices = _keep_choices(services.load_editor_page(previous))
    if not form.validate_on_submit():
        flash(" ".join(m for messages in form.errors.values() for m in messages), "error")
        return redirect(url_for("evidence.edit", submission_id=previous.id, _anchor="resubmit"))
    try:
        submission = services.resubmit(
            teacher=_me(), previous=previous, keep_artifact_ids=form.keep.data or [],
            change_note=form.change_note.data or "",
        )
    except Conflict as exc:
        return _conflict(previous, exc)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("evidence.edit", submission_id=previous.id, _anchor="resubmit"))
    db.session.commit()
    flash(f"Attempt {submission.attempt} is ready: revise your evidence, then submit it again.", "success")
    return redirect(url_for("evidence.edit", submission_id=submission.id))


@bp.post("/submissions/<int:submission_id>/autosave")
@login_required
def autosave(submission_id: int):
    """Save one part in the background (``evidence.js``). Always answers JSON:
    ``{"saved_at", "part"}`` or the error envelope with ``fields``."""
    try:
        submission = get_own_submission_or_403(_me(), submission_id)
        part = request.form.get("autosave_part", "")
        saved = _autosave_part(submission, part)
    except AppError as exc:
        db.session.rollback()
        return {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, exc.status
    db.session.commit()
    return {"saved_at": saved.isoformat(), "part": part}


def _autosave_part(submission: Submission, part: str) -> datetime:
    teacher = _me()
    if part == "change-note":
        form: Any = ChangeNoteForm(prefix="change")
        _validate_or_raise(form)
        services.save_change_note(teacher=teacher, submission=submission, text=form.change_note.data or "")
        return submission.updated_at
    name, _, raw_id = part.partition("-")
    if name != "requirement" or not raw_id.isdigit():
        raise ValidationError("autosave_part", "Say which part to save.")
    requirement = _requirement_of(submission, int(raw_id))
    prefix = part_prefix(requirement.id)
    if requirement.kind is RequirementKind.TEXT:
        form = TextPartForm(prefix=prefix)
        _validate_or_raise(form)
        services.save_text(teacher=teacher, submission=submission, requirement=requirement, text=form.text.data or "")
    elif requirement.kind is RequirementKind.DATA:
        form = DataTableForm(prefix=prefix)
        _validate_or_raise(form)
        services.save_data_table(teacher=teacher, submission=submission, requirement=requirement, rows=form.service_rows())
    else:
        raise ValidationError("autosave_part", "Files and links are added with their own buttons.")
    return submission.updated_at


def _validate_or_raise(form: Any) -> None:
    if not form.validate_on_submit():
        fields = {name: list(messages) for name, messages in form.errors.items() if isinstance(messages, list)}
        message = next((m for messages in fields.values() for m in messages if isinstance(m, str)), "Check this part.")
        raise ValidationError(None, message, fields={k: [m for m in v if isinstance(m, str)] for k, v in fields.items()})


# --- history ----------------------------------------------------------------------------------


@bp.get("/credentials/<slug>/attempts")
@login_required
def history(slug: str):
    credential = services.get_credential_by_slug(slug)
    attempts = services.attempt_history(teacher=_me(), credential=credential)
    active = next((a for a in attempts if a.status in (SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW)), None)
    return render_template(
        "evidence/history.html",
        credential=credential,
        attempts=attempts,
        active=active,
        feedback=services.attempt_feedback(attempts),
        status_labels=STATUS_LABELS,
    )


# --- files ----------------------------------------------------------------------------------


def _file_artifact(artifact_id: int) -> Artifact:
    artifact = get_artifact_or_403(_me(), artifact_id)
    if artifact.kind is not RequirementKind.FILE:
        raise NotFound("This piece of evidence is not a file.")
    return artifact


@bp.get("/artifacts/<int:artifact_id>/download")
@login_required
def download(artifact_id: int):
    artifact = _file_artifact(artifact_id)
    return download_response(artifact, name=file_name_for(_me(), artifact))


@bp.get("/artifacts/<int:artifact_id>/thumbnail")
@login_required
def thumbnail(artifact_id: int):
    return thumbnail_response(_file_artifact(artifact_id))
