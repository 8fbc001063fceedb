"""Authoring pages for designers (and admins): /author/...

Thin views: authenticate (designer or admin), parse a form, call one service,
commit once, redirect or render. A service's ValidationError is shown next to
the field it names; a Conflict (a frozen, published version) is flashed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.auth import role_required
from app.accounts.models import Role
from app.credentials.authoring import bp, forms
from app.credentials.authoring import services as svc
from app.credentials.models import CoachRule, CredentialKind, RequirementKind, StackRule
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.forms import apply_validation_error
from app.learning.models import SectionKind

author_required = role_required(Role.DESIGNER)
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _attempt(form, action: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a service; on ValidationError roll back and show it on ``form``."""
    try:
        result = action()
    except ValidationError as exc:
        db.session.rollback()
        apply_validation_error(form, exc)
        return False, None
    db.session.commit()
    return True, result


def _flash_conflicts(action: Callable[[], Any], back: str, success: str | None = None) -> Response:
    """For buttons: run, commit, flash the outcome, go back. Conflicts and rule breaks are flashed."""
    try:
        action()
    except (Conflict, ValidationError) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    if success:
        flash(success, "success")
    return redirect(back)


def _read_upload(form) -> str:
    data = form.file.data.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError("file", "Import files up to 5 MB.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("file", "Save the file as UTF-8 text and try again.") from None


def _form_page(form, *, title: str, submit: str, back: str, status: int = 200, intro: str = "", **extra):
    return render_template("authoring/form.html", form=form, title=title, submit_label=submit, back=back,
                           intro=intro, **extra), status


# --- the authoring home ---------------------------------------------------------------------


@bp.route("/")
@author_required
def index():
    return render_template(
        "authoring/index.html",
        frameworks=svc.list_frameworks(current_user),
        modules=svc.list_modules(current_user),
        entries=svc.list_credentials(current_user),
        adopted=svc.list_adopted(current_user),
    )


@bp.route("/preview", methods=["POST"])
@author_required
def preview_markdown():
    """Live preview: the sanitized HTML a teacher would see for the posted Markdown."""
    source = request.form.get("source", "")
    return jsonify(html=str(svc.preview_markdown(source)))


# --- frameworks and competencies ------------------------------------------------------------


@bp.route("/frameworks/new", methods=["GET", "POST"])
@author_required
def framework_new():
    form = forms.FrameworkForm()
    if form.validate_on_submit():
        ok, framework = _attempt(form, lambda: svc.create_framework(
            author=current_user, name=form.name.data, description=form.description.data or "",
            slug=form.slug.data or None))
        if ok:
            flash(f"Created {framework.name}. Add its competencies.", "success")
            return redirect(url_for("authoring.framework", framework_id=framework.id))
    return _form_page(form, title="New framework", submit="Create framework", back=url_for("authoring.index"),
                      status=422 if form.errors else 200)


@bp.route("/frameworks/import", methods=["GET", "POST"])
@author_required
def framework_import():
    form = forms.FrameworkImportForm()
    if form.validate_on_submit():
        def run():
            text = _read_upload(form)
            if form.format.data == "case":
                return svc.import_framework_case(author=current_user, text=text, slug=form.slug.data or None)
            if not (form.name.data or "").strip():
                raise ValidationError("name", "Give the imported framework a name.")
            return svc.import_framework_csv(author=current_user, name=form.name.data, text=text,
                                            slug=form.slug.data or None)
        ok, framework = _attempt(form, run)
        if ok:
            flash(f"Imported {framework.name} with {len(framework.competencies)} competencies.", "success")
            return redirect(url_for("authoring.framework", framework_id=framework.id))
    return _form_page(form, title="Import a framework", submit="Import", back=url_for("authoring.index"),
                      multipart=True, status=422 if form.errors else 200)


@bp.route("/frameworks/<int:framework_id>", methods=["GET", "POST"])
@author_required
def framework(framework_id: int):
    framework = svc.get_framework(current_user, framework_id)
    form = forms.FrameworkForm(obj=framework)
    if form.validate_on_submit():
        ok, _ = _attempt(form, lambda: svc.update_framework(
            author=current_user, framework=framework, name=form.name.data, description=form.description.data or "",
            slug=form.slug.data or framework.slug))
        if ok:
            flash("Saved the framework.", "success")
            return redirect(url_for("authoring.framework", framework_id=framework_id))
    return render_template("authoring/framework.html", framework=framework, form=form,
                           action_form=forms.ActionForm()), 422 if form.errors else 200


@bp.route("/frameworks/<int:framework_id>/retire", methods=["POST"])
@author_required
def framework_retire(framework_id: int):
    framework = svc.get_framework(current_user, framework_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    retire = framework.retired_at is None
    return _flash_conflicts(
        lambda: svc.set_framework_retired(author=current_user, framework=framework, retired=retire),
        url_for("authoring.framework", framework_id=framework_id),
        "Retired the framework: it is no longer offered for new alignments." if retire else "The framework is back in use.",
    )


@bp.route("/frameworks/<int:framework_id>/export.csv")
@author_required
def framework_export_csv(framework_id: int):
    framework = svc.get_framework(current_user, framework_id)
    return Response(svc.export_framework_csv(framework), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{framework.slug}.csv"'})


@bp.route("/frameworks/<int:framework_id>/export.json")
@author_required
def framework_export_case(framework_id: int):
    framework = svc.get_framework(current_user, framework_id)
    body = json.dumps(svc.export_framework_case(framework), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{framework.slug}.case.json"'})


def _competency_data(form) -> svc.CompetencyData:
    return svc.CompetencyData(
        code=form.code.data or "", name=form.name.data or "", description=form.description.data or "",
        domain=form.domain.data or "", external_url=form.external_url.data or None, parent_id=form.parent_id.data,
    )


def _parent_choices(form, framework, competency=None) -> None:
    form.parent_id.choices = [("", "None (top level)")] + [
        (c.id, f"{c.code} {c.name}") for c in framework.competencies if competency is None or c.id != competency.id
    ]


@bp.route("/frameworks/<int:framework_id>/competencies/new", methods=["GET", "POST"])
@author_required
def competency_new(framework_id: int):
    framework = svc.get_framework(current_user, framework_id)
    form = forms.CompetencyForm()
    _parent_choices(form, framework)
    back = url_for("authoring.framework", framework_id=framework_id)
    if form.validate_on_submit():
        ok, competency = _attempt(form, lambda: svc.create_competency(
            author=current_user, framework=framework, data=_competency_data(form)))
        if ok:
            flash(f"Added {competency.code} {competency.name}.", "success")
            return redirect(back)
    return _form_page(form, title=f"New competency in {framework.name}", submit="Add competency", back=back,
                      status=422 if form.errors else 200)


@bp.route("/competencies/<int:competency_id>", methods=["GET", "POST"])
@author_required
def competency(competency_id: int):
    competency = svc.get_competency(current_user, competency_id)
    framework = competency.framework
    form = forms.CompetencyForm(obj=competency)
    _parent_choices(form, framework, competency)
    back = url_for("authoring.framework", framework_id=framework.id)
    if form.validate_on_submit():
        ok, _ = _attempt(form, lambda: svc.update_competency(
            author=current_user, competency=competency, data=_competency_data(form)))
        if ok:
            flash("Saved the competency.", "success")
            return redirect(back)
    return _form_page(form, title=f"Edit {competency.code} {competency.name}", submit="Save competency", back=back,
                      status=422 if form.errors else 200)


@bp.route("/competencies/<int:competency_id>/move", methods=["POST"])
@author_required
def competency_move(competency_id: int):
    competency = svc.get_competency(current_user, competency_id)
    form = forms.MoveForm()
    back = url_for("authoring.framework", framework_id=competency.framework_id)
    if not form.validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.move_competency(author=current_user, competency=competency,
                                                        direction=form.direction.data), back)


@bp.route("/competencies/<int:competency_id>/retire", methods=["POST"])
@author_required
def competency_retire(competency_id: int):
    competency = svc.get_competency(current_user, competency_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    retire = competency.retired_at is None
    return _flash_conflicts(
        lambda: svc.set_competency_retired(author=current_user, competency=competency, retired=retire),
        url_for("authoring.framework", framework_id=competency.framework_id),
        f"{'Retired' if retire else 'Restored'} {competency.code}.",
    )


# --- modules --------------------------------------------------------------------------------


@bp.route("/modules/new", methods=["GET", "POST"])
@author_required
def module_new():
    form = forms.ModuleForm()
    if form.validate_on_submit():
        ok, module = _attempt(form, lambda: svc.create_module(
            author=current_user, title=form.title.data, summary=form.summary.data or "",
            estimated_hours=form.estimated_hours.data))
        if ok:
            flash(f"Created {module.title}. Add its sections.", "success")
            return redirect(url_for("authoring.module", module_id=module.id))
    return _form_page(form, title="New module", submit="Create module", back=url_for("authoring.index"),
                      status=422 if form.errors else 200)


@bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
@author_required
def module(module_id: int):
    module = svc.get_module(current_user, module_id)
    form = forms.ModuleForm(obj=module)
    if form.validate_on_submit():
        ok, _ = _attempt(form, lambda: svc.update_module(
            author=current_user, module=module, title=form.title.data, summary=form.summary.data or "",
            estimated_hours=form.estimated_hours.data))
        if ok:
            flash("Saved the module.", "success")
            return redirect(url_for("authoring.module", module_id=module_id))
    return render_template("authoring/module.html", module=module, form=form,
                           action_form=forms.ActionForm()), 422 if form.errors else 200


def _section_data(form) -> svc.SectionData:
    return svc.SectionData(kind=SectionKind(form.kind.data), title=form.title.data or "", body_md=form.body_md.data or "")


@bp.route("/modules/<int:module_id>/sections/new", methods=["GET", "POST"])
@author_required
def section_new(module_id: int):
    module = svc.get_module(current_user, module_id)
    form = forms.SectionForm()
    back = url_for("authoring.module", module_id=module_id)
    if form.validate_on_submit():
        ok, section = _attempt(form, lambda: svc.add_section(author=current_user, module=module,
                                                             data=_section_data(form)))
        if ok:
            flash(f"Added the section {section.title}.", "success")
            return redirect(back)
    return _form_page(form, title=f"New section in {module.title}", submit="Add section", back=back,
                      preview=True, status=422 if form.errors else 200)


@bp.route("/sections/<int:section_id>", methods=["GET", "POST"])
@author_required
def section(section_id: int):
    section = svc.get_section(current_user, section_id)
    form = forms.SectionForm(obj=section, kind=section.kind.value if request.method == "GET" else None)
    back = url_for("authoring.module", module_id=section.module_id)
    if form.validate_on_submit():
        ok, _ = _attempt(form, lambda: svc.update_section(author=current_user, section=section,
                                                          data=_section_data(form)))
        if ok:
            flash("Saved the section.", "success")
            return redirect(back)
    return _form_page(form, title=f"Edit section: {section.title}", submit="Save section", back=back, preview=True,
                      initial_preview=svc.preview_markdown(form.body_md.data or ""),
                      status=422 if form.errors else 200)


@bp.route("/sections/<int:section_id>/move", methods=["POST"])
@author_required
def section_move(section_id: int):
    section = svc.get_section(current_user, section_id)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.move_section(author=current_user, section=section,
                                                     direction=form.direction.data),
                            url_for("authoring.module", module_id=section.module_id))


@bp.route("/sections/<int:section_id>/delete", methods=["POST"])
@author_required
def section_delete(section_id: int):
    section = svc.get_section(current_user, section_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.delete_section(author=current_user, section=section),
                            url_for("authoring.module", module_id=section.module_id),
                            f"Removed the section {section.title}.")


# --- credentials ----------------------------------------------------------------------------


def _editor_url(credential) -> str:
    return url_for("authoring.credential", credential_id=credential.id)


@bp.route("/credentials/new", methods=["GET", "POST"])
@author_required
def credential_new():
    form = forms.NewCredentialForm()
    if form.validate_on_submit():
        ok, credential = _attempt(form, lambda: svc.create_credential(
            author=current_user, kind=CredentialKind(form.kind.data), name=form.name.data,
            slug=form.slug.data or None))
        if ok:
            flash(f"Created the draft {credential.name}.", "success")
            return redirect(_editor_url(credential))
    return _form_page(form, title="New credential", submit="Create draft", back=url_for("authoring.index"),
                      status=422 if form.errors else 200)


@bp.route("/credentials/import", methods=["GET", "POST"])
@author_required
def credential_import():
    form = forms.CredentialImportForm()
    if form.validate_on_submit():
        def run():
            from app.credentials.authoring.document import parse_document

            try:
                payload = json.loads(_read_upload(form))
            except (ValueError, RecursionError):
                raise ValidationError("file", "This is not JSON. Upload a credential file exported here.") from None
            return svc.create_from_document(author=current_user, doc=parse_document(payload),
                                            slug=form.slug.data or None)
        ok, credential = _attempt(form, run)
        if ok:
            flash(f"Imported {credential.name} as a draft. Check it, then publish.", "success")
            return redirect(_editor_url(credential))
    return _form_page(form, title="Import a credential", submit="Import", back=url_for("authoring.index"),
                      multipart=True, status=422 if form.errors else 200)


def _credential_form(credential, *, data=None) -> forms.CredentialForm:
    form = forms.CredentialForm(obj=credential if request.method == "GET" else None, data=data)
    if request.method == "GET":
        form.tags.data = ", ".join(credential.tags or [])
        form.competency_ids.data = [c.id for c in credential.competencies]
    form.module_id.choices = [("", "No module")] + [(m.id, m.title) for m in svc.list_modules(current_user)]
    aligned = {c.id for c in credential.competencies}
    form.competency_ids.choices = [
        (c.id, f"{c.framework.name}: {c.code} {c.name}") for c in svc.alignable_competencies()
    ] + [(c.id, f"{c.framework.name}: {c.code} {c.name} (retired)") for c in credential.competencies
         if c.retired_at is not None and c.id in aligned]
    return form


def _render_editor(credential, form, status: int = 200):
    return render_template(
        "authoring/credential.html", credential=credential, form=form, action_form=forms.ActionForm(),
        copy_form=forms.CopyForm(), problems=svc.publish_problems(credential),
        versions=svc.versions_of(credential.slug), frozen=credential.published_at is not None,
    ), status


@bp.route("/credentials/<int:credential_id>", methods=["GET", "POST"])
@author_required
def credential(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    form = _credential_form(credential)
    if form.validate_on_submit():
        data = svc.CredentialData(
            name=form.name.data, summary=form.summary.data or "", description=form.description.data or "",
            criteria_md=form.criteria_md.data or "", tags=[t for t in (form.tags.data or "").split(",")],
            estimated_hours=form.estimated_hours.data, validity_months=form.validity_months.data,
            module_id=form.module_id.data, competency_ids=form.competency_ids.data or [],
        )
        try:
            svc.update_credential(author=current_user, credential=credential, data=data)
        except ValidationError as exc:
            db.session.rollback()
            apply_validation_error(form, exc)
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(_editor_url(credential))
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(_editor_url(credential))
        credential = svc.get_credential(current_user, credential_id)
    return _render_editor(credential, form, 422 if form.errors else 200)


@bp.route("/credentials/<int:credential_id>/new-version", methods=["POST"])
@author_required
def credential_new_version(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    draft = svc.start_new_version(author=current_user, credential=credential)
    db.session.commit()
    flash(f"Version {draft.version} is a draft copy of version {draft.version - 1}. "
          "Teachers keep working on the published version until you publish this one.", "success")
    return redirect(_editor_url(draft))


@bp.route("/credentials/<int:credential_id>/publish", methods=["POST"])
@author_required
def credential_publish(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.publish_credential(author=current_user, credential=credential),
                            _editor_url(credential), f"Published version {credential.version}. Teachers can start it now.")


@bp.route("/credentials/<int:credential_id>/unpublish", methods=["POST"])
@author_required
def credential_unpublish(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return _flash_conflicts(
        lambda: svc.unpublish_credential(author=current_user, credential=credential), _editor_url(credential),
        "Unpublished: it is hidden from the catalog and new starts. Work in progress carries on.",
    )


@bp.route("/credentials/<int:credential_id>/history")
@author_required
def credential_history(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    return render_template("authoring/history.html", credential=credential,
                           entries=svc.credential_history(author=current_user, credential=credential))


@bp.route("/credentials/<int:credential_id>/export.json")
@author_required
def credential_export(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    body = json.dumps(svc.export_document(credential), indent=2, ensure_ascii=False)
    filename = f"{credential.slug}-v{credential.version}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/credentials/<int:credential_id>/preview/teacher")
@author_required
def preview_teacher(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    return render_template("credentials/detail.html", credential=credential, stacks=[], preview=True,
                           preview_back=_editor_url(credential))


@bp.route("/credentials/<int:credential_id>/preview/reviewer")
@author_required
def preview_reviewer(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    return render_template("authoring/preview_reviewer.html", credential=credential)


# --- requirements ---------------------------------------------------------------------------


def _requirement_data(form) -> svc.RequirementData:
    return svc.RequirementData(
        kind=RequirementKind(form.kind.data), title=form.title.data or "", prompt=form.prompt.data or "",
        guidance=form.guidance.data or "", required=bool(form.required.data),
        accepted_types=form.accepted_types.data or [], max_files=form.max_files.data or 1,
    )


def _edit_page(form, credential, action, *, title: str, submit: str, success: str, **extra):
    """A sub-editor of a credential: save through ``action`` and go back to the editor."""
    back = _editor_url(credential)
    if form.validate_on_submit():
        try:
            ok, _ = _attempt(form, action)
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(back)
        if ok:
            flash(success, "success")
            return redirect(back)
    return _form_page(form, title=title, submit=submit, back=back, status=422 if form.errors else 200,
                      credential=credential, **extra)


@bp.route("/credentials/<int:credential_id>/requirements/new", methods=["GET", "POST"])
@author_required
def requirement_new(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    form = forms.RequirementForm()
    return _edit_page(form, credential, lambda: svc.add_requirement(
        author=current_user, credential=credential, data=_requirement_data(form)),
        title=f"New part of the evidence for {credential.name}", submit="Add part", success="Added the part.")


@bp.route("/requirements/<int:requirement_id>", methods=["GET", "POST"])
@author_required
def requirement(requirement_id: int):
    requirement = svc.get_requirement(current_user, requirement_id)
    form = forms.RequirementForm(obj=requirement, kind=requirement.kind.value if request.method == "GET" else None)
    return _edit_page(form, requirement.credential, lambda: svc.update_requirement(
        author=current_user, requirement=requirement, data=_requirement_data(form)),
        title=f"Edit part: {requirement.title}", submit="Save part", success="Saved the part.")


@bp.route("/requirements/<int:requirement_id>/move", methods=["POST"])
@author_required
def requirement_move(requirement_id: int):
    requirement = svc.get_requirement(current_user, requirement_id)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.move_requirement(author=current_user, requirement=requirement,
                                                         direction=form.direction.data),
                            _editor_url(requirement.credential))


@bp.route("/requirements/<int:requirement_id>/delete", methods=["POST"])
@author_required
def requirement_delete(requirement_id: int):
    requirement = svc.get_requirement(current_user, requirement_id)
    credential = requirement.credential
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.delete_requirement(author=current_user, requirement=requirement),
                            _editor_url(credential), f"Removed the part {requirement.title}.")


# --- the rubric builder ---------------------------------------------------------------------


def _criterion_form(credential, criterion=None) -> forms.CriterionForm:
    form = forms.CriterionForm(obj=criterion if request.method == "GET" else None)
    form.requirement_ids.choices = [(r.id, r.title) for r in credential.requirements]
    if request.method == "GET":
        saved = list(criterion.levels) if criterion else []
        rows = [{"label": lv.label, "points": lv.points, "descriptor": lv.descriptor} for lv in saved]
        if criterion is None:
            rows = [{"label": label, "points": points, "descriptor": ""} for label, points in forms.DEFAULT_LEVELS]
        rows += [{"label": "", "points": None, "descriptor": ""}] * forms.BLANK_LEVELS
        while len(form.levels.entries):
            form.levels.pop_entry()
        for row in rows:
            form.levels.append_entry(row)
        form.requirement_ids.data = [r.id for r in criterion.requirements] if criterion else []
        pass_index = next((i for i, lv in enumerate(saved) if lv.is_pass), None)
        form.pass_level.data = str(pass_index) if pass_index is not None else None
    form.pass_level.choices = [(str(i), f"Level {i + 1}") for i in range(len(form.levels.entries))]
    return form


def _criterion_data(form) -> svc.CriterionData:
    chosen = form.pass_level.data
    levels = [
        svc.LevelData(label=entry.form.label.data or "", points=entry.form.points.data or 0,
                      descriptor=entry.form.descriptor.data or "", is_pass=str(i) == chosen)
        for i, entry in enumerate(form.levels.entries)
    ]
    return svc.CriterionData(name=form.name.data or "", description=form.description.data or "",
                             requirement_ids=form.requirement_ids.data or [], levels=levels)


def _criterion_page(credential, criterion=None):
    form = _criterion_form(credential, criterion)
    back = _editor_url(credential)
    if form.validate_on_submit():
        try:
            ok, _ = _attempt(form, lambda: svc.save_criterion(
                author=current_user, credential=credential, criterion=criterion, data=_criterion_data(form)))
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(back)
        if ok:
            flash("Saved the criterion.", "success")
            return redirect(back + "#rubric")
    return render_template("authoring/criterion.html", form=form, credential=credential, criterion=criterion,
                           back=back), 422 if form.errors else 200


@bp.route("/credentials/<int:credential_id>/criteria/new", methods=["GET", "POST"])
@author_required
def criterion_new(credential_id: int):
    return _criterion_page(svc.get_credential(current_user, credential_id))


@bp.route("/criteria/<int:criterion_id>", methods=["GET", "POST"])
@author_required
def criterion(criterion_id: int):
    criterion = svc.get_criterion(current_user, criterion_id)
    return _criterion_page(svc.get_credential(current_user, criterion.rubric.credential_id), criterion)


@bp.route("/criteria/<int:criterion_id>/move", methods=["POST"])
@author_required
def criterion_move(criterion_id: int):
    criterion = svc.get_criterion(current_user, criterion_id)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.move_criterion(author=current_user, criterion=criterion,
                                                       direction=form.direction.data),
                            _editor_url(criterion.rubric.credential) + "#rubric")


@bp.route("/criteria/<int:criterion_id>/delete", methods=["POST"])
@author_required
def criterion_delete(criterion_id: int):
    criterion = svc.get_criterion(current_user, criterion_id)
    credential = criterion.rubric.credential
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.delete_criterion(author=current_user, criterion=criterion),
                            _editor_url(credential) + "#rubric", f"Removed the criterion {criterion.name}.")


# --- policy, exemplars, stack ---------------------------------------------------------------


@bp.route("/credentials/<int:credential_id>/policy", methods=["GET", "POST"])
@author_required
def policy(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    current = credential.policy
    form = forms.PolicyForm(obj=current)
    if request.method == "GET" and current is not None:
        form.coach_rule.data = current.coach_rule.value
        form.calibration_exact_share.data = round(current.calibration_exact_share * 100)

    def save():
        return svc.save_policy(author=current_user, credential=credential, data=svc.PolicyData(
            peer_reviews=form.peer_reviews.data, coach_rule=CoachRule(form.coach_rule.data),
            review_days=form.review_days.data, max_attempts=form.max_attempts.data,
            exclude_same_school=bool(form.exclude_same_school.data),
            allow_cross_organization=bool(form.allow_cross_organization.data),
            calibration_exact_share=form.calibration_exact_share.data / 100,
            calibration_max_gap=form.calibration_max_gap.data,
            calibration_retry_hours=form.calibration_retry_hours.data,
        ))
    return _edit_page(form, credential, save, title=f"Decision policy for {credential.name}", submit="Save policy",
                      success="Saved the decision policy.")


def _exemplar_page(credential, exemplar=None):
    criteria = list(credential.rubric.criteria) if credential.rubric else []
    form_class = forms.exemplar_form_class(criteria)
    form = form_class(obj=exemplar if request.method == "GET" else None)
    if request.method == "GET" and exemplar is not None:
        for ref in exemplar.reference_levels:
            if hasattr(form, f"level_{ref.criterion_id}"):
                getattr(form, f"level_{ref.criterion_id}").data = ref.level_id
                getattr(form, f"rationale_{ref.criterion_id}").data = ref.rationale
    levels = {
        c.id: (getattr(form, f"level_{c.id}").data, getattr(form, f"rationale_{c.id}").data or "")
        for c in criteria if getattr(form, f"level_{c.id}").data
    }
    return _edit_page(form, credential, lambda: svc.save_exemplar(
        author=current_user, credential=credential, exemplar=exemplar,
        data=svc.ExemplarData(title=form.title.data or "", body_md=form.body_md.data or "", levels=levels)),
        title=f"Calibration exemplar for {credential.name}", submit="Save exemplar", success="Saved the exemplar.")


@bp.route("/credentials/<int:credential_id>/exemplars/new", methods=["GET", "POST"])
@author_required
def exemplar_new(credential_id: int):
    return _exemplar_page(svc.get_credential(current_user, credential_id))


@bp.route("/exemplars/<int:exemplar_id>", methods=["GET", "POST"])
@author_required
def exemplar(exemplar_id: int):
    exemplar = svc.get_exemplar(current_user, exemplar_id)
    return _exemplar_page(svc.get_credential(current_user, exemplar.credential_id), exemplar)


@bp.route("/exemplars/<int:exemplar_id>/delete", methods=["POST"])
@author_required
def exemplar_delete(exemplar_id: int):
    exemplar = svc.get_exemplar(current_user, exemplar_id)
    credential = exemplar.credential
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    return _flash_conflicts(lambda: svc.delete_exemplar(author=current_user, exemplar=exemplar),
                            _editor_url(credential), "Removed the exemplar.")


@bp.route("/credentials/<int:credential_id>/stack", methods=["GET", "POST"])
@author_required
def stack(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    form = forms.StackForm(obj=credential if request.method == "GET" else None)
    candidates = [c for c in svc.stack_candidates(current_user) if c.slug != credential.slug]
    form.component_ids.choices = [(c.id, f"{c.name} ({c.issuer.name})") for c in candidates]
    current_ids = [sc.component_id for sc in credential.stack_components]
    for sc in credential.stack_components:  # keep a component that is no longer published visible
        if sc.component_id not in {c.id for c in candidates}:
            form.component_ids.choices.append((sc.component_id, f"{sc.component.name} (not published)"))
    if request.method == "GET":
        form.rule.data = (credential.stack_rule or StackRule.ALL).value
        form.required_count.data = credential.stack_required_count
        form.component_ids.data = current_ids
    return _edit_page(form, credential, lambda: svc.save_stack(
        author=current_user, credential=credential, data=svc.StackData(
            rule=StackRule(form.rule.data), component_ids=form.component_ids.data or [],
            required_count=form.required_count.data)),
        title=f"Components of {credential.name}", submit="Save stack", success="Saved the stack.")


# --- sharing --------------------------------------------------------------------------------


@bp.route("/credentials/<int:credential_id>/offer", methods=["POST"])
@author_required
def credential_offer(credential_id: int):
    credential = svc.get_credential(current_user, credential_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    offered = credential.offered_at is None
    return _flash_conflicts(
        lambda: svc.set_offered(author=current_user, credential=credential, offered=offered), _editor_url(credential),
        "Offered to other organizations." if offered else "No longer offered to other organizations.",
    )


@bp.route("/shared")
@author_required
def shared():
    return render_template("authoring/shared.html", offers=svc.list_offers(current_user),
                           action_form=forms.ActionForm(), copy_form=forms.CopyForm())


def _shared_credential(credential_id: int):
    return svc.load_credential(credential_id)


@bp.route("/shared/<int:credential_id>/adopt", methods=["POST"])
@author_required
def credential_adopt(credential_id: int):
    credential = _shared_credential(credential_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    svc.adopt_credential(author=current_user, credential=credential)
    db.session.commit()
    flash(f"Adopted {credential.name}. Its issuer stays {credential.issuer.name}.", "success")
    return redirect(url_for("authoring.shared"))


@bp.route("/shared/<int:credential_id>/drop", methods=["POST"])
@author_required
def credential_drop(credential_id: int):
    credential = _shared_credential(credential_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    svc.drop_adoption(author=current_user, credential=credential)
    db.session.commit()
    flash(f"{credential.name} is no longer listed as adopted.", "success")
    return redirect(url_for("authoring.index"))


@bp.route("/shared/<int:credential_id>/copy", methods=["POST"])
@author_required
def credential_copy(credential_id: int):
    credential = _shared_credential(credential_id)
    form = forms.CopyForm()
    if not form.validate_on_submit():
        abort(400)
    copy = svc.copy_credential(author=current_user, credential=credential, name=form.name.data or None)
    db.session.commit()
    flash(f"Made {copy.name}, a draft under your own issuer crediting the source. Adapt it, then publish.", "success")
    return redirect(_editor_url(copy))
