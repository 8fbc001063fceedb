"""Public Open Badges URLs, the designer's badge image page, the admin's award and revocation pages.

The public documents need no login and never change shape once issued; their
ids are built on ``BASE_URL`` (``urls.py``). A browser asking an assertion for
HTML gets the human verification page; every other client gets JSON-LD.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.auth import role_required
from app.accounts.models import Organization, Role
from app.credentials.models import Award, Credential, KeyAlgorithm, SigningKey
from app.credentials.openbadges import bp, cache, images, ob2, ob3, publishing, services, urls
from app.credentials.openbadges.forms import BadgeImageForm, ClearImageForm, ResolveFlagForm, RevokeForm
from app.credentials.openbadges.urls import award_urls
from app.credentials.policies import require_author
from app.db import utcnow
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_validation_error

JSON_LD = "application/ld+json"
PUBLIC_CACHE = "public, max-age=300"


def _json(document: dict, status: int = 200, *, cache: str | None = PUBLIC_CACHE) -> Response:
    response = Response(ob3.dumps(document), status=status, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    if cache:
        response.headers["Cache-Control"] = cache
    return response


def _text(body: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _wants_html() -> bool:
    return cache.wants_html(request.headers.get("Accept", ""))


def _organization(org_id: int) -> Organization:
    return db.get_or_404(Organization, org_id)


def _commit_if_dirty() -> None:
    # Public reads may create an issuer's first key or repair a missing document.
    if db.session.new or db.session.dirty:
        db.session.commit()


# --- issuer, keys, lists ------------------------------------------------------------------------------------


@bp.route("/ob/issuers/<int:org_id>")
def issuer(org_id: int):
    return _json(ob2.issuer(_organization(org_id)))


@bp.route("/ob/issuers/<int:org_id>/image.png")
def issuer_image(org_id: int):
    org = _organization(org_id)
    stand_in = Credential(slug=org.slug, name=org.name)
    return Response(images.drawn_images(stand_in)[0], mimetype=images.PNG, headers={"Cache-Control": PUBLIC_CACHE})


@bp.route("/ob/keys/<kid>")
def key(kid: str):
    signing_key = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if signing_key is None:
        abort(404)
    if signing_key.algorithm is KeyAlgorithm.ED25519:
        return _json(ob3.multikey(signing_key))
    return _json(ob2.crypto_key(signing_key))


@bp.route("/ob/issuers/<int:org_id>/revocations")
def revocation_list(org_id: int):
    return _json(ob2.revocation_list(_organization(org_id)), cache="no-cache")


@bp.route("/ob/issuers/<int:org_id>/status")
def status_list(org_id: int):
    document = ob3.status_list_credential(_organization(org_id))
    _commit_if_dirty()
    return _json(document, cache="no-cache")


@bp.route("/ob/issuers/<int:org_id>/did.json")
def issuer_did(org_id: int):
    return _json(ob3.issuer_did_document(_organization(org_id)))


@bp.route("/.well-known/did.json")
def platform_did():
    orgs = list(db.session.scalars(select(Organization).order_by(Organization.id)))
    return _json(ob3.platform_did_document(orgs))


# --- badge classes ------------------------------------------------------------------------------------------


@bp.route("/ob/badges/<int:credential_id>")
def badge_class(credential_id: int):
    credential = db.get_or_404(Credential, credential_id)
    if not credential.published and db.session.scalar(
            select(Award.id).where(Award.credential_id == credential.id).limit(1)) is None:
        abort(404)  # a draft nobody holds is not public yet
    return _json(ob2.badge_class(credential))


@bp.route("/ob/badges/<int:credential_id>/image.<any(png, svg):fmt>")
def badge_image(credential_id: int, fmt: str):
    credential = db.get_or_404(Credential, credential_id)
    if fmt == "png":
        return Response(images.badge_png(credential), mimetype=images.PNG, headers={"Cache-Control": PUBLIC_CACHE})
    response = Response(images.badge_svg(credential), mimetype=images.SVG, headers={"Cache-Control": PUBLIC_CACHE})
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


# --- assertions ---------------------------------------------------------------------------------------------


@bp.route("/ob/assertions/<uuid>")
def assertion(uuid: str):
    award = services.get_award_by_uuid_or_404(uuid)
    if _wants_html():
        expired = award.expires_at is not None and award.expires_at <= utcnow()
        share_image = urls.absolute("openbadges.badge_image", credential_id=award.credential_id, fmt="png")
        return render_template("openbadges/assertion.html", award=award, urls=award_urls(award), expired=expired,
                               share_image=share_image)
    status, document = (410, ob2.revoked_assertion(award)) if award.revoked else (200, ob2.assertion(award))
    response = _json(document, status, cache="no-cache")
    response.headers[cache.MARK] = "store"  # app/credentials/openbadges/cache.py may replay it
    return response


def _revoked_download(award):
    """Every download of a revoked badge says so (410), in the client's language."""
    body = ob2.revoked_assertion(award)
    if _wants_html():
        return render_template("openbadges/revoked.html", award=award), 410
    return _json(body, 410, cache="no-cache")


