"""Shared fixtures: the app on SQLite (default) or PostgreSQL (``--db=postgresql``),
clients (anonymous and logged in per role), the CLI runner, factories.

PostgreSQL: with TEST_DATABASE_URL unset, a throwaway server is started for the
run and stopped at the end (see tests/support/postgres.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from tests.support.login_client import LoginClient
from sqlalchemy import create_engine, text

from app import create_app
from app.accounts.models import Role
from app.db import Base
from config import TestingConfig
from tests import factories
from tests.support.redis import redis_server, redis_url  # noqa: F401  (pytest fixtures)
from tests.support.s3 import s3_bucket, s3_endpoint  # noqa: F401  (pytest fixtures)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", action="store", default=os.environ.get("TEST_DB", "sqlite"),
        choices=["sqlite", "postgresql"], help="database backend for the run",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backend: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def postgres(db_backend: str):
    """The PostgreSQL server of this run (None on SQLite runs)."""
    if db_backend != "postgresql":
        yield None
        return
    if os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    from tests.support.postgres import start_postgres

    try:
        server = start_postgres()
    except RuntimeError as exc:
        pytest.exit(str(exc), returncode=3)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(db_backend: str, postgres, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database for the whole run, with the schema created from the models."""
    if db_backend == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL") or postgres.url("app")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    engine = create_engine(url)
    import app.models  # noqa: F401

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def new_database(db_backend: str, postgres, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """Make an empty database (for migration tests) and return its URL."""

    def make(name: str) -> str:
        if db_backend == "postgresql":
            if postgres is None:
                pytest.fail("migration tests on PostgreSQL need the throwaway server; unset TEST_DATABASE_URL")
            return postgres.create_database(name)
        return f"sqlite:///{tmp_path_factory.mktemp(name) / 'empty.sqlite'}"

    return make


def _empty_tables(app: Flask) -> None:
    from app.extensions import db

    db.session.remove()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("PRAGMA foreign_keys=ON"))
    db.engine.dispose()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with config overrides; tables are emptied after the test."""
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        config = type("Config", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        app = create_app(config)
        app.test_client_class = LoginClient
        made.append(app)
        return app

    yield make
    if made:
        with made[0].app_context():
            _empty_tables(made[0])


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def org(app: Flask):
    return factories.organization()


@pytest.fixture
def user_with_role(app: Flask, org) -> Callable[[Role | None], object]:
    """A committed user holding ``role`` (None: a user with the teacher role only)."""

    def make(role: Role | None = None, **kwargs):
        return factories.user(roles={role or Role.TEACHER}, organization=org, **kwargs)

    return make


@pytest.fixture
def login_as(app: Flask, user_with_role) -> Callable[[Role], FlaskClient]:
    """A client logged in (through Flask-Login) as a new user with ``role``."""

    def make(role: Role) -> FlaskClient:
        user = user_with_role(role)
        return app.test_client(user=user)

    return make


@pytest.fixture
def teacher_client(login_as):
    return login_as(Role.TEACHER)


@pytest.fixture
def coach_client(login_as):
    return login_as(Role.COACH)


@pytest.fixture
def designer_client(login_as):
    return login_as(Role.DESIGNER)


@pytest.fixture
def admin_client(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def hr_client(login_as):
    return login_as(Role.HR)
