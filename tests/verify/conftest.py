"""Fixtures for verification: an issued award, a foreign Open Badges server on 127.0.0.1, many awards.

The app here allows the fetcher to reach 127.0.0.1 (``VERIFY_FETCH_ALLOW``), as a
private deployment would, so a local server can play a foreign issuer; every
other private address stays refused.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import insert

from app.accounts.models import Role
from app.credentials.awards import identity_hash
from app.credentials.models import Award
from app.db import utcnow
from app.extensions import db
from tests import factories
from tests.credentials.openbadges.conftest import count_queries, issue  # noqa: F401  (fixture, helper)
from tests.support.awards import admin, award, credential  # noqa: F401  (fixtures)

EMAIL = "Ana.Teacher@Example.org"


@pytest.fixture
def app(make_app):
    app = make_app(VERIFY_FETCH_ALLOW=["127.0.0.1"], VERIFY_FETCH_CONNECT_TIMEOUT=1, VERIFY_FETCH_READ_TIMEOUT=0.5,
                   VERIFY_FETCH_TOTAL_TIMEOUT=2, VERIFY_FETCH_MAX_BYTES=64 * 1024)
    with app.app_context():
        yield app


@pytest.fixture
def teacher(org):
    return factories.user(roles={Role.TEACHER}, organization=org, email=EMAIL, name="Ana Teacher")


@pytest.fixture
def hr(org):
    return factories.user(roles={Role.HR}, organization=org, email="hr@example.org", name="Hana HR")


@pytest.fixture
def verify_token(client, hr) -> str:
    response = client.post("/api/v1/tokens", json={"email": hr.email, "password": factories.PASSWORD,
                                                   "scopes": ["verify"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def many_awards(credential, recipient, count: int) -> list[str]:
    """``count`` awards inserted in one statement (no publishing: roster checks read rows only)."""
    now = utcnow() - timedelta(days=1)
    rows = []
    for _ in range(count):
        salt = secrets.token_hex(16)
        rows.append({"uuid": str(__import__("uuid").uuid4()), "credential_id": credential.id,
                     "recipient_id": recipient.id, "recipient_email": recipient.email, "salt": salt,
                     "identity_hash": identity_hash(recipient.email, salt), "issued_at": now, "narrative": "",
                     "evidence_public": False})
    db.session.execute(insert(Award), rows)
    db.session.commit()
    return [row["uuid"] for row in rows]


class ForeignServer:
    """A tiny HTTP server: ``routes[path] = (status, headers, body)`` or a callable(handler)."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.hits.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if callable(route):
                    route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def json(self, path: str, document: dict, status: int = 200) -> str:
        self.routes[path] = (status, {"Content-Type": "application/ld+json"}, json.dumps(document).encode())
        return self.base + path

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def foreign() -> Iterator[ForeignServer]:
    server = ForeignServer()
    yield server
    server.stop()


def hang(seconds: float) -> Callable:
    def route(handler) -> None:
        time.sleep(seconds)
        try:
            handler.send_response(200)
            handler.end_headers()
        except OSError:
            pass

    return route
