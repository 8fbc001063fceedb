"""Cross-cutting HTTP behaviour: security headers and template helpers."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def site_url(endpoint: str, **values: object) -> str:
    """``BASE_URL`` + the path of ``endpoint``: the public address, also outside a request
    (mail sent from the CLI or a worker). Never built from the request's Host header."""
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["BASE_URL"].rstrip("/") + adapter.build(endpoint, values)


def set_security_headers(response: Response) -> Response:
    """Headers every response carries; pages may not be framed or sniffed."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # A page whose own policy lets others frame it (the badge embed) must not be denied by the older header.
        policy = headers["Content-Security-Policy"]
        if "frame-ancestors" not in policy or "frame-ancestors 'none'" in policy:
            headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure or _hsts_enabled():
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _hsts_enabled() -> bool:
    return bool(current_app.config.get("HSTS_ENABLED"))


def register_web(app: Flask) -> None:
    app.after_request(set_security_headers)

    from app.accounts.models import Role

    @app.context_processor
    def _inject() -> dict:
        return {"Role": Role, "registration_mode": app.config["REGISTRATION_MODE"]}
