"""Every portfolio route x every kind of visitor, and the owner on the routes only she may use.

A teacher's own pages answer any logged-in user for herself (``LOGGED_IN``); one award's page,
its switches and her collections answer only their owner (``OWNER_WRITE``: anyone else, admins
included, 403; anonymous visitors to the login page). The public profile and the embed answer
everyone; the API takes bearer tokens only.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.portfolio import services
from tests import factories
from tests.portfolio.conftest import issue
from tests.support.access import LOGGED_IN, OWNER_WRITE, PUBLIC, TOKEN, VISITORS, check_access

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/portfolio", LOGGED_IN, "portfolio.index"),
    ("POST", "/portfolio/profile", LOGGED_IN, "portfolio.profile"),
    ("POST", "/portfolio/collections", LOGGED_IN, "portfolio.collection_create"),
    ("GET", "/portfolio/export", LOGGED_IN, "portfolio.export_all"),
    ("GET", "/portfolio/awards/{award}", OWNER_WRITE, "portfolio.award"),
    ("POST", "/portfolio/awards/{award}/visibility", OWNER_WRITE, "portfolio.award_visibility"),
    ("POST", "/portfolio/awards/{award}/consent", OWNER_WRITE, "portfolio.award_consent"),
    ("POST", "/portfolio/awards/{award}/collections", OWNER_WRITE, "portfolio.award_collections"),
    ("GET", "/portfolio/collections/{collection}", OWNER_WRITE, "portfolio.collection"),
    ("POST", "/portfolio/collections/{collection}/move", OWNER_WRITE, "portfolio.collection_move"),
    ("POST", "/portfolio/collections/{collection}/awards/{award}", OWNER_WRITE, "portfolio.collection_item"),
    ("POST", "/portfolio/collections/{collection}/delete", OWNER_WRITE, "portfolio.collection_delete"),
    ("GET", "/u/{handle}", PUBLIC, "portfolio.public_profile"),
    ("GET", "/embed/awards/{uuid}", PUBLIC, "portfolio.embed"),
    ("GET", "/api/v1/me/portfolio", TOKEN, "api.get_portfolio"),
    ("PATCH", "/api/v1/me/portfolio", TOKEN, "api.update_portfolio"),
    ("POST", "/api/v1/me/portfolio/collections", TOKEN, "api.create_collection"),
    ("GET", "/api/v1/me/portfolio/collections/{collection}", TOKEN, "api.get_collection"),
    ("PATCH", "/api/v1/me/portfolio/collections/{collection}", TOKEN, "api.update_collection"),
    ("DELETE", "/api/v1/me/portfolio/collections/{collection}", TOKEN, "api.delete_collection"),
    ("PATCH", "/api/v1/me/portfolio/awards/{award}", TOKEN, "api.update_portfolio_award"),
    ("GET", "/api/v1/me/export", TOKEN, "api.export_portfolio"),
]


@pytest.fixture
def targets(teacher, credential):
    award = issue(teacher, credential)
    collection = services.create_collection(teacher=teacher, name="Mine", award_ids=[award.id])
    services.update_profile(teacher=teacher, handle="rosa", enabled=True)
    services.set_award_visibility(teacher=teacher, award=award, visible=True)
    db.session.commit()
    return {"award": award.id, "uuid": award.uuid, "collection": collection.id, "handle": "rosa"}


# Visitors are looped inside one test per route: issuing the award is the slow part.
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, method, url, access, endpoint, targets):
    for visitor in VISITORS:
        check_access(app, org, visitor, method, url.format(**targets), access, factories)


OWNER_ROUTES = [row for row in MATRIX if row[2] == OWNER_WRITE]


@pytest.mark.parametrize("method,url,access,endpoint", OWNER_ROUTES, ids=[m[3] for m in OWNER_ROUTES])
def test_the_owner_may(app, teacher, method, url, access, endpoint, targets):
    client = app.test_client(user=teacher)
    response = client.open(url.format(**targets), method=method, data={} if method == "POST" else None)
    assert response.status_code in {200, 302}, (endpoint, response.status_code)
