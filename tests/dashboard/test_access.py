"""Every dashboard route x every kind of visitor."""

from __future__ import annotations

import pytest

from tests import factories
from tests.support.access import LOGGED_IN, VISITORS, check_access

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/dashboard", LOGGED_IN, "dashboard.index"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint):
    factories.micro_credential(org)
    check_access(app, org, visitor, method, url, access, factories)
