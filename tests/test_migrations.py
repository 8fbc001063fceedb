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


def test_award_buckets_are_filled_as_a_rebuild_fills_them(empty_app):
    """a5d2b8e4c1f7 gives the award rows their buckets and fills the histogram from them: the same
    rows a full rebuild writes (a day to award on a bucket's edge, below 0 and far out included)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from app.analytics.models import AwardBucketDay, AwardDay
    from app.analytics.summaries import refresh_summaries
    from app.credentials.models import Award
    from app.learning.models import Enrollment
    from tests import factories

    upgrade()
    org = factories.organization()
    micro = factories.micro_credential(org, name="Micro M")
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    for n, days in enumerate((0.5, 13.99, 14.0, 14.01, 27.0, 27.0, -3.25, 400.0)):
        teacher = factories.user(organization=org, email=f"t{n}@example.org")
        db.session.add(Enrollment(user=teacher, credential=micro, started_at=start))
        db.session.add(Award(credential=micro, recipient=teacher, recipient_email=teacher.email, salt="s",
                             identity_hash="sha256$x", issued_at=start + timedelta(days=days)))
    db.session.commit()
    refresh_summaries(full=True)
    db.session.commit()

    def rows():
        awards = db.session.execute(select(AwardDay.award_id, AwardDay.bucket).order_by(AwardDay.award_id)).all()
        histogram = db.session.execute(
            select(AwardBucketDay.credential_id, AwardBucketDay.day, AwardBucketDay.bucket, AwardBucketDay.n)
            .order_by(AwardBucketDay.day, AwardBucketDay.bucket)).all()
        db.session.commit()
        return [tuple(r) for r in awards], [tuple(r) for r in histogram]

    rebuilt = rows()
    assert sorted(b for _, b in rebuilt[0]) == [-1, 0, 0, 1, 1, 1, 1, 28]
    downgrade(revision="7303f5067f54")
    upgrade()
    assert rows() == rebuilt


def test_marks_are_filled_as_a_rebuild_fills_them(empty_app):
    """b81f3c6d9e20 fills the attempt and stack marks from the day rows (and a5d2b8e4c1f7 the award
    buckets): on a generated data set, the same rows a full rebuild writes."""
    from datetime import date

    from sqlalchemy import select

    from app.analytics.models import AttemptMark, AwardBucketDay, AwardDay, StackMark
    from app.analytics.summaries import refresh_summaries
    from app.demo.generate import generate_data
    from app.demo.loader import load_demo

    upgrade()
    load_demo()
    generate_data(teachers=60, seed=3, as_of=date(2026, 6, 30))
    db.session.commit()
    refresh_summaries(full=True)
    db.session.commit()

    def rows():
        found = {}
        for model in (AttemptMark, StackMark, AwardBucketDay, AwardDay):
            columns = [c for c in model.__table__.columns if c.name != "id"]
            found[model.__tablename__] = sorted(tuple(r) for r in db.session.execute(select(*columns)))
        db.session.commit()
        return found

    rebuilt = rows()
    assert all(rebuilt.values())
    assert any(r[-1] for r in rebuilt["analytics_attempt_mark"])  # third previous attempts were counted
    downgrade(revision="7303f5067f54")
    upgrade()
    assert rows() == rebuilt
