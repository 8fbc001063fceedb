"""One error vocabulary: domain exceptions and the handlers that render them.

Services raise these; views either map ``ValidationError`` back onto a form or
let the handler answer. A request for JSON (anything under ``/api/`` or one
that prefers JSON) gets the envelope ``{"error": {"code", "message", "fields"}}``;
a browser gets an HTML page. Every handler rolls the session back first.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base domain error: an HTTP status, a stable machine code and a message."""

    status = 400
    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(self.message)


class ValidationError(AppError):
    """Input that breaks a rule; ``field`` names the input it belongs to."""

    status = 422
    code = "validation_error"

    def __init__(self, field: str | None, message: str, *, fields: dict[str, list[str]] | None = None):
        collected = dict(fields or {})
        if field:
            collected.setdefault(field, []).append(message)
        self.field = field
        super().__init__(message, fields=collected)


class AuthenticationError(AppError):
    status = 401
    code = "unauthorized"
    default_message = "Authentication is required."


class PermissionDenied(AppError):
    status = 403
    code = "forbidden"
    default_message = "You do not have permission to do that."


class NotFound(AppError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(AppError):
    status = 409
    code = "conflict"
    default_message = "That conflicts with the current state."


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for people"})
    fields = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Messages per input field"},
    )


class ErrorSchema(Schema):
    """The JSON error envelope every API error uses."""

    error = fields.Nested(ErrorBodySchema, required=True)


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def wants_json() -> bool:
    """Whether the client should get the JSON envelope rather than an HTML page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """Render an error as JSON envelope or HTML page, by what the client asked for."""
    from app.extensions import db

    db.session.rollback()
    if wants_json():
        return {"error": {"code": code, "message": message, "fields": fields or {}}}, status
    return (
        render_template("errors/error.html", status=status, code=code, message=message, fields=fields or {}),
        status,
    )


def _handle_app_error(exc: AppError):
    return error_response(exc.status, exc.code, exc.message, exc.fields)


def _handle_csrf(exc: CSRFError):
    return error_response(
        400, "csrf_failed", "The form expired or was sent from elsewhere. Reload the page and try again."
    )


def _schema_messages(messages: dict) -> tuple[dict[str, list[str]], list[str]]:
    """Flatten webargs' ``{location: {field: [msg]}}`` (or ``{location: [msg]}``) into
    per-field messages and general ones."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            for name, errs in location_errors.items():
                target = general if name == "_schema" else fields.setdefault(str(name), [])
                target.extend(errs if isinstance(errs, list) else [str(errs)])
        else:
            general.extend(location_errors if isinstance(location_errors, list) else [str(location_errors)])
    return fields, [str(m) for m in general]


def handle_http_error(exc: HTTPException):
    """The HTML page or JSON envelope for an HTTP error (also for blueprints that handle some themselves)."""
    status = exc.code or 500
    fields = None
    # flask-smorest/webargs put schema errors on the exception as data["messages"].
    messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    if messages:
        fields, general = _schema_messages(messages)
        message = " ".join(general) or "Some fields are missing or invalid."
    else:
        message = exc.description or exc.name
    if status == 429:
        message = "Too many attempts. Wait a minute and try again."
    elif status == 413:
        from app.storage import describe_limit

        message = (
            f"That upload is larger than the {describe_limit(current_app.config['MAX_UPLOAD_BYTES'])} limit. "
            "Nothing was saved from it; your draft is unchanged."
        )
    return error_response(status, HTTP_CODES.get(status, "error"), message, fields)


def _handle_unexpected(exc: Exception):
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AppError, _handle_app_error)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)
