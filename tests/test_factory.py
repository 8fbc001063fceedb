"""The application factory wires what it should and refuses unsafe settings."""

from __future__ import annotations

import pytest

from app import create_app
from config import Config, DevelopmentConfig, ProductionConfig, TestingConfig


def test_testing_config(app):
    assert app.testing
    assert app.config["ENV_NAME"] == "testing"


def test_blueprints_registered(app):
    assert {"main", "accounts", "credentials", "learning", "evidence", "reviewers", "api"} <= set(app.blueprints)


def test_production_requires_secret_key(monkeypatch):
    config = type("NoSecret", (ProductionConfig,), {"SECRET_KEY": None})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_registration_mode_is_validated():
    config = type("BadMode", (TestingConfig,), {"REGISTRATION_MODE": "sometimes"})
    with pytest.raises(RuntimeError, match="REGISTRATION_MODE"):
        create_app(config)


def test_development_runs_without_environment():
    assert DevelopmentConfig.SECRET_KEY
    DevelopmentConfig.validate()


def test_base_url_has_no_trailing_slash():
    assert not Config.BASE_URL.endswith("/")


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_security_headers_on_pages(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_unexpected_errors_answer_500_without_details(make_app):
    app = make_app()

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/boom", "boom_api", boom)
    app.add_url_rule("/boom", "boom_page", boom)
    with app.app_context():
        client = app.test_client()
        api = client.get("/api/v1/boom")
        assert api.status_code == 500
        assert api.get_json()["error"]["code"] == "internal_error"
        page = client.get("/boom")
        assert page.status_code == 500 and page.mimetype == "text/html"
        assert b"secret internals" not in page.data and b"secret internals" not in api.data


def test_json_clients_get_the_envelope_outside_the_api(client):
    response = client.get("/credentials/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_every_connection_is_set_up_for_its_database(app, db_backend):
    """SQLite enforces foreign keys; PostgreSQL plans each statement for its parameters, also once
    psycopg has prepared it (a generic plan made the analytics three times slower)."""
    from sqlalchemy import text

    from app.extensions import db

    with db.engine.connect() as connection:
        if db_backend == "postgresql":
            assert connection.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
            assert connection.connection.dbapi_connection.autocommit is False  # left as it was
        else:
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
