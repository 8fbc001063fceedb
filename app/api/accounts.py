"""API: tokens and the caller's own account."""

from __future__ import annotations

from flask import current_app

from marshmallow import Schema, fields, validate

from app.accounts import services
from app.accounts.auth import api_user
from app.api import bp, error_responses, public, writer
from app.api.schemas import ErrorEnvelope, TokenRequest, TokenResponse, UserOut
from app.errors import AuthenticationError, Conflict, ValidationError
from app.extensions import db, limiter

errors = error_responses({
    401: "No valid bearer token", 403: "Not allowed for this token", 404: "No such address on your account",
    409: "The link is used, expired, or the address now belongs to another account",
    422: "Invalid input (see fields)", 429: "Too many attempts",
})


class EmailAddressOut(Schema):
    id = fields.Integer()
    email = fields.String()
    verified = fields.Boolean()
    verified_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    confirmation_sent_at = fields.DateTime(attribute="token_sent_at", allow_none=True)


class EmailAddressList(Schema):
    login_email = fields.String(metadata={"description": "The address she logs in with (always counts)."})
    items = fields.List(fields.Nested(EmailAddressOut))


class EmailAddressIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=320))


class EmailConfirmIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=200),
                          metadata={"description": "The secret from the confirmation link (its last path segment)."})


class MakePrimaryIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


@bp.route("/tokens", methods=["POST"])
@limiter.limit(_token_limit)
@bp.arguments(TokenRequest)
@bp.response(201, TokenResponse)
@bp.alt_response(401, schema=ErrorEnvelope, description="Wrong e-mail or password")
@bp.alt_response(422, schema=ErrorEnvelope, description="Invalid input")
@bp.alt_response(429, schema=ErrorEnvelope, description="Too many attempts")
@public
def create_token(data: dict):
    """Exchange e-mail and password for a bearer token (expires; stored hashed)."""
    try:
        user = services.authenticate(email=data["email"], password=data["password"])
    except AuthenticationError:
        db.session.commit()
        raise
    days = data.get("days") or current_app.config["API_TOKEN_DAYS"]
    secret, token = services.issue_api_token(user=user, days=days, name=data["name"], scopes=data.get("scopes"))
    db.session.commit()
    return {"token": secret, "expires_at": token.expires_at, "scopes": token.scopes}


@bp.route("/me", methods=["GET"])
@bp.response(200, UserOut)
@bp.alt_response(401, schema=ErrorEnvelope, description="No valid token")
@bp.doc(security=[{"bearerAuth": []}])
def me():
    """The account behind the bearer token."""
    user = api_user()
    db.session.commit()  # records last_used_at
    return user


@bp.route("/me/emails", methods=["GET"])
@bp.response(200, EmailAddressList)
@errors()
def list_emails():
    """Her login e-mail and further addresses. Badges verify with any confirmed one."""
    user = api_user()
    return {"login_email": user.email, "items": services.email_addresses(user)}


@bp.route("/me/emails", methods=["POST"])
@limiter.limit(_token_limit)
@bp.arguments(EmailAddressIn)
@bp.response(201, EmailAddressOut)
@errors(422, 429)
def add_email(data: dict):
    """Add an address; a confirmation link is mailed to it and it counts once confirmed."""
    address = services.add_email_address(user=writer(), email=data["email"])
    db.session.commit()
    return address


@bp.route("/me/emails/<int:address_id>/resend", methods=["POST"])
@limiter.limit(_token_limit)
@bp.response(200, EmailAddressOut)
@errors(422, 429)
def resend_email(address_id: int):
    """Mail the confirmation link again (at most once a minute per address)."""
    user = writer()
    address = services.resend_email_verification(user=user, address=services.get_email_address(user, address_id))
    db.session.commit()
    return address


@bp.route("/me/emails/confirm", methods=["POST"])
@bp.arguments(EmailConfirmIn)
@bp.response(200, EmailAddressOut)
@errors(409, 422)
def confirm_email(data: dict):
    """Confirm an address with the secret from its link (the link's page does the same)."""
    try:
        address = services.confirm_email_address(data["token"], user=writer())
    except ValidationError as exc:
        raise Conflict(exc.message) from None
    db.session.commit()
    return address


@bp.route("/me/emails/<int:address_id>/primary", methods=["POST"])
@limiter.limit(_token_limit)
@bp.arguments(MakePrimaryIn)
@bp.response(200, UserOut)
@errors(422, 429)
def make_email_primary(data: dict, address_id: int):
    """Log in with this confirmed address from now on; the old login e-mail stays as a confirmed address."""
    user = writer()
    services.make_email_primary(user=user, address=services.get_email_address(user, address_id),
                                password=data["password"])
    db.session.commit()
    return user


@bp.route("/me/emails/<int:address_id>", methods=["DELETE"])
@bp.response(204)
@errors()
def delete_email(address_id: int):
    """Remove a further address."""
    user = writer()
    services.remove_email_address(user=user, address=services.get_email_address(user, address_id))
    db.session.commit()
    return ""
