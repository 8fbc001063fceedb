"""Portable SQL for the figures: percentiles and durations on PostgreSQL and SQLite.

PostgreSQL has ``percentile_cont``; SQLite has none, so there the same
continuous percentile is computed with window functions (``row_number`` and
``count`` per group) and linear interpolation between the two nearest rows.
Both run entirely in the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, Integer, Select, case, cast, func, select
from sqlalchemy.sql.expression import literal

from app.extensions import db

SECONDS_PER_DAY = 86400.0


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def epoch_seconds(column) -> ColumnElement:
    """A timestamp column as seconds since the epoch (a float on both backends)."""
    if dialect_name() == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * SECONDS_PER_DAY


def days_between(later, earlier) -> ColumnElement:
    """``later - earlier`` in days, as a float."""
    if dialect_name() == "postgresql":
        return (func.extract("epoch", later) - func.extract("epoch", earlier)) / SECONDS_PER_DAY
    return func.julianday(later) - func.julianday(earlier)


def percentiles(values: Select, fractions: dict[str, float], *, keys: Sequence[str] = ()) -> Select:
    """Continuous percentiles of ``values`` per group.

    ``values`` selects the group columns named in ``keys`` and one column named
    ``value``. The result selects the keys and one column per entry of
    ``fractions`` (name -> fraction in [0, 1]), plus ``n``, the number of values.
    NULL values are left out. The same numbers as PostgreSQL's percentile_cont.
    """
    sub = values.subquery("pv")
    group = [sub.c[k] for k in keys]
    not_null = sub.c.value.is_not(None)
    if dialect_name() == "postgresql":
        columns = [
            func.percentile_cont(fraction).within_group(sub.c.value).label(name)
            for name, fraction in fractions.items()
        ]
        return select(*group, *columns, func.count(sub.c.value).label("n")).where(not_null).group_by(*group)

    ranked = (
        select(
            *group,
            sub.c.value,
            func.row_number().over(partition_by=group or None, order_by=sub.c.value).label("rn"),
            func.count().over(partition_by=group or None).label("cnt"),
        )
        .where(not_null)
        .subquery("ranked")
    )
    rgroup = [ranked.c[k] for k in keys]
    columns = []
    for name, fraction in fractions.items():
        h = (ranked.c.cnt - 1) * literal(float(fraction), Float)  # 0-based position
        lo = cast(h, Integer)  # h >= 0, so truncation is floor
        hi = lo + case((h > lo, 1), else_=0)
        lo_value = func.max(case((ranked.c.rn - 1 == lo, ranked.c.value)))
        hi_value = func.max(case((ranked.c.rn - 1 == hi, ranked.c.value)))
        share = func.max(h - lo)
        columns.append((lo_value + share * (hi_value - lo_value)).label(name))
    return select(*rgroup, *columns, func.max(ranked.c.cnt).label("n")).group_by(*rgroup)
