"""Every analytics route x every kind of visitor: admins and program leads only; the API only by token."""

from __future__ import annotations

import pytest

from tests import factories
from tests.support.access import ANALYTICS, TOKEN, VISITORS, check_access

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/analytics", ANALYTICS, "analytics.index"),
    ("GET", "/analytics/credentials", ANALYTICS, "analytics.dashboard"),
    ("GET", "/analytics/reviewers", ANALYTICS, "analytics.dashboard"),
    ("GET", "/analytics/impact", ANALYTICS, "analytics.dashboard"),
    ("GET", "/analytics/equity", ANALYTICS, "analytics.dashboard"),
    ("GET", "/analytics/credentials/outcomes.csv", ANALYTICS, "analytics.export"),
    ("GET", "/analytics/equity/coverage.csv", ANALYTICS, "analytics.export"),
    ("GET", "/api/v1/analytics/credentials", TOKEN, "api.get_analytics_dashboard"),
    ("GET", "/api/v1/analytics/reviewers/agreement", TOKEN, "api.get_analytics_table"),
    ("POST", "/analytics/refresh", ANALYTICS, "analytics.refresh"),
    ("POST", "/api/v1/analytics/refresh", TOKEN, "api.refresh_analytics"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[f"{m[3]}:{m[1]}" for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint):
    factories.micro_credential(org)
    check_access(app, org, visitor, method, url, access, factories)
