"""A short-lived, per-process cache of hosted assertion responses, served before Flask.

Verifiers and backpacks fetch hosted assertions far more often than awards
change. ``AssertionCache`` wraps the WSGI app: the first JSON request for
``/ob/assertions/<uuid>`` goes through the whole Flask stack (hooks, security
headers and all), and the complete response (status, headers, body) is kept
for up to ``OB_ASSERTION_CACHE_SECONDS`` (default 5; 0 turns it off) and
replayed byte for byte to later JSON requests, without touching the database.
Browsers asking for HTML always reach Flask.

Any change to an award flushed in this process (revocation, evidence consent)
drops its entry at once; other worker processes see the change when their
entry expires, so a revocation shows everywhere within that many seconds.
Only responses the view marks cacheable (``X-OB-Cache: store``) are kept.
"""

from __future__ import annotations

import re
import threading
import weakref

from cachetools import TTLCache
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from app.credentials.models import Award

MARK = "X-OB-Cache"
_PATH = re.compile(r"/ob/assertions/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_lock = threading.Lock()
#: Every cache in this process, so a flush anywhere drops stale entries everywhere.
_caches: weakref.WeakSet = weakref.WeakSet()


def wants_html(accept: str) -> bool:
    """The same negotiation as the assertion view: HTML only when preferred over JSON."""
    parsed = parse_accept_header(accept, MIMEAccept)
    best = parsed.best_match(["application/ld+json", "application/json", "text/html"])
    return best == "text/html" and parsed["text/html"] > parsed["application/json"]


class AssertionCache:
    """WSGI middleware replaying cached hosted assertion responses."""

    def __init__(self, app: Flask, seconds: int):
        self.wsgi_app = app.wsgi_app
        self.entries: TTLCache = TTLCache(maxsize=20_000, ttl=seconds)
        _caches.add(self)

    def __call__(self, environ, start_response):
        match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "GET" or wants_html(environ.get("HTTP_ACCEPT", "")):
            return self.wsgi_app(environ, start_response)
        uuid = match.group(1)
        with _lock:
            entry = self.entries.get(uuid)
        if entry is not None:
            status, headers, body = entry
            start_response(status, list(headers))
            return [body]
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            kept = [(name, value) for name, value in headers if name != MARK]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        result = self.wsgi_app(environ, capture)
        status, headers = captured
        if not any(name == MARK for name, _ in headers):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with _lock:
            self.entries[uuid] = (status, tuple((n, v) for n, v in headers if n != MARK), body)
        return [body]


def install(app: Flask) -> None:
    """Put the cache in front of ``app`` when ``OB_ASSERTION_CACHE_SECONDS`` is set."""
    seconds = app.config.get("OB_ASSERTION_CACHE_SECONDS", 5)
    if seconds:
        app.wsgi_app = AssertionCache(app, seconds)  # type: ignore[method-assign]


def forget(uuids: set[str]) -> None:
    with _lock:
        for cache in list(_caches):
            for uuid in uuids:
                cache.entries.pop(uuid, None)


@event.listens_for(Session, "after_flush")
def _forget_changed_awards(session: Session, _context) -> None:
    changed = {obj.uuid for obj in (*session.dirty, *session.deleted) if isinstance(obj, Award)}
    if changed:
        forget(changed)
