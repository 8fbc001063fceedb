"""The hand-computed program fixture (tests/analytics/program.py) for every analytics test."""

from tests.analytics.program import program  # noqa: F401  (pytest fixture)
