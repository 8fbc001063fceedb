"""Portfolio pages: her badges, one badge's downloads and switches, collections, the export,
and the public surfaces (the profile at /u/<handle> and the embeddable badge)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.credentials.openbadges import services as badge_services
from app.credentials.openbadges.urls import assertion_url
from app.db import utcnow
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.forms import apply_validation_error
from app.portfolio import bp, export, services
from app.portfolio.forms import (
    AwardCollectionsForm,
    CollectionForm,
    ConfirmForm,
    ItemForm,
    MoveForm,
    ProfileForm,
    SwitchForm,
)

#: The embed is the one page other sites may frame; it runs no script and posts nothing.
EMBED_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; "
             "frame-ancestors *")


def _commit_if_dirty() -> None:
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.commit()


def _render_index(*, profile_form: ProfileForm | None = None, collection_form: CollectionForm | None = None,
                  status: int = 200):
    overview = services.portfolio_overview(current_user)
    if profile_form is None:
        profile = overview.profile
        profile_form = ProfileForm(formdata=None, data={
            "enabled": bool(profile and profile.enabled), "handle": profile.handle if profile else "",
            "display_name": profile.display_name if profile else "", "headline": profile.headline if profile else "",
        })
    return render_template("portfolio/index.html", overview=overview, profile_form=profile_form,
                           collection_form=collection_form or CollectionForm(formdata=None),
                           switch_form=SwitchForm(), move_form=MoveForm()), status


@bp.route("/portfolio")
@login_required
def index():
    return _render_index()


@bp.route("/portfolio/profile", methods=["POST"])
@login_required
def profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_index(profile_form=form, status=422)
    try:
        services.update_profile(teacher=current_user, handle=form.handle.data, enabled=form.enabled.data,
                                display_name=form.display_name.data, headline=form.headline.data)
    except ValidationError as exc:
        db.session.rollback()
        apply_validation_error(form, exc)
        return _render_index(profile_form=form, status=422)
    db.session.commit()
    flash("Public profile saved." if form.enabled.data else "Profile settings saved. Your public profile is off.",
          "success")
    return redirect(url_for("portfolio.index"))


@bp.route("/portfolio/collections", methods=["POST"])
@login_required
def collection_create():
    form = CollectionForm()
    if not form.validate_on_submit():
        return _render_index(collection_form=form, status=422)
    try:
        collection = services.create_collection(teacher=current_user, name=form.name.data,
                                                description=form.description.data or "")
    except ValidationError as exc:
        db.session.rollback()
        apply_validation_error(form, exc)
        return _render_index(collection_form=form, status=422)
    db.session.commit()
    flash(f"Collection “{collection.name}” created. Add badges to it from each badge's page or here.", "success")
    return redirect(url_for("portfolio.collection", collection_id=collection.id))


# --- one award ----------------------------------------------------------------------------------------------


def _render_award(award, *, collections_form: AwardCollectionsForm | None = None, status: int = 200):
    overview = services.portfolio_overview(current_user)
    entry = overview.entry(award.id)
    if collections_form is None:
        collections_form = AwardCollectionsForm(formdata=None, data={"collections": entry.collection_ids})
    collections_form.collections.choices = [SelectChoice(c.id, c.name) for c in overview.collections]
    return render_template(
        "portfolio/award.html", overview=overview, entry=entry, award=award, urls=entry.urls,
        linkedin_url=entry.linkedin_url, share_url=entry.urls["assertion"],
        snippet=services.embed_snippet(award), iframe=services.iframe_snippet(award),
        collections_form=collections_form, switch_form=SwitchForm(),
    ), status


@bp.route("/portfolio/awards/<int:award_id>")
@login_required
def award(award_id: int):
    return _render_award(services.get_own_award_or_403(current_user, award_id))


@bp.route("/portfolio/awards/<int:award_id>/visibility", methods=["POST"])
@login_required
def award_visibility(award_id: int):
    award = services.get_own_award_or_403(current_user, award_id)
    form = SwitchForm()
    if form.validate_on_submit():
        visible = services.set_award_visibility(teacher=current_user, award=award, visible=form.value.data == "on")
        db.session.commit()
        flash("This badge now shows on your public profile." if visible else
              "This badge is hidden from your public profile.", "success")
    if request.form.get("next_page") == "index":
        return redirect(url_for("portfolio.index"))
    return redirect(url_for("portfolio.award", award_id=award.id))


@bp.route("/portfolio/awards/<int:award_id>/consent", methods=["POST"])
@login_required
def award_consent(award_id: int):
    award = services.get_own_award_or_403(current_user, award_id)
    form = SwitchForm()
    if form.validate_on_submit():
        services.set_award_consent(teacher=current_user, award=award, public=form.value.data == "on")
        db.session.commit()
        flash("Verifiers can now read the summary of your evidence." if award.evidence_public else
              "The summary of your evidence is private again.", "success")
    return redirect(url_for("portfolio.award", award_id=award.id))


@bp.route("/portfolio/awards/<int:award_id>/collections", methods=["POST"])
@login_required
def award_collections(award_id: int):
    award = services.get_own_award_or_403(current_user, award_id)
    form = AwardCollectionsForm()
    form.collections.choices = [SelectChoice(c.id, c.name) for c in services.portfolio_overview(current_user).collections]
    if not form.validate_on_submit():
        return _render_award(award, collections_form=form, status=422)
    services.set_award_collections(teacher=current_user, award=award, collection_ids=form.collections.data or [])
    db.session.commit()
    flash("Collections saved.", "success")
    return redirect(url_for("portfolio.award", award_id=award.id))


# --- collections ----------------------------------------------------------------------------------------------


@bp.route("/portfolio/collections/<int:collection_id>", methods=["GET", "POST"])
@login_required
def collection(collection_id: int):
    collection = services.get_own_collection_or_403(current_user, collection_id)
    form = CollectionForm(obj=collection) if request.method == "GET" else CollectionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_collection(teacher=current_user, collection=collection, name=form.name.data,
                                           description=form.description.data or "")
            except ValidationError as exc:
                db.session.rollback()
                apply_validation_error(form, exc)
                status = 422
            else:
                db.session.commit()
                flash("Collection saved.", "success")
                return redirect(url_for("portfolio.collection", collection_id=collection.id))
        else:
            status = 422
    overview = services.portfolio_overview(current_user)
    entries = {e.award.id: e for e in overview.entries}
    collection = next(c for c in overview.collections if c.id == collection_id)
    return render_template("portfolio/collection.html", collection=collection, form=form, entries=entries,
                           move_form=MoveForm(), confirm_form=ConfirmForm(),
                           outside=[e for e in overview.entries if collection.id not in e.collection_ids]), status


@bp.route("/portfolio/collections/<int:collection_id>/move", methods=["POST"])
@login_required
def collection_move(collection_id: int):
    collection = services.get_own_collection_or_403(current_user, collection_id)
    form = MoveForm()
    if form.validate_on_submit():
        services.move_collection(teacher=current_user, collection=collection,
                                 offset=-1 if form.direction.data == "up" else 1)
        db.session.commit()
    return redirect(url_for("portfolio.index") + "#collections-title")


@bp.route("/portfolio/collections/<int:collection_id>/awards/<int:award_id>", methods=["POST"])
@login_required
def collection_item(collection_id: int, award_id: int):
    """Add, remove, or move up or down one award in a collection (``action``)."""
    collection = services.get_own_collection_or_403(current_user, collection_id)
    award = services.get_own_award_or_403(current_user, award_id)
    form = ItemForm()
    if form.validate_on_submit():
        services.change_collection_item(teacher=current_user, collection=collection, award=award,
                                        action=form.action.data)
        db.session.commit()
    return redirect(url_for("portfolio.collection", collection_id=collection.id))


@bp.route("/portfolio/collections/<int:collection_id>/delete", methods=["POST"])
@login_required
def collection_delete(collection_id: int):
    collection = services.get_own_collection_or_403(current_user, collection_id)
    if ConfirmForm().validate_on_submit():
        name = collection.name
        services.delete_collection(teacher=current_user, collection=collection)
        db.session.commit()
        flash(f"Collection “{name}” deleted. Its badges stay in your portfolio.", "success")
    return redirect(url_for("portfolio.index"))


# --- export -----------------------------------------------------------------------------------------------------


@bp.route("/portfolio/export")
@login_required
def export_all():
    archive = export.build_export(teacher=current_user)
    _commit_if_dirty()  # documents publishing had not made yet are kept
    response = send_file(archive, mimetype="application/zip", as_attachment=True,
                         download_name=export.export_filename(current_user), max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- public ------------------------------------------------------------------------------------------------------


@bp.route("/u/<handle>")
def public_profile(handle: str):
    try:
        shown = services.public_profile(handle)
    except NotFound:
        abort(404)
    return render_template("portfolio/public.html", shown=shown, now=utcnow())


@bp.route("/embed/awards/<uuid>")
def embed(uuid: str):
    award = badge_services.get_award_by_uuid_or_404(uuid)
    response = Response(render_template("portfolio/embed.html", award=award, status=services.award_status(award),
                                        page_url=assertion_url(award.uuid)))
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return response
