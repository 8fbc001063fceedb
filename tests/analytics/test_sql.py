"""The two-step median (``sql.median_by_buckets``) against the database's own percentile."""

import math
import random

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, Table, event, func, insert, select

from app.analytics.sql import BUCKET_LIMIT, bucket_of, median_by_buckets, percentiles
from app.extensions import db

_measured = Table("test_median_measured", MetaData(), Column("id", Integer, primary_key=True),
                  Column("key", Integer), Column("value", Float))


@pytest.fixture
def app(app):
    with app.app_context():
        _measured.create(db.engine)
    yield app
    with app.app_context():
        _measured.drop(db.engine)


def _rows(groups: dict[int, list[float | None]]):
    """The values in the test table (emptied first)."""
    db.session.execute(_measured.delete())
    data = [{"key": key, "value": value} for key, items in groups.items() for value in items]
    if data:
        db.session.execute(insert(_measured), data)
    return _measured


def _two_step(width: float, wanted=None) -> dict[int, float]:
    """The medians of the values in the table (``_rows``), from buckets ``width`` wide."""
    rows = _measured
    bucket = bucket_of(rows.c.value, width)
    histogram = (select(rows.c.key, bucket.label("bucket"), func.count(rows.c.value).label("n"))
                 .group_by(rows.c.key, bucket))
    measured = select(rows.c.key, bucket.label("bucket"), rows.c.value)
    return {key[0]: median for key, median in median_by_buckets(histogram, measured, ["key"], wanted).items()}


def _reference(groups: dict[int, list[float | None]]) -> dict[int, float]:
    """Loads the values and returns the database's percentile of them."""
    rows = _rows(groups)
    return {row.key: row.median for row in db.session.execute(
        percentiles(select(rows.c.key, rows.c.value), {"median": 0.5}, keys=["key"]))}


def _assert_same(found: dict[int, float], expected: dict[int, float]) -> None:
    assert found.keys() == expected.keys()
    for key, median in expected.items():
        assert math.isclose(found[key], median, rel_tol=1e-12, abs_tol=1e-12), (key, found[key], median)


@pytest.mark.parametrize("width", [0.5, 1.0, 5.0, 1e9])
def test_the_median_from_buckets_is_the_percentile_of_every_value(app, width):
    rng = random.Random(7)
    groups = {
        1: [3.0],  # one value
        2: [1.0, 2.0],  # two, in different buckets for the narrow widths
        3: [round(rng.gauss(10, 7), 1) for _ in range(101)],  # odd, ties likely
        4: [round(rng.gauss(-4, 20), 3) for _ in range(250)],  # even, negative values
        5: [5.0] * 8 + [5.5] * 3,  # ties across the middle
        6: [None, None, 1.5, None, 2.5, 9.0, -0.5],  # None left out
        7: [-1e300, 4.0, 1e300, 5.0],  # beyond the clamp: still in order
        8: [None],  # no values at all
    }
    with app.app_context():
        expected = _reference(groups)
        assert 8 not in expected
        _assert_same(_two_step(width), expected)


def test_the_middle_ranks_may_fall_in_two_buckets(app):
    # Even count, the two middle values 10 widths apart with an empty stretch between them.
    groups = {1: [0.1, 0.2, 0.3, 10.4, 10.5, 10.6], 2: [-7.0, -6.0, 30.0, 31.0]}
    with app.app_context():
        _rows(groups)
        found = _two_step(1.0)
    assert found == {1: pytest.approx(5.35, rel=1e-12), 2: pytest.approx(12.0, rel=1e-12)}


def test_two_queries_and_only_the_wanted_groups(app):
    rng = random.Random(3)
    groups = {key: [rng.uniform(-50, 50) for _ in range(40 + key)] for key in range(1, 6)}
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    with app.app_context():
        expected = _reference(groups)
        empty = {1: [None]}
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = _two_step(5.0, wanted={(2,), (4,)})
            assert len(counted) == 2
            _rows(empty)
            counted.clear()
            assert _two_step(5.0) == {}
            assert len(counted) == 1  # nothing to rank: no second query
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    _assert_same(found, {key: expected[key] for key in (2, 4)})


def test_buckets_keep_the_order_and_are_clamped(app):
    samples = [-1e300, -2.5, -1.0, -0.1, 0.0, 0.1, 0.99, 1.0, 7.5, 1e300]
    with app.app_context():
        rows = _rows({1: [*samples, None]})
        found = db.session.execute(select(rows.c.value, bucket_of(rows.c.value, 1.0))).all()
    buckets = {value: bucket for value, bucket in found}
    assert buckets[None] is None
    assert [buckets[v] for v in samples] == [-BUCKET_LIMIT, -3, -1, -1, 0, 0, 0, 1, 7, BUCKET_LIMIT]
