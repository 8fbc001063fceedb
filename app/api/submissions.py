"""API: the teacher's attempts, their evidence, submitting, withdrawing, resubmitting.

The same services as the evidence pages; a submission is visible to whoever
may see its artifacts (owner, assigned reviewers, coaches of the credential,
admins) and changeable only by its owner while it is a draft.
"""

from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import BEARER, bp, error_responses, writer
from app.accounts.auth import api_user
from app.api.schemas import (
    ArtifactIn,
    ArtifactOut,
    ErrorEnvelope,
    ResubmitIn,
    SubmissionCreate,
    SubmissionOut,
    SubmissionPage,
)
from app.credentials.models import Credential, Requirement
from app.errors import NotFound, ValidationError
from app.evidence import policies, services
from app.evidence.files import download_response
from app.evidence.models import Artifact, Submission
from app.extensions import db

def _own_submission(user, submission_id: int) -> Submission:
    return policies.get_own_submission_or_403(user, submission_id)


def _requirement(submission: Submission, requirement_id: int | None) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id or 0)
    if requirement is None or requirement.credential_id != submission.credential_id:
        raise ValidationError("requirement_id", "This credential has no such requirement.")
    return requirement


_ERRORS = {
    401: "No valid bearer token",
    403: "Not allowed for this token or user",
    404: "No such submission or artifact",
    409: "The attempt is not in a state that allows this",
    413: "The upload is larger than the limit",
    422: "Invalid input, or required parts missing (see fields)",
    503: "File storage is unavailable; nothing changed",
}


errors = error_responses(_ERRORS)


@bp.route("/submissions", methods=["GET"])
@bp.response(200, SubmissionPage)
@bp.doc(security=BEARER)
@errors()
def list_submissions():
    """The caller's own attempts, newest first."""
    user = api_user()
    items = db.session.scalars(
        select(Submission)
        .where(Submission.teacher_id == user.id)
        .options(selectinload(Submission.credential), selectinload(Submission.artifacts).selectinload(Artifact.measures))
        .order_by(Submission.created_at.desc(), Submission.id.desc())
    ).all()
    return {"items": items}


@bp.route("/submissions", methods=["POST"])
@bp.arguments(SubmissionCreate)
@bp.response(201, SubmissionOut)
@bp.doc(security=BEARER)
@errors(422)
def create_submission(data: dict):
    """Start (or reopen) the caller's draft attempt at a published micro credential.

    201 with a new draft; 200 with the attempt already in progress."""
    user = writer()
    credential = db.session.get(Credential, data["credential_id"])
    if credential is None or not credential.published:
        raise NotFound("No published credential has that id.")
    existing = {s.id for s in db.session.scalars(
        select(Submission).where(Submission.teacher_id == user.id, Submission.credential_id == credential.id)
    )}
    submission = services.start_attempt(teacher=user, credential=credential)
    db.session.commit()
    return submission, 200 if submission.id in existing else 201


@bp.route("/submissions/<int:submission_id>", methods=["GET"])
@bp.response(200, SubmissionOut)
@bp.doc(security=BEARER)
@errors()
def get_submission(submission_id: int):
    """One attempt: status, its evidence, and the teacher's other attempts at the credential."""
    user = api_user()
    return policies.get_submission_or_403(user, submission_id)


@bp.route("/submissions/<int:submission_id>/artifacts", methods=["POST"])
@bp.response(201, ArtifactOut)
@bp.doc(
    security=BEARER,
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["requirement_id", "file"],
                    "properties": {
                        "requirement_id": {"type": "integer"},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            },
            "application/json": {"schema": ArtifactIn},
        },
    },
)
@errors(409, 413, 422, 503)
def add_artifact(submission_id: int):
    """Add evidence to a draft: a file (multipart ``requirement_id`` + ``file``) or
    JSON ``{requirement_id, kind: text|link|data, ...}``."""
    user = writer()
    submission = _own_submission(user, submission_id)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationError("file", "Attach a file in the 'file' field.")
        requirement = _requirement(submission, request.form.get("requirement_id", type=int))
        artifact = services.add_file(
            teacher=user, submission=submission, requirement=requirement,
            filename=upload.filename, stream=upload.stream,
        )
    elif request.is_json:
        data = ArtifactIn().load(request.get_json(silent=True) or {})
        requirement = _requirement(submission, data["requirement_id"])
        kind = data["kind"]
        if kind == "text":
            artifact = services.save_text(teacher=user, submission=submission, requirement=requirement,
                                          text=data.get("text", ""))
        elif kind == "link":
            artifact = services.save_link(teacher=user, submission=submission, requirement=requirement,
                                          url=data.get("url", ""), title=data.get("title", ""))
        else:
            artifact = services.save_data_table(teacher=user, submission=submission, requirement=requirement,
                                                rows=data.get("rows", []))
    else:
        raise ValidationError(None, "Send multipart/form-data with a file, or JSON.")
    db.session.commit()
    return artifact


@bp.route("/artifacts/<int:artifact_id>", methods=["DELETE"])
@bp.response(204)
@bp.doc(security=BEARER)
@errors(409)
def delete_artifact(artifact_id: int):
    """Remove a piece of evidence from a draft (its file goes when nothing else uses it)."""
    user = writer()
    artifact = policies.get_own_artifact_or_403(user, artifact_id)
    services.remove_artifact(teacher=user, artifact=artifact)
    db.session.commit()


@bp.route("/artifacts/<int:artifact_id>/download", methods=["GET"])
@bp.doc(security=BEARER, responses={"200": {"description": "The file"}, "302": {"description": "A short-lived link"}})
@errors(503)
def download_artifact(artifact_id: int):
    """The file of a file artifact: a redirect to a short-lived link (S3) or the bytes."""
    user = api_user()
    return download_response(policies.get_artifact_or_403(user, artifact_id))


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@bp.response(200, SubmissionOut)
@bp.doc(security=BEARER)
@errors(409, 422)
def submit_submission(submission_id: int):
    """Submit the draft for review. 422 with ``fields`` naming each missing part
    (``requirement-<id>``); a resubmission needs ``change_note`` saved first."""
    user = writer()
    submission = _own_submission(user, submission_id)
    services.submit_attempt(teacher=user, submission=submission)
    db.session.commit()
    return submission


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@bp.response(200, SubmissionOut)
@bp.doc(security=BEARER)
@errors(409)
def withdraw_submission(submission_id: int):
    """Withdraw a submitted attempt before review starts."""
    user = writer()
    submission = _own_submission(user, submission_id)
    services.withdraw_attempt(teacher=user, submission=submission)
    db.session.commit()
    return submission


@bp.route("/submissions/<int:submission_id>/resubmit", methods=["POST"])
@bp.arguments(ResubmitIn)
@bp.response(201, SubmissionOut)
@bp.doc(security=BEARER)
@errors(409, 422)
def resubmit_submission(data: dict, submission_id: int):
    """After "not yet": open the next attempt as a draft, carrying forward the kept artifacts."""
    user = writer()
    previous = _own_submission(user, submission_id)
    submission = services.resubmit(
        teacher=user, previous=previous, keep_artifact_ids=data["keep_artifact_ids"], change_note=data["change_note"]
    )
    db.session.commit()
    return submission
