"""Review pages: the reviewer's queue, the scoring page, decline, calibration; for coaches and
admins the oversight page; for designers and admins who reviews; agreement; notifications.

Each view authenticates, loads through a policy or service, parses a form, calls one
service, commits once and redirects or renders. Service ``ValidationError``s come back
next to the field they name (status 422).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.accounts.auth import role_required
from app.accounts.models import Role, User
from app.credentials.models import CalibrationExemplar, Credential, CredentialKind, Framework
from app.errors import NotFound, ValidationError
from app.evidence import services as evidence_services
from app.evidence.policies import get_artifact_or_403, get_submission_or_403
from app.evidence.views import _type_label as type_label
from app.extensions import db
from app.forms import apply_validation_error
from app.reviewers import agreement, bp, services
from app.reviewers import notifications as notices
from app.reviewers.forms import ActionForm, CloseCoachingForm, DeclineForm, GrantForm, ReviewForm, scores_from
from app.reviewers.models import AssignmentStatus, Qualification, ReviewerRole

PDF = "application/pdf"


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


# --- the reviewer's queue ---------------------------------------------------------------------


@bp.get("/reviews")
@login_required
def queue():
    me = _me()
    assignments = services.my_assignments(me)
    return render_template(
        "reviewers/queue.html",
        pending=[a for a in assignments if a.status is AssignmentStatus.PENDING],
        closed=[a for a in assignments if a.status is not AssignmentStatus.PENDING][:50],
        calibration=services.calibration_overview(me),
        load=services.open_load(me),
        is_coaching=services.is_coaching,
        oversees=me.has_role(Role.ADMIN, Role.COACH),
        manages=me.has_role(Role.ADMIN, Role.DESIGNER),
    )


# --- scoring --------------------------------------------------------------------------------


def _render_assignment(assignment, *, form=None, errors=None, values=None, decline_form=None, status=200):
    submission = assignment.submission
    me = _me()
    criteria = services.rubric_criteria(submission.credential)
    review = assignment.review
    saved = {s.criterion_id: s for s in (review.scores if review else [])}
    values = values or {c.id: (saved[c.id].level_id if c.id in saved else None, saved[c.id].comment if c.id in saved else "")
                        for c in criteria}
    return render_template(
        "reviewers/assignment.html",
        assignment=assignment,
        submission=submission,
        credential=submission.credential,
        page=evidence_services.load_editor_page(submission),
        criteria=criteria,
        values=values,
        errors=errors or {},
        form=form or ReviewForm(formdata=None, data={"feedback": review.feedback if review else ""}),
        decline_form=decline_form or DeclineForm(formdata=None),
        close_form=CloseCoachingForm(formdata=None),
        others=services.other_reviews(assignment),
        sees_names=assignment.role is ReviewerRole.COACH,
        coaching=services.is_coaching(assignment),
        feedback=evidence_services.attempt_feedback([submission]).get(submission.id),
        editable=assignment.status is AssignmentStatus.PENDING and not services.is_coaching(assignment),
        me=me,
        type_label=type_label,
    ), status


@bp.get("/reviews/assignments/<int:assignment_id>")
@login_required
def assignment(assignment_id: int):
    return _render_assignment(services.get_assignment_or_403(_me(), assignment_id))


@bp.post("/reviews/assignments/<int:assignment_id>")
@login_required
def save_review(assignment_id: int):
    me = _me()
    assignment = services.get_assignment_or_403(me, assignment_id)
    form = ReviewForm()
    criteria = services.rubric_criteria(assignment.submission.credential)
    scores = scores_from(request.form, criteria)
    values = {s.criterion_id: (s.level_id, s.comment) for s in scores}
    if not form.validate():
        return _render_assignment(assignment, form=form, values=values, status=422)
    submit = request.form.get("action") == "submit"
    try:
        services.record_review(reviewer=me, assignment=assignment, scores=scores, feedback=form.feedback.data or "",
                               submit=submit)
    except ValidationError as exc:
        db.session.rollback()
        apply_validation_error(form, exc)
        assignment = services.get_assignment_or_403(me, assignment_id)
        return _render_assignment(assignment, form=form, values=values, errors=exc.fields, status=422)
    db.session.commit()
    flash("Review sent. Thank you." if submit else "Draft saved.", "success")
    return redirect(url_for("reviewers.assignment", assignment_id=assignment_id))


@bp.post("/reviews/assignments/<int:assignment_id>/decline")
@login_required
def decline(assignment_id: int):
    me = _me()
    assignment = services.get_assignment_or_403(me, assignment_id)
    form = DeclineForm()
    if not form.validate():
        return _render_assignment(assignment, decline_form=form, status=422)
    try:
        services.decline_assignment(reviewer=me, assignment=assignment, reason=form.reason.data or "")
    except ValidationError as exc:
        db.session.rollback()
        apply_validation_error(form, exc)
        return _render_assignment(services.get_assignment_or_403(me, assignment_id), decline_form=form, status=422)
    db.session.commit()
    flash("You declined the review; it has gone to another reviewer.", "info")
    return redirect(url_for("reviewers.queue"))


@bp.post("/reviews/assignments/<int:assignment_id>/close")
@login_required
def close_coaching(assignment_id: int):
    me = _me()
    assignment = services.get_assignment_or_403(me, assignment_id)
    form = CloseCoachingForm()
    if not form.validate():
        return _render_assignment(assignment, status=422)
    services.close_coaching(coach=me, assignment=assignment, note=form.reason.data or "")
    db.session.commit()
    flash("Coaching marked done.", "success")
    return redirect(url_for("reviewers.queue"))


@bp.get("/reviews/artifacts/<int:artifact_id>/inline")
@login_required
def inline_pdf(artifact_id: int):
    """A PDF shown inside the scoring page (framed by this site only, never scripted)."""
    artifact = get_artifact_or_403(_me(), artifact_id)
    if artifact.content_type != PDF or not artifact.storage_key:
        raise NotFound("Only PDF evidence opens inline.")
    from app.evidence.files import stream_file

    response = stream_file(artifact.storage_key, mimetype=PDF, as_attachment=False, name=None)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


# --- coaches and admins ----------------------------------------------------------------------


@bp.get("/reviews/oversight")
@role_required(Role.COACH, Role.ADMIN)
def oversight():
    me = _me()
    return render_template(
        "reviewers/oversight.html",
        unassigned=services.unassigned_submissions(actor=me),
        overdue=services.overdue_assignments(actor=me),
        disagreements=services.disagreements(actor=me),
        form=ActionForm(formdata=None),
        is_admin=me.has_role(Role.ADMIN),
    )


def _overseen_submission(submission_id: int):
    return get_submission_or_403(_me(), submission_id)


@bp.post("/reviews/submissions/<int:submission_id>/assign")
@role_required(Role.COACH, Role.ADMIN)
def assign_again(submission_id: int):
    if not ActionForm().validate():
        abort(400)
    submission = _overseen_submission(submission_id)
    created = services.assign_again(actor=_me(), submission=submission)
    db.session.commit()
    flash(f"{len(created)} reviewer{'s' if len(created) != 1 else ''} assigned." if created
          else "Still nobody qualified and free to assign.", "info")
    return redirect(url_for("reviewers.oversight"))


@bp.post("/reviews/submissions/<int:submission_id>/take")
@role_required(Role.COACH)
def take(submission_id: int):
    if not ActionForm().validate():
        abort(400)
    submission = _overseen_submission(submission_id)
    assignment = services.take_submission(coach=_me(), submission=submission)
    db.session.commit()
    return redirect(url_for("reviewers.assignment", assignment_id=assignment.id))


# --- who reviews (designers and admins) ------------------------------------------------------


def _scope_choices(me: User) -> list[SelectChoice]:
    credentials = select(Credential).where(Credential.kind == CredentialKind.MICRO).order_by(Credential.name, Credential.version)
    frameworks = select(Framework).order_by(Framework.name)
    if not me.has_role(Role.ADMIN):
        credentials = credentials.where(Credential.issuer_id == me.organization_id)
        frameworks = frameworks.where(Framework.organization_id == me.organization_id)
    return [SelectChoice("", "Choose…")] + [
        SelectChoice(f"credential:{c.id}", f"{c.name} (version {c.version})") for c in db.session.scalars(credentials)
    ] + [SelectChoice(f"framework:{f.id}", f"Framework: {f.name}") for f in db.session.scalars(frameworks)]


def _render_qualifications(form: GrantForm, status: int = 200):
    me = _me()
    return render_template("reviewers/qualifications.html", form=form, action_form=ActionForm(formdata=None),
                           qualifications=services.list_qualifications(actor=me)), status


@bp.get("/reviews/qualifications")
@role_required(Role.DESIGNER, Role.ADMIN)
def qualifications():
    form = GrantForm(formdata=None)
    form.scope.choices = _scope_choices(_me())
    return _render_qualifications(form)


@bp.post("/reviews/qualifications")
@role_required(Role.DESIGNER, Role.ADMIN)
def grant():
    me = _me()
    form = GrantForm()
    form.scope.choices = _scope_choices(me)
    if not form.validate():
        return _render_qualifications(form, 422)
    kind, _, raw = (form.scope.data or "").partition(":")
    model = Credential if kind == "credential" else Framework
    target = db.session.get(model, int(raw)) if raw.isdigit() else None
    user = db.session.scalar(select(User).where(User.email == (form.email.data or "").strip().lower()))
    try:
        if target is None:
            raise ValidationError("scope", "Choose a credential or a framework from the list.")
        if user is None:
            raise ValidationError("email", "Nobody has an account with that e-mail.")
        services.grant_qualification(
            actor=me, user=user, role=ReviewerRole(form.role.data),
            credential=target if kind == "credential" else None, framework=target if kind == "framework" else None,
        )
    except ValidationError as exc:
        db.session.rollback()
        if exc.field == "user_id":
            exc.fields = {"email": exc.fields.pop("user_id")}
        apply_validation_error(form, exc)
        return _render_qualifications(form, 422)
    db.session.commit()
    flash(f"{user.name} can now review as {form.role.data}.", "success")
    return redirect(url_for("reviewers.qualifications"))


@bp.post("/reviews/qualifications/<int:qualification_id>/revoke")
@role_required(Role.DESIGNER, Role.ADMIN)
def revoke(qualification_id: int):
    if not ActionForm().validate():
        abort(400)
    qualification = db.get_or_404(Qualification, qualification_id)
    services.revoke_qualification(actor=_me(), qualification=qualification)
    db.session.commit()
    flash("Qualification withdrawn.", "info")
    return redirect(url_for("reviewers.qualifications"))


# --- calibration ------------------------------------------------------------------------------


def _calibration_credential(slug: str) -> Credential:
    credential = db.session.scalar(
        select(Credential).where(Credential.slug == slug, Credential.published.is_(True))
        .order_by(Credential.version.desc()).limit(1)
    )
    if credential is None:
        raise NotFound("There is no such credential.")
    return credential


def _render_calibration(credential: Credential, *, errors=None, values=None, result=None, status=200):
    me = _me()
    exemplar = services.next_exemplar(me, credential)
    shown = result.exemplar if result is not None else exemplar
    return render_template(
        "reviewers/calibration.html", credential=credential, exemplar=exemplar, shown=shown,
        criteria=services.rubric_criteria(credential), status=services.calibration_status(me, credential),
        policy=services.policy_of(credential), errors=errors or {}, values=values or {}, result=result,
        form=ActionForm(formdata=None),
        reference={r.criterion_id: r for r in shown.reference_levels} if shown is not None else {},
    ), status


@bp.get("/reviews/calibration/<slug>")
@login_required
def calibration(slug: str):
    credential = _calibration_credential(slug)
    last = services.calibration_status(_me(), credential).last
    result = last if last is not None and request.args.get("result") == str(last.id) else None
    return _render_calibration(credential, result=result)


@bp.post("/reviews/calibration/<slug>")
@login_required
def calibrate(slug: str):
    me = _me()
    credential = _calibration_credential(slug)
    if not ActionForm().validate():
        abort(400)
    exemplar = db.session.get(CalibrationExemplar, request.form.get("exemplar_id", type=int) or 0)
    criteria = services.rubric_criteria(credential)
    picks = {s.criterion_id: s.level_id for s in scores_from(request.form, criteria, with_comments=False)}
    try:
        if exemplar is None or exemplar.credential.slug != credential.slug:
            raise ValidationError("exemplar_id", "Score the sample shown on this page.")
        attempt = services.record_calibration(reviewer=me, exemplar=exemplar, levels=picks)
    except ValidationError as exc:
        db.session.rollback()
        return _render_calibration(credential, errors=exc.fields, values={k: (v, "") for k, v in picks.items()}, status=422)
    db.session.commit()
    flash("Calibrated: you can now be assigned reviews." if attempt.passed
          else "Not within the tolerance this time. Read the reference scoring below.", "success" if attempt.passed else "info")
    return redirect(url_for("reviewers.calibration", slug=slug, result=attempt.id))


# --- agreement ------------------------------------------------------------------------------


@bp.get("/reviews/agreement")
@role_required(Role.DESIGNER, Role.COACH, Role.ADMIN)
def agreement_page():
    me = _me()
    query = select(Credential).where(Credential.kind == CredentialKind.MICRO, Credential.published.is_(True)).options(
        selectinload(Credential.rubric)
    ).order_by(Credential.name, Credential.version.desc())
    if not me.has_role(Role.ADMIN):
        query = query.where(Credential.issuer_id == me.organization_id)
    newest: dict[str, Credential] = {}
    for credential in db.session.scalars(query):
        newest.setdefault(credential.slug, credential)
    slug = request.args.get("credential", "")
    chosen = newest.get(slug) or next(iter(newest.values()), None)
    return render_template("reviewers/agreement.html", credentials=list(newest.values()), chosen=chosen,
                           report=agreement.credential_agreement(chosen) if chosen else None)


# --- notifications ----------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    me = _me()
    return render_template("reviewers/notifications.html", items=notices.notifications_for(me),
                           unread=notices.unread_count(me), form=ActionForm(formdata=None))


@bp.post("/notifications/read")
@login_required
def mark_read():
    if not ActionForm().validate():
        abort(400)
    notices.mark_notifications_read(user=_me())
    db.session.commit()
    return redirect(url_for("reviewers.notifications"))