@bp.route("/ob/assertions/<uuid>/<any(hosted, signed, ob3):variant>.<any(png, svg):fmt>")
def baked(uuid: str, variant: str, fmt: str):
    award = services.get_award_by_uuid_or_404(uuid)
    if award.revoked:
        return _revoked_download(award)
    row = publishing.document(award, publishing.BAKED_KINDS[(variant, fmt)])
    _commit_if_dirty()
    name = f"{award.credential.slug}-{variant}.{fmt}"
    response = Response(publishing.read_baked(row), mimetype=images.PNG if fmt == "png" else images.SVG)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "no-cache"
    if fmt == "svg":
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


@bp.route("/ob/assertions/<uuid>/signed.jws")
def signed_jws(uuid: str):
    award = services.get_award_by_uuid_or_404(uuid)
    if award.revoked:
        return _revoked_download(award)
    body = publishing.document(award, "ob2_jws").body
    _commit_if_dirty()
    return _text(body, "application/jose")


@bp.route("/ob/assertions/<uuid>/credential.json")
def ob3_credential(uuid: str):
    award = services.get_award_by_uuid_or_404(uuid)
    body = publishing.document(award, "ob3_json").body
    _commit_if_dirty()
    # A revoked OB 3.0 credential stays readable: its status list entry says it is revoked.
    return _text(body, "application/json")


@bp.route("/ob/assertions/<uuid>/credential.jwt")
def ob3_jwt(uuid: str):
    award = services.get_award_by_uuid_or_404(uuid)
    body = publishing.document(award, "ob3_jwt").body
    _commit_if_dirty()
    return _text(body, "application/jwt")


@bp.route("/ob/assertions/<uuid>/evidence")
def evidence(uuid: str):
    award = services.get_award_by_uuid_or_404(uuid)
    if not award.evidence_public or award.revoked:
        abort(404)
    criteria = ob3.rubric_criteria(award.credential)
    levels = ob3.decision_levels(award.submission_id) or {}
    rows = []
    for criterion in criteria:
        level = next((lv for lv in criterion.levels if lv.id == levels.get(criterion.id)), None)
        rows.append((criterion, level))
    return render_template("openbadges/evidence.html", award=award, rows=rows)


# --- designer: badge image ------------------------------------------------------------------------------------


@bp.route("/credentials/manage/<int:credential_id>/badge-image", methods=["GET", "POST"])
@login_required
def badge_image_edit(credential_id: int):
    credential = db.get_or_404(Credential, credential_id)
    require_author(current_user, credential.issuer_id)
    form = BadgeImageForm()
    status = 200
    if form.validate_on_submit():
        png = form.png.data.read() if form.png.data else None
        svg = form.svg.data.read() if form.svg.data else None
        try:
            images.set_badge_image(credential, designer=current_user, png=png, svg=svg)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            status = 422
        else:
            db.session.commit()
            flash("Badge image saved. Badges issued from now on use it.", "success")
            return redirect(url_for("openbadges.badge_image_edit", credential_id=credential.id))
    elif request.method == "POST":
        status = 422
    return render_template("openbadges/badge_image.html", credential=credential, form=form,
                           clear_form=ClearImageForm()), status


@bp.route("/credentials/manage/<int:credential_id>/badge-image/clear", methods=["POST"])
@login_required
def badge_image_clear(credential_id: int):
    credential = db.get_or_404(Credential, credential_id)
    require_author(current_user, credential.issuer_id)
    if ClearImageForm().validate_on_submit():
        images.clear_badge_image(credential, designer=current_user)
        db.session.commit()
        flash("The drawn design is back.", "success")
    return redirect(url_for("openbadges.badge_image_edit", credential_id=credential.id))


# --- admin: awards and revocation ---------------------------------------------------------------------------


@bp.route("/admin/awards")
@role_required(Role.ADMIN)
def admin_awards():
    q = (request.args.get("q") or "").strip()[:200]
    status = request.args.get("status") or ""
    page = db.paginate(services.awards_query(current_user, search=q, status=status), per_page=50, error_out=False)
    return render_template("openbadges/admin_awards.html", page=page, q=q, status=status)


@bp.route("/admin/awards/<int:award_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_award(award_id: int):
    award = services.get_award_or_404(award_id)
    if not services.can_revoke(current_user, award):
        abort(403)
    form = RevokeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.revoke_award(admin=current_user, award=award, reason=form.reason.data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(f"Revoked {award.credential.name} for {award.recipient_email}.", "success")
            return redirect(url_for("openbadges.admin_award", award_id=award.id))
    elif request.method == "POST":
        status = 422
    return render_template("openbadges/admin_award.html", award=award, form=form, urls=award_urls(award)), status


@bp.route("/credentials/manage/flagged-awards")
@role_required(Role.DESIGNER)
def flagged_awards():
    return render_template("openbadges/flagged.html", awards=services.flagged_awards(current_user),
                           form=ResolveFlagForm())


@bp.route("/credentials/manage/flagged-awards/<int:award_id>/keep", methods=["POST"])
@role_required(Role.DESIGNER)
def keep_flagged_award(award_id: int):
    award = services.get_award_or_404(award_id)
    form = ResolveFlagForm()
    if form.validate_on_submit():
        services.resolve_flag(designer=current_user, award=award, note=form.note.data or "")
        db.session.commit()
        flash("Kept the stack award; the flag is cleared.", "success")
    return redirect(url_for("openbadges.flagged_awards"))
