"""JSON API v1: bearer tokens, the error envelope, an OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask, g
from flask_smorest import Api, Blueprint

from app.accounts.auth import user_from_bearer
from app.extensions import csrf

bp = Blueprint(
    "api", __name__, url_prefix="/api/v1",
    description="Microcredential platform API v1. Authenticate with `Authorization: Bearer <token>`.",
)


@bp.before_request
def _authenticate() -> None:
    # The API never reads the session cookie, so it needs no CSRF token.
    g.api_user = user_from_bearer()


def register_api(app: Flask, api: Api) -> None:
    from app.api import accounts, catalog  # noqa: F401  (routes)

    csrf.exempt(bp)
    api.register_blueprint(bp)
