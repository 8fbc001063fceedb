"""Portable SQL for the figures: percentiles and durations on PostgreSQL and SQLite.

PostgreSQL has ``percentile_cont``; SQLite has none, so there the same
continuous percentile is computed with window functions (``row_number`` and
``count`` per group) and linear interpolation between the two nearest rows.
Both run entirely in the database.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Date, Float, Integer, Select, and_, case, cast, func, or_, select, union_all
from sqlalchemy.sql.expression import literal, literal_column

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


def day_of(column) -> ColumnElement:
    """The UTC calendar day of a timestamp column (a DATE on PostgreSQL, 'YYYY-MM-DD' on SQLite)."""
    if dialect_name() == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)


def month_of(column) -> ColumnElement:
    """The first day of the calendar month of a DATE column (a DATE on PostgreSQL, 'YYYY-MM-01' on SQLite)."""
    if dialect_name() == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def whole_days(later, earlier) -> ColumnElement:
    """Whole days elapsed from ``earlier`` to ``later`` (rounded down), from whole seconds on both backends."""
    if dialect_name() == "postgresql":
        return cast(func.floor((func.extract("epoch", later) - func.extract("epoch", earlier)) / 86400), Integer)
    seconds = cast(func.strftime("%s", later), Integer) - cast(func.strftime("%s", earlier), Integer)
    return case((seconds >= 0, seconds // 86400), else_=-((-seconds + 86399) // 86400))


def percentiles_from_counts(counts: Select, fractions: dict[str, float], *, keys: Sequence[str] = ()) -> Select:
    """Continuous percentiles from a table of values and how often each occurs.

    ``counts`` selects the group columns named in ``keys``, a ``value`` and its
    count ``n`` (several rows may hold the same value). The result has the same
    shape as ``percentiles``: the keys, one column per fraction, and ``n``; the
    numbers are those ``percentile_cont`` gives over the values repeated.
    """
    sub = counts.subquery("pc")
    group = [sub.c[k] for k in keys]
    merged = (
        select(*group, sub.c.value, func.sum(sub.c.n).label("n"))
        .where(sub.c.value.is_not(None))
        .group_by(*group, sub.c.value)
        .subquery("merged")
    )
    mgroup = [merged.c[k] for k in keys]
    ranked = (
        select(
            *mgroup, merged.c.value, merged.c.n,
            func.sum(merged.c.n).over(partition_by=mgroup or None, order_by=merged.c.value).label("upto"),
            func.sum(merged.c.n).over(partition_by=mgroup or None).label("total"),
        )
        .where(merged.c.n > 0)
        .subquery("ranked")
    )
    rgroup = [ranked.c[k] for k in keys]
    postgres = dialect_name() == "postgresql"
    columns = []
    for name, fraction in fractions.items():
        h = (ranked.c.total - 1) * literal(float(fraction), Float)  # 0-based position among the values
        lo = cast(func.floor(h), Integer) if postgres else cast(h, Integer)
        hi = lo + case((h > lo, 1), else_=0)
        # The value at 0-based position p is the one whose run [upto - n, upto) holds p.
        lo_value = func.max(case((and_(ranked.c.upto - ranked.c.n <= lo, lo < ranked.c.upto), ranked.c.value)))
        hi_value = func.max(case((and_(ranked.c.upto - ranked.c.n <= hi, hi < ranked.c.upto), ranked.c.value)))
        share = func.max(h - lo)
        columns.append((lo_value + share * (hi_value - lo_value)).label(name))
    return select(*rgroup, *columns, func.max(ranked.c.total).label("n")).group_by(*rgroup)


BUCKET_LIMIT = 1_000_000  # buckets past this many widths from 0 are merged (a huge value stays in order)


def bucket_of(value, width: float) -> ColumnElement:
    """``floor(value / width)`` as an integer, clamped to +-``BUCKET_LIMIT`` (None stays None): the
    histogram bucket of a value. Buckets keep the values' order, so the bucket that holds a rank
    holds the value at that rank."""
    scaled = value / literal(float(width), Float)
    if dialect_name() == "postgresql":
        floor = cast(func.floor(scaled), Integer)
    else:  # SQLite has no floor(): truncate, then step down below 0
        truncated = cast(scaled, Integer)
        floor = truncated - case((scaled < truncated, 1), else_=0)
    return case((scaled >= BUCKET_LIMIT, BUCKET_LIMIT), (scaled <= -BUCKET_LIMIT, -BUCKET_LIMIT), else_=floor)


STEPS_PER_STATEMENT = 200  # middle ranks looked up per statement (SQLite allows 500 parts in a UNION)


def median_by_buckets(histogram: Select, values: Select, keys: Sequence[str],
                      wanted: Collection[tuple] | None = None, *, with_counts: bool = False) -> dict[tuple, Any]:
    """The exact median per group (``percentile_cont(0.5)``) without sorting every value.

    ``histogram`` selects the group columns named in ``keys``, ``bucket`` (``bucket_of`` the value;
    None rows are left out) and ``n``, how many values fall in it (several rows may share a bucket:
    one per day). ``values`` selects the keys, ``bucket`` and ``value`` of the same rows. The first
    query finds, per group, the bucket that holds each middle rank (one for an odd count, two
    neighbours for an even one) and the rank's place in it; the second reads each middle value as
    ``ORDER BY value OFFSET place LIMIT 1`` inside its bucket, which an index on (keys, bucket,
    value) answers by walking part of one bucket. ``wanted`` limits the second query to some
    groups. Returns {key tuple: median}, or {key tuple: (values counted, median)} ``with_counts``;
    a group without values is absent.
    """
    h = histogram.subquery("histogram")
    merged = (select(*(h.c[k] for k in keys), h.c.bucket, func.sum(h.c.n).label("n"))
              .where(h.c.bucket.is_not(None)).group_by(*(h.c[k] for k in keys), h.c.bucket).subquery("merged"))
    group = [merged.c[k] for k in keys]
    ranked = (
        select(*group, merged.c.bucket, merged.c.n,
               func.sum(merged.c.n).over(partition_by=group or None, order_by=merged.c.bucket).label("upto"),
               func.sum(merged.c.n).over(partition_by=group or None).label("total"))
        .where(merged.c.n > 0)
        .subquery("ranked")
    )
    r = ranked.c
    # The 0-based middle ranks.
    lo, hi = (r.total - 1) / 2, r.total / 2
    if dialect_name() == "postgresql":
        lo, hi = cast(func.floor(lo), Integer), cast(func.floor(hi), Integer)
    else:
        lo, hi = cast(lo, Integer), cast(hi, Integer)
    start = r.upto - r.n
    middle = db.session.execute(
        select(*(r[k] for k in keys), r.bucket, start.label("start"), r.upto, r.total, lo.label("lo"), hi.label("hi"))
        .where(or_(and_(start <= lo, lo < r.upto), and_(start <= hi, hi < r.upto)))
    ).all()
    # One lookup per (group, bucket): the middle ranks it holds (one or two, neighbours) and
    # the place of the first in the bucket. At most two rows per group.
    steps: dict[tuple, list[int]] = {}
    places: dict[tuple, int] = {}
    middles: dict[tuple, tuple[int, int]] = {}
    totals: dict[tuple, int] = {}
    for row in middle:
        key = tuple(row[:len(keys)])
        if wanted is not None and key not in wanted:
            continue
        middles[key] = (int(row.lo), int(row.hi))
        totals[key] = int(row.total)
        ranks = sorted({rank for rank in middles[key] if row.start <= rank < row.upto})
        steps[(key, row.bucket)] = ranks
        places[(key, row.bucket)] = int(ranks[0] - row.start)
    v = values.subquery("values")
    found: dict[tuple, float] = {}
    order = list(steps)
    for first in range(0, len(order), STEPS_PER_STATEMENT):
        parts = []
        for number, step in enumerate(order[first:first + STEPS_PER_STATEMENT], start=first):
            key, bucket = step
            one = (select(literal(number).label("step"), v.c.value)
                   .where(*(v.c[k] == part for k, part in zip(keys, key, strict=True)), v.c.bucket == bucket)
                   .order_by(v.c.value).offset(places[step]).limit(len(steps[step])).subquery(f"step{number}"))
            parts.append(select(one.c.step, one.c.value))
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        read: dict[int, list[float]] = {}
        for row in db.session.execute(statement):
            read.setdefault(row.step, []).append(row.value)
        for number, got in read.items():
            key, _bucket = order[number]
            found.update(zip(((key, rank) for rank in steps[order[number]]), sorted(got), strict=True))
    medians = {}
    for key, (lo_rank, hi_rank) in middles.items():
        low, high = found[(key, lo_rank)], found[(key, hi_rank)]
        median = low + (0.5 if hi_rank > lo_rank else 0.0) * (high - low)  # percentile_cont's interpolation
        medians[key] = (totals[key], median) if with_counts else median
    return medians
