"""Every figure against the hand-computed program of conftest.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.accounts.models import Role
from app.analytics import services
from app.analytics.services import Filters
from app.errors import PermissionDenied
from tests import factories

ALL_TIME = Filters()
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _row(table, **match):
    return next(row for row in table.rows if all(row[k] == v for k, v in match.items()))


def test_outcomes_per_credential(program):
    table = services.credential_outcomes(program.lead, ALL_TIME)
    m = _row(table, credential="Micro M")
    assert m["enrollments"] == 4
    assert m["never_submitted"] == 1 and m["drop_off"] == pytest.approx(0.25)
    assert m["submissions"] == 4 and m["teachers"] == 3
    assert m["first_attempt_pass"] == pytest.approx(1 / 3)
    assert m["eventual_pass"] == pytest.approx(2 / 3)
    assert m["awards"] == 2 and m["median_days_to_award"] == pytest.approx(22.0)
    m2 = _row(table, credential="Micro M2")
    assert (m2["enrollments"], m2["submissions"], m2["first_attempt_pass"], m2["median_days_to_award"]) == (0, 0, None, None)


def test_outcomes_follow_the_date_and_school_filters(program):
    later = _row(services.credential_outcomes(program.lead, Filters(start=date(2026, 1, 12))), credential="Micro M")
    assert (later["enrollments"], later["submissions"], later["teachers"]) == (0, 1, 1)
    assert later["first_attempt_pass"] is None and later["eventual_pass"] == 1.0
    assert later["awards"] == 2  # both awards were issued after 12 January

    birch = Filters(school_id=program.schools["Birch"].id)
    m = _row(services.credential_outcomes(program.lead, birch), credential="Micro M")
    assert (m["enrollments"], m["never_submitted"], m["submissions"], m["awards"]) == (2, 1, 1, 0)
    assert m["first_attempt_pass"] == 0.0 and m["eventual_pass"] == 0.0


def test_framework_and_credential_filters_narrow_the_credentials(program):
    other = factories.framework(program.org)
    assert services.credential_outcomes(program.lead, Filters(framework_id=other.id)).rows == []
    aligned = services.credential_outcomes(program.lead, Filters(framework_id=program.framework.id))
    assert [r["credential"] for r in aligned.rows] == ["Micro M"]
    one = services.credential_outcomes(program.lead, Filters(credential_id=program.micro2.id))
    assert [r["credential"] for r in one.rows] == ["Micro M2"]
    via_stack = services.credential_outcomes(program.lead, Filters(credential_id=program.stack.id))
    assert [r["credential"] for r in via_stack.rows] == ["Micro M", "Micro M2"]


def test_attempts_to_pass(program):
    table = services.attempts_to_pass(program.lead, ALL_TIME)
    assert [(r["attempts"], r["teachers"]) for r in table.rows] == [("1", 1), ("2", 1), ("3", 0), ("4 or more", 0)]
    assert table.rows[0]["share"] == pytest.approx(0.5)


def test_criteria_below_pass_level(program):
    table = services.criteria_below_pass(program.lead, ALL_TIME)
    assert [(r["criterion"], r["scores"], r["below"]) for r in table.rows] == [
        ("Criterion 3", 5, 3), ("Criterion 2", 5, 2), ("Criterion 1", 5, 1),
    ]
    assert table.rows[0]["share"] == pytest.approx(0.6)


def test_stack_progress(program):
    row = _row(services.stack_progress(program.lead, ALL_TIME), stack=program.stack.name)
    assert (row["started"], row["earned_component"], row["awards"]) == (4, 2, 1)
    assert row["completion"] == pytest.approx(0.25)


def test_review_turnaround_and_overdue_rate(program):
    table = services.review_turnaround(program.lead, ALL_TIME, now=NOW)
    m = _row(table, credential="Micro M")
    assert (m["assignments"], m["completed"], m["overdue"], m["declined"]) == (6, 6, 1, 1)
    assert m["median_days"] == pytest.approx(3.0)  # 1 2 2 4 6 10
    assert m["p90_days"] == pytest.approx(8.0)  # between 6 and 10
    assert m["overdue_rate"] == pytest.approx(1 / 6)
    overall = _row(table, credential="All microcredentials")
    assert (overall["median_days"], overall["p90_days"], overall["assignments"]) == (pytest.approx(3.0), pytest.approx(8.0), 6)


def test_reviewer_load_and_spread(program):
    load = services.reviewer_load(program.lead, ALL_TIME, now=NOW)
    assert [(r["reviewer"], r["assigned"], r["completed"], r["overdue"], r["as_coach"]) for r in load.rows] == [
        ("Coach Cole", 2, 2, 1, 2), ("Peer One", 2, 2, 0, 0), ("Peer Two", 2, 2, 0, 0),
    ]
    assert load.total == 3
    spread = services.load_distribution(program.lead, ALL_TIME).rows[0]
    assert (spread["reviewers"], spread["median"], spread["p90"], spread["max"]) == (3, 2, 2, 2)


def test_peer_agreement_per_criterion(program):
    table = services.reviewer_agreement(program.lead, ALL_TIME)
    assert [(r["criterion"], r["pairs"], r["exact"], r["adjacent"]) for r in table.rows] == [
        ("Criterion 1", 2, 1, 1), ("Criterion 2", 2, 1, 2), ("Criterion 3", 2, 1, 2),
    ]
    assert table.rows[1]["adjacent_rate"] == 1.0 and table.rows[0]["exact_rate"] == 0.5


def test_calibration_results(program):
    row = services.calibration_results(program.lead, ALL_TIME).rows[0]
    assert (row["attempts"], row["passed"], row["peers"], row["peers_passed"]) == (3, 2, 2, 2)
    assert row["pass_rate"] == pytest.approx(2 / 3) and row["peer_pass_rate"] == 1.0
    assert row["exact_share"] == pytest.approx(0.75)


def test_impact_per_credential_minds_direction_and_carried_tables(program):
    row = _row(services.impact_by_credential(program.lead, ALL_TIME), credential="Micro M")
    assert (row["measures"], row["teachers"], row["students"]) == (5, 3, 100)
    assert row["improved"] == pytest.approx(0.6)  # +10, +4 (absences fell), +5
    assert row["unchanged"] == pytest.approx(0.2) and row["worse"] == pytest.approx(0.2)
    assert row["median_change"] == pytest.approx(12.5)  # -10, 0, 25, 40 % (the one from 0 is left out)


def test_impact_by_measure(program):
    table = services.impact_by_measure(program.lead, ALL_TIME)
    assert [(r["measure"], r["reported"], r["median_change"], r["direction"]) for r in table.rows] == [
        ("Quiz", 3, 0.0, "higher is better"), ("Absences", 1, 4.0, "lower is better"),
        ("Reading", 1, 5.0, "higher is better"),
    ]
    assert table.rows[0]["improved"] == pytest.approx(1 / 3)


def test_school_participation_lowest_earning_first(program):
    table = services.school_participation(program.lead, ALL_TIME)
    assert [(r["school"], r["teachers"], r["started"], r["not_started"], r["earning"]) for r in table.rows] == [
        ("Birch", 2, 2, 0, 0), ("Cedar", 1, 0, 1, 0), ("Alder", 2, 2, 0, 2),
    ]
    assert table.total == 3


def test_competency_coverage_grid(program):
    board = services.equity_dashboard(program.lead, ALL_TIME)
    grid = {row["school"]: row for row in board.table("coverage").rows}
    c1, c2 = (f"c{c.id}" for c in program.framework.competencies)
    assert (grid["Alder"][c1], grid["Alder"][c2]) == (2, 2)
    assert (grid["Birch"][c1], grid["Cedar"][c2]) == (0, 0)
    assert grid["Alder"]["teachers"] == 2


def test_other_organizations_data_is_out_of_scope(program):
    other_org = factories.organization()
    other_lead = factories.user(organization=other_org, roles={Role.ANALYST})
    assert services.credential_outcomes(other_lead, ALL_TIME).rows == []
    assert services.school_participation(other_lead, ALL_TIME).rows == []
    assert services.reviewer_agreement(other_lead, ALL_TIME).rows == []


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COACH, Role.DESIGNER, Role.HR])
def test_only_admins_and_program_leads_read_figures(program, role):
    user = factories.user(organization=program.org, roles={role})
    with pytest.raises(PermissionDenied):
        services.credential_outcomes(user, ALL_TIME)


def test_admins_read_the_same_figures(program):
    admin = factories.user(organization=program.org, roles={Role.ADMIN})
    assert services.credential_outcomes(admin, ALL_TIME).rows == services.credential_outcomes(program.lead, ALL_TIME).rows
