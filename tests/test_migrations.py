"""The migrations build exactly the schema the models describe, and run both ways."""

from __future__ import annotations

import itertools

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.db import Base
from app.extensions import db

_names = itertools.count(1)


@pytest.fixture
def empty_app(make_app, new_database):
    app = make_app(SQLALCHEMY_DATABASE_URI=new_database(f"migrations_{next(_names)}"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, Base.metadata)


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_builds_the_models_schema(empty_app):
    upgrade()
    assert _tables() == set(Base.metadata.tables)
    assert _differences() == []


def test_downgrade_to_base_and_upgrade_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert _tables() == set()
    upgrade()
    assert _differences() == []
