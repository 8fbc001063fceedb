"""API: tokens and the caller's own account."""

from __future__ import annotations

from flask import current_app

from app.accounts import services
from app.accounts.auth import api_user
from app.api import bp, public
from app.api.schemas import ErrorEnvelope, TokenRequest, TokenResponse, UserOut
from app.errors import AuthenticationError
from app.extensions import db, limiter


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
