"""API: the caller's portfolio (profile settings, collections, per-award visibility, consent,
links) and the "export everything" ZIP, over the same services as the pages."""

from __future__ import annotations

from flask import send_file
from marshmallow import Schema, fields, validate

from app.accounts.auth import api_user
from app.api import BEARER, bp, writer
from app.api.awards import AwardUrls
from app.api.schemas import ErrorEnvelope
from app.extensions import db
from app.portfolio import export, services

_ERRORS = {
    401: "No valid token",
    403: "Not yours, or a token without the write scope",
    404: "No such award or collection",
    422: "Invalid input; `fields` names each problem",
}


def errors(*statuses: int):
    def decorator(view):
        for status in (401, *statuses):
            view = bp.alt_response(status, schema=ErrorEnvelope, description=_ERRORS[status])(view)
        return view

    return decorator


class ProfileOut(Schema):
    handle = fields.String(allow_none=True)
    enabled = fields.Boolean()
    display_name = fields.String(allow_none=True)
    headline = fields.String(allow_none=True)
    public_url = fields.String(allow_none=True, metadata={"description": "Set when the profile is on"})


class CollectionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    position = fields.Integer()
    award_ids = fields.Function(lambda c: [item.award_id for item in c.items],
                                metadata={"description": "The awards in it, in order"})


class PortfolioAwardOut(Schema):
    id = fields.Function(lambda e: e.award.id)
    uuid = fields.Function(lambda e: e.award.uuid)
    credential = fields.Function(lambda e: e.award.credential.name)
    issuer = fields.Function(lambda e: e.award.credential.issuer.name)
    kind = fields.Function(lambda e: e.award.credential.kind.value)
    status = fields.String(metadata={"description": "valid, expired, revoked or flagged"})
    issued_at = fields.Function(lambda e: e.award.issued_at.isoformat())
    expires_at = fields.Function(lambda e: e.award.expires_at.isoformat() if e.award.expires_at else None)
    revocation_reason = fields.Function(lambda e: e.award.revocation_reason)
    visible = fields.Boolean(metadata={"description": "Shown on the public profile (never when revoked)"})
    evidence_public = fields.Function(lambda e: e.award.evidence_public)
    collection_ids = fields.List(fields.Integer())
    urls = fields.Function(lambda e: AwardUrls().dump(e.urls))
    linkedin_url = fields.String(metadata={"description": "LinkedIn's add-certification address, filled in"})
    share_url = fields.Function(lambda e: e.urls["assertion"])
    embed_url = fields.Function(lambda e: services.embed_url(e.award))
    embed_html = fields.Function(lambda e: services.embed_snippet(e.award))


class PortfolioOut(Schema):
    profile = fields.Method("_profile")
    collections = fields.List(fields.Nested(CollectionOut))
    awards = fields.List(fields.Nested(PortfolioAwardOut), attribute="entries")

    def _profile(self, overview) -> dict:
        p = overview.profile
        return ProfileOut().dump({
            "handle": p.handle if p else None, "enabled": bool(p and p.enabled),
            "display_name": p.display_name if p else None, "headline": p.headline if p else None,
            "public_url": overview.public_url,
        })


class ProfileIn(Schema):
    handle = fields.String(allow_none=True, validate=validate.Length(max=100))
    enabled = fields.Boolean()
    display_name = fields.String(allow_none=True, validate=validate.Length(max=services.MAX_NAME))
    headline = fields.String(allow_none=True, validate=validate.Length(max=services.MAX_HEADLINE))


class CollectionIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_COLLECTION_NAME))
    description = fields.String(load_default="", validate=validate.Length(max=services.MAX_DESCRIPTION))
    award_ids = fields.List(fields.Integer(), load_default=list)


class CollectionPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=services.MAX_COLLECTION_NAME))
    description = fields.String(validate=validate.Length(max=services.MAX_DESCRIPTION))
    award_ids = fields.List(fields.Integer(), metadata={"description": "The awards in it, in this order"})
    position = fields.Integer(validate=validate.Range(min=0), metadata={"description": "Its place among hers, from 0"})


class AwardSettingsIn(Schema):
    visible = fields.Boolean()
    evidence_public = fields.Boolean()


