"""API: the caller's awards with every public address, and revocation (admins)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.auth import api_user
from app.accounts.models import Role
from app.api import BEARER, bp
from app.api.schemas import ErrorEnvelope
from app.credentials.openbadges import services
from app.credentials.openbadges.urls import award_urls
from app.extensions import db


class AwardUrls(Schema):
    assertion = fields.String(metadata={"description": "Hosted OB 2.0 assertion (JSON-LD; HTML for browsers)"})
    badge_class = fields.String()
    baked_png = fields.String()
    baked_svg = fields.String()
    signed_png = fields.String()
    signed_svg = fields.String()
    jws = fields.String(metadata={"description": "Signed OB 2.0 assertion, compact JWS (RS256)"})
    ob3_credential = fields.String(metadata={"description": "OB 3.0 credential with an eddsa-rdfc-2022 proof"})
    ob3_jwt = fields.String(metadata={"description": "OB 3.0 credential as VC-JWT (RS256)"})
    ob3_png = fields.String()
    ob3_svg = fields.String()
    verification_page = fields.String()


class AwardOut(Schema):
    id = fields.Integer()
    uuid = fields.String()
    credential_id = fields.Integer()
    credential = fields.Function(lambda a: a.credential.name)
    kind = fields.Function(lambda a: a.credential.kind.value)
    issued_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()
    revoked_at = fields.DateTime(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    evidence_public = fields.Boolean()
    urls = fields.Function(lambda a: AwardUrls().dump(award_urls(a)))


class AwardList(Schema):
    items = fields.List(fields.Nested(AwardOut))


class RevokeIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_REASON))


@bp.route("/me/awards", methods=["GET"])
@bp.response(200, AwardList)
@bp.alt_response(401, schema=ErrorEnvelope, description="No valid token")
@bp.doc(security=BEARER)
def my_awards():
    """The caller's awards, newest first, each with every address it is published at."""
    user = api_user()
    return {"items": services.my_awards(user)}


@bp.route("/awards/<int:award_id>/revoke", methods=["POST"])
@bp.arguments(RevokeIn)
@bp.response(200, AwardOut)
@bp.alt_response(401, schema=ErrorEnvelope, description="No valid token")
@bp.alt_response(403, schema=ErrorEnvelope, description="Not an admin of the issuing organization")
@bp.alt_response(404, schema=ErrorEnvelope, description="No such award")
@bp.alt_response(409, schema=ErrorEnvelope, description="Already revoked")
@bp.alt_response(422, schema=ErrorEnvelope, description="No reason given")
@bp.doc(security=BEARER)
def revoke_award(data: dict, award_id: int):
    """Revoke an award with a published reason (admins of the issuing organization)."""
    user = api_user(Role.ADMIN)
    award = services.get_award_or_404(award_id)
    services.revoke_award(admin=user, award=award, reason=data["reason"])
    db.session.commit()
    return award
