"""The dashboards in the browser's shape: pages, filters, CSV, query counts; and the JSON API."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event

from app.accounts.models import Role
from app.extensions import db
from tests import factories
from tests.factories import PASSWORD

DASHBOARDS = ["credentials", "reviewers", "impact", "equity"]
ALL_TIME = "?start=&end="


@pytest.fixture
def lead_client(app, program):
    return app.test_client(user=program.lead)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args, **_kwargs):
        self.count += 1


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside the ``with`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting


@pytest.mark.parametrize("name", DASHBOARDS)
def test_each_dashboard_renders_charts_beside_tables(lead_client, name):
    response = lead_client.get(f"/analytics/{name}{ALL_TIME}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert "<caption" in html and "Download CSV" in html
    assert "style=" not in html  # the CSP forbids inline styles


def test_credentials_page_shows_the_figures(lead_client):
    html = lead_client.get(f"/analytics/credentials{ALL_TIME}").get_data(as_text=True)
    assert "Micro M" in html and "33.3" in html and "66.7" in html and "22.0" in html


def test_impact_page_carries_the_caveat(lead_client):
    html = lead_client.get(f"/analytics/impact{ALL_TIME}").get_data(as_text=True)
    assert "no comparison group" in html and "reported themselves" in html


def test_default_is_the_last_twelve_months(lead_client):
    html = lead_client.get("/analytics/credentials").get_data(as_text=True)
    assert 'name="start"' in html and 'value="20' in html


def test_bad_filters_show_next_to_the_field_and_never_fail(lead_client):
    response = lead_client.get("/analytics/credentials?start=2026-02-01&end=2026-01-01&school_id=abc")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="end-error"' in html and 'id="school_id-error"' in html
    assert lead_client.get("/analytics/nothing").status_code == 404
    assert lead_client.get("/analytics/credentials/nothing.csv").status_code == 404


@pytest.mark.parametrize("name", DASHBOARDS)
def test_query_count_per_dashboard_is_bounded_and_does_not_grow(app, program, lead_client, count_queries, name):
    db.session.remove()  # each request starts from an empty session, as in production
    with count_queries() as before:
        assert lead_client.get(f"/analytics/{name}{ALL_TIME}").status_code == 200
    more = factories.school(program.org, "Dogwood")
    for n in range(5):
        teacher = factories.user(organization=program.org, school=more)
        factories.submission(teacher, program.micro)
    db.session.remove()
    with count_queries() as after:
        assert lead_client.get(f"/analytics/{name}{ALL_TIME}").status_code == 200
    assert before.count <= 20, before.count  # the figures, plus one freshness check per summary-backed figure
    assert after.count == before.count


def test_csv_download_matches_the_table(lead_client):
    response = lead_client.get(f"/analytics/credentials/outcomes.csv{ALL_TIME}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Microcredential", "Enrolments", "Started, never submitted"]
    micro = next(row for row in rows if row[0] == "Micro M")
    assert micro[1:4] == ["4", "1", "25.0"]


@pytest.mark.parametrize("name,table", [("reviewers", "agreement"), ("impact", "measures"), ("equity", "coverage"),
                                        ("equity", "schools"), ("credentials", "criteria")])
def test_every_table_downloads(lead_client, name, table):
    response = lead_client.get(f"/analytics/{name}/{table}.csv{ALL_TIME}")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) >= 2


def test_navigation_links_analytics_for_leads_and_admins_only(app, program, org):
    assert "/analytics" in app.test_client(user=program.lead).get("/account").get_data(as_text=True)
    admin = factories.user(organization=org, roles={Role.ADMIN})
    assert 'href="/analytics"' in app.test_client(user=admin).get("/account").get_data(as_text=True)
    teacher = program.teachers["t1"]
    assert 'href="/analytics"' not in app.test_client(user=teacher).get("/account").get_data(as_text=True)


def _token(client, email):
    response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_api_gives_the_same_figures_to_a_program_lead(app, program):
    client = app.test_client()
    headers = _token(client, program.lead.email)
    response = client.get("/api/v1/analytics/credentials", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert [t["key"] for t in body["tables"]] == ["outcomes", "attempts", "criteria", "stacks"]
    table = client.get("/api/v1/analytics/credentials/outcomes?start=2026-01-01&end=2026-12-31", headers=headers)
    row = next(r for r in table.get_json()["rows"] if r["credential"] == "Micro M")
    assert row["enrollments"] == 4 and row["median_days_to_award"] == pytest.approx(22.0)
    assert {c["key"] for c in table.get_json()["columns"]} >= {"first_attempt_pass", "eventual_pass"}


def test_api_refuses_other_roles_and_bad_input(app, program):
    client = app.test_client()
    teacher = _token(client, program.teachers["t1"].email)
    assert client.get("/api/v1/analytics/credentials", headers=teacher).status_code == 403
    lead = _token(client, program.lead.email)
    bad = client.get("/api/v1/analytics/credentials?start=2026-02-01&end=2026-01-01", headers=lead)
    assert bad.status_code == 422 and "end" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/analytics/credentials?colour=red", headers=lead).status_code == 422
    assert client.get("/api/v1/analytics/credentials/nothing", headers=lead).status_code == 404
    assert client.get("/api/v1/analytics/nothing", headers=lead).status_code == 404
    assert client.get("/api/v1/analytics/credentials").status_code == 401


def test_the_page_shows_freshness_and_a_lead_can_refresh(app, program, lead_client):
    html = lead_client.get(f"/analytics/reviewers{ALL_TIME}").get_data(as_text=True)
    assert "the summaries have not been built yet" in html
    assert 'action="/analytics/refresh"' in html and 'name="full"' in html
    response = lead_client.post("/analytics/refresh", data={"dashboard": "reviewers", "full": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/analytics/reviewers")
    html = lead_client.get(f"/analytics/reviewers{ALL_TIME}", follow_redirects=True).get_data(as_text=True)
    assert "Figures as of" in html and "Analytics summaries refreshed (full" in html or "Figures as of" in html
    # Calibration is never summarised: the note names it, and only it.
    assert "; computed live: Calibration." in html
    birch = program.schools["Birch"].id
    school = lead_client.get(f"/analytics/reviewers?school_id={birch}").get_data(as_text=True)
    assert "The figures below are computed live for the school chosen (summaries last refreshed" in school
    # Participation reads the summaries for one school too; the coverage grid is live.
    equity = lead_client.get(f"/analytics/equity?school_id={birch}").get_data(as_text=True)
    assert "Figures as of" in equity
    assert "; computed live for the school chosen: Competency coverage by school." in equity


def test_refresh_needs_the_csrf_token(make_app, program):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client(user=program.lead)
    response = client.post("/analytics/refresh", data={"dashboard": "credentials"})
    assert response.status_code in (302, 400)
    from app.analytics.summaries import summary_status

    with app.app_context():
        assert summary_status().refreshed_at is None


def test_api_refreshes_and_reports_freshness(app, program):
    client = app.test_client()
    headers = _token(client, program.lead.email)
    before = client.get("/api/v1/analytics/reviewers", headers=headers).get_json()
    assert before["refreshed_at"] is None and before["summarised"] is False
    response = client.post("/api/v1/analytics/refresh", json={"full": True}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["kind"] == "full"
    after = client.get("/api/v1/analytics/reviewers", headers=headers).get_json()
    assert after["refreshed_at"] is not None and after["summarised"] is True
    assert {t["key"]: t["summarised"] for t in after["tables"]} == {
        "turnaround": True, "spread": True, "load": True, "agreement": True, "calibration": False}
    school = client.get(f"/api/v1/analytics/equity?school_id={program.schools['Birch'].id}", headers=headers).get_json()
    assert school["summarised"] is True
    assert {t["key"]: t["summarised"] for t in school["tables"]} == {"schools": True, "coverage": False}
    framework = client.get(f"/api/v1/analytics/equity?framework_id={program.framework.id}", headers=headers).get_json()
    assert framework["summarised"] is False and not any(t["summarised"] for t in framework["tables"])
    assert client.post("/api/v1/analytics/refresh", json={"colour": 1}, headers=headers).status_code == 422
    teacher = _token(client, program.teachers["t1"].email)
    assert client.post("/api/v1/analytics/refresh", json={}, headers=teacher).status_code == 403