@bp.route("/me/portfolio", methods=["GET"])
@bp.response(200, PortfolioOut)
@bp.doc(security=BEARER)
@errors()
def get_portfolio():
    """The caller's portfolio: profile settings, collections in order, and every award (newest first)
    with its status, visibility, collections and links (downloads, LinkedIn, share, embed)."""
    return services.portfolio_overview(api_user())


@bp.route("/me/portfolio", methods=["PATCH"])
@bp.arguments(ProfileIn)
@bp.response(200, PortfolioOut)
@bp.doc(security=BEARER)
@errors(403, 422)
def update_portfolio(data: dict):
    """Change the public profile: ``handle`` (3-40 lowercase letters, digits, hyphens; unique),
    ``enabled`` (needs a handle), ``display_name``, ``headline``. Fields left out stay as they are."""
    user = writer()
    services.update_profile(teacher=user, **data)
    db.session.commit()
    return services.portfolio_overview(user)


@bp.route("/me/portfolio/collections", methods=["POST"])
@bp.arguments(CollectionIn)
@bp.response(201, CollectionOut)
@bp.doc(security=BEARER)
@errors(403, 422)
def create_collection(data: dict):
    """A new collection at the end of the caller's list, optionally with awards in order."""
    user = writer()
    collection = services.create_collection(teacher=user, name=data["name"], description=data["description"],
                                            award_ids=data["award_ids"])
    db.session.commit()
    return collection


@bp.route("/me/portfolio/collections/<int:collection_id>", methods=["GET"])
@bp.response(200, CollectionOut)
@bp.doc(security=BEARER)
@errors(403, 404)
def get_collection(collection_id: int):
    """One of the caller's collections."""
    return services.get_own_collection_or_403(api_user(), collection_id)


@bp.route("/me/portfolio/collections/<int:collection_id>", methods=["PATCH"])
@bp.arguments(CollectionPatch)
@bp.response(200, CollectionOut)
@bp.doc(security=BEARER)
@errors(403, 404, 422)
def update_collection(data: dict, collection_id: int):
    """Rename or describe a collection, set its awards in order, or move it to ``position``."""
    user = writer()
    collection = services.get_own_collection_or_403(user, collection_id)
    services.update_collection(teacher=user, collection=collection, **data)
    db.session.commit()
    return collection


@bp.route("/me/portfolio/collections/<int:collection_id>", methods=["DELETE"])
@bp.response(204)
@bp.doc(security=BEARER)
@errors(403, 404)
def delete_collection(collection_id: int):
    """Delete a collection; its awards stay in the portfolio."""
    user = writer()
    services.delete_collection(teacher=user, collection=services.get_own_collection_or_403(user, collection_id))
    db.session.commit()


@bp.route("/me/portfolio/awards/<int:award_id>", methods=["PATCH"])
@bp.arguments(AwardSettingsIn)
@bp.response(200, PortfolioAwardOut)
@bp.doc(security=BEARER)
@errors(403, 404, 422)
def update_portfolio_award(data: dict, award_id: int):
    """Show an award on the public profile or hide it (``visible``), and the evidence consent
    switch (``evidence_public``). Only the award's earner."""
    user = writer()
    award = services.get_own_award_or_403(user, award_id)
    if "visible" in data:
        services.set_award_visibility(teacher=user, award=award, visible=data["visible"])
    if "evidence_public" in data:
        services.set_award_consent(teacher=user, award=award, public=data["evidence_public"])
    db.session.commit()
    return services.portfolio_overview(user).entry(award.id)


@bp.route("/me/export", methods=["GET"])
@bp.doc(security=BEARER, responses={"200": {"description": "The ZIP (application/zip)",
                                            "content": {"application/zip": {"schema": {"type": "string",
                                                                                       "format": "binary"}}}}})
@errors()
def export_portfolio():
    """Everything as one ZIP: per award the baked PNG and SVG (OB 2.0 hosted and signed, OB 3.0),
    the OB 2.0 JSON and JWS, the OB 3.0 JSON and VC-JWT; the evidence files; index.html; manifest.json."""
    user = api_user()
    archive = export.build_export(teacher=user)
    if db.session.new or db.session.dirty:
        db.session.commit()
    response = send_file(archive, mimetype="application/zip", as_attachment=True,
                         download_name=export.export_filename(user), max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
