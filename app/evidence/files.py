"""How evidence files leave the app, for the pages and the API alike.

Files are never at a public URL: a download is either a redirect to a
short-lived presigned link (S3) or the bytes streamed by the app, in both cases
after the caller's policy check, and never cached by browsers or proxies.
"""

from __future__ import annotations

from flask import current_app, redirect, send_file
from werkzeug.wrappers import Response

from app.errors import NotFound
from app.evidence.models import Artifact
from app.storage import content_disposition, get_storage
from app.uploads import THUMBNAIL_CONTENT_TYPE

NO_STORE = "private, no-store"


def stream_file(key: str, *, mimetype: str, as_attachment: bool, name: str | None) -> Response:
    """The stored object ``key`` streamed through the app. Raises NotFound when it is missing."""
    try:
        handle = get_storage().open(key)
    except FileNotFoundError:
        raise NotFound("This file is missing from storage. It has been logged; please tell your coach.") from None
    response = send_file(
        handle, mimetype=mimetype, as_attachment=as_attachment, download_name=name or "evidence",
        conditional=False, etag=False, max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(name) if as_attachment else "inline"
    response.headers["Cache-Control"] = NO_STORE
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were talked into rendering the file, it gets no script and no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def _stored_file(artifact: Artifact) -> str:
    if not artifact.storage_key:
        raise NotFound("This piece of evidence is not a file.")
    return artifact.storage_key


def download_response(artifact: Artifact, *, name: str | None) -> Response:
    """A file artifact as a download named ``name`` (``policies.file_name_for``): a redirect to a
    presigned link that lives ``STORAGE_DOWNLOAD_URL_EXPIRES`` seconds (S3), or the bytes as an
    attachment. The caller has checked that the user may view ``artifact``."""
    key = _stored_file(artifact)
    url = get_storage().url_for_download(
        key, expires=current_app.config["STORAGE_DOWNLOAD_URL_EXPIRES"],
        filename=name, content_type=artifact.content_type,
    )
    if url is not None:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = NO_STORE
        return response
    return stream_file(key, mimetype=artifact.content_type or "application/octet-stream", as_attachment=True, name=name)


def thumbnail_response(artifact: Artifact) -> Response:
    """An image artifact's preview, always through the app (pages allow images from their own origin only)."""
    _stored_file(artifact)
    if not artifact.thumbnail_key:
        raise NotFound("This file has no preview.")
    return stream_file(artifact.thumbnail_key, mimetype=THUMBNAIL_CONTENT_TYPE, as_attachment=False, name="preview.jpg")
