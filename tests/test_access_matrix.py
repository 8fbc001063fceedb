"""Every route x every kind of visitor, for the routes of the foundation.

Each domain package with routes of its own keeps its rows in
``tests/<domain>/test_access.py`` (a ``MATRIX`` list); the completeness test
below gathers them all and fails when a route of the app is in none.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests
from app.accounts.models import EmailAddress
from app.extensions import db
from tests import factories
from tests.support.access import (
    ADMIN,
    ANY_POST,
    GUEST_ONLY,
    LOGGED_IN,
    NOT_MINE,
    PUBLIC,
    TOKEN,
    UNKNOWN_LINK,
    VISITORS,
    check_access,
)

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/", PUBLIC, "main.index"),
    ("GET", "/healthz", PUBLIC, "main.healthz"),
    ("GET", "/login", GUEST_ONLY, "accounts.login"),
    ("GET", "/register", GUEST_ONLY, "accounts.register"),
    ("POST", "/logout", LOGGED_IN, "accounts.logout"),
    ("GET", "/account", LOGGED_IN, "accounts.account"),
    ("GET", "/account/emails", LOGGED_IN, "accounts.emails"),
    ("POST", "/account/emails", LOGGED_IN, "accounts.emails"),
    ("POST", "/account/emails/{address_id}/resend", NOT_MINE, "accounts.email_resend"),
    ("POST", "/account/emails/{address_id}/remove", NOT_MINE, "accounts.email_remove"),
    ("POST", "/account/emails/{address_id}/primary", NOT_MINE, "accounts.email_primary"),
    ("GET", "/account/emails/confirm/{token}", UNKNOWN_LINK, "accounts.confirm_email"),
    ("GET", "/admin/users", ADMIN, "accounts.admin_users"),
    ("POST", "/admin/users/new", ADMIN, "accounts.admin_user_create"),
    ("GET", "/admin/users/{user_id}", ADMIN, "accounts.admin_user"),
    ("POST", "/admin/invites", ADMIN, "accounts.admin_invite_create"),
    ("GET", "/credentials", PUBLIC, "credentials.catalog"),
    ("GET", "/credentials/{slug}", PUBLIC, "credentials.detail"),
    ("GET", "/api/v1/openapi.json", PUBLIC, "api-docs.openapi_json"),
    ("POST", "/api/v1/tokens", ANY_POST, "api.create_token"),
    ("GET", "/api/v1/me", TOKEN, "api.me"),
    ("GET", "/api/v1/me/emails", TOKEN, "api.list_emails"),
    ("POST", "/api/v1/me/emails", TOKEN, "api.add_email"),
    ("POST", "/api/v1/me/emails/{address_id}/resend", TOKEN, "api.resend_email"),
    ("POST", "/api/v1/me/emails/confirm", TOKEN, "api.confirm_email"),
    ("POST", "/api/v1/me/emails/{address_id}/primary", TOKEN, "api.make_email_primary"),
    ("DELETE", "/api/v1/me/emails/{address_id}", TOKEN, "api.delete_email"),
    ("GET", "/api/v1/credentials", PUBLIC, "api.list_credentials"),
    ("GET", "/api/v1/credentials/{credential_id}", PUBLIC, "api.get_credential"),
]


def _all_matrices() -> list[tuple]:
    rows = list(MATRIX)
    for module_info in pkgutil.walk_packages(tests.__path__, "tests."):
        if module_info.name.endswith(".test_access"):
            rows.extend(importlib.import_module(module_info.name).MATRIX)
    return rows


def test_every_route_is_in_a_matrix(app):
    covered = {endpoint for *_, endpoint in _all_matrices()}
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert routes - covered == set(), "add these routes to a MATRIX with their expected access"


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint):
    credential = factories.micro_credential(org)
    target = factories.user(organization=org)
    address = EmailAddress(user=target, email=f"home-{target.id}@example.net")
    db.session.add(address)
    db.session.commit()
    url = url.format(user_id=target.id, slug=credential.slug, credential_id=credential.id, address_id=address.id,
                     token="no-such-link-secret")
    check_access(app, org, visitor, method, url, access, factories)
