"""JSON API v1: bearer tokens, the error envelope, an OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, request
from flask_smorest import Api, Blueprint

from app.accounts.auth import user_from_bearer
from app.extensions import csrf

bp = Blueprint(
    "api", __name__, url_prefix="/api/v1",
    description="Microcredential platform API v1. Authenticate with `Authorization: Bearer <token>`.",
)


#: The OpenAPI security requirement of every token-protected call.
BEARER = [{"bearerAuth": []}]


def writer():
    """The token's user, who must hold the write scope (PermissionDenied otherwise)."""
    from app.accounts.auth import api_user
    from app.errors import PermissionDenied

    user = api_user()
    token = g.get("api_token")
    if token is not None and "write" not in (token.scopes or []):
        raise PermissionDenied("This token has no write scope.")
    return user


def error_responses(descriptions: dict[int, str], *, tags: list[str] | None = None):
    """A decorator factory for one API module: ``errors(*statuses)`` documents the error envelope
    for 401, 403, 404 and ``statuses`` with that module's ``descriptions``, and the bearer
    security requirement (plus ``tags`` when given)."""
    from app.errors import ErrorSchema

    def errors(*statuses: int):
        def decorator(view):
            for status in (401, 403, 404, *statuses):
                view = bp.alt_response(status, schema=ErrorSchema, description=descriptions[status])(view)
            return bp.doc(security=BEARER, **({"tags": tags} if tags else {}))(view)

        return decorator

    return errors


def public(view: Callable) -> Callable:
    """Mark an API view as answering without a bearer token; every other view requires one."""
    view.api_public = True
    return view


@bp.before_request
def _authenticate() -> None:
    # The API never reads the session cookie, so it needs no CSRF token. A token is
    # checked before any input is parsed, so anonymous callers always get 401.
    g.api_user = user_from_bearer()
    view = current_app.view_functions.get(request.endpoint or "")
    if g.api_user is None and view is not None and not getattr(view, "api_public", False):
        from app.errors import AuthenticationError

        raise AuthenticationError("A valid bearer token is required (POST /api/v1/tokens).")


def register_api(app: Flask, api: Api) -> None:
    from app.api import accounts, analytics, authoring, awards, catalog, portfolio, reviews, submissions, verify  # noqa: F401  (routes)

    csrf.exempt(bp)
    api.register_blueprint(bp)
