"""Every route x every kind of visitor. A new route fails test_every_route_is_in_the_matrix
until it is given its expected access here."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests import factories

ANON = "anonymous"
VISITORS = [ANON, *[r.value for r in Role]]

PUBLIC = "public"  # anyone, no login
LOGGED_IN = "logged_in"  # any logged-in user; anonymous is sent to the login page
ADMIN = "admin"  # admins only; others 403, anonymous to the login page
GUEST_ONLY = "guest_only"  # login/register: logged-in users are redirected home
TOKEN = "token"  # API: bearer token required, the session cookie is ignored
ANY_POST = "any_post"  # POST endpoints answering everyone (validation decides)

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/", PUBLIC, "main.index"),
    ("GET", "/healthz", PUBLIC, "main.healthz"),
    ("GET", "/login", GUEST_ONLY, "accounts.login"),
    ("GET", "/register", GUEST_ONLY, "accounts.register"),
    ("POST", "/logout", LOGGED_IN, "accounts.logout"),
    ("GET", "/account", LOGGED_IN, "accounts.account"),
    ("GET", "/admin/users", ADMIN, "accounts.admin_users"),
    ("POST", "/admin/users/new", ADMIN, "accounts.admin_user_create"),
    ("GET", "/admin/users/{user_id}", ADMIN, "accounts.admin_user"),
    ("POST", "/admin/invites", ADMIN, "accounts.admin_invite_create"),
    ("GET", "/credentials", PUBLIC, "credentials.catalog"),
    ("GET", "/credentials/{slug}", PUBLIC, "credentials.detail"),
    ("GET", "/api/v1/openapi.json", PUBLIC, "api-docs.openapi_json"),
    ("POST", "/api/v1/tokens", ANY_POST, "api.create_token"),
    ("GET", "/api/v1/me", TOKEN, "api.me"),
    ("GET", "/api/v1/credentials", PUBLIC, "api.list_credentials"),
    ("GET", "/api/v1/credentials/{credential_id}", PUBLIC, "api.get_credential"),
]


def test_every_route_is_in_the_matrix(app):
    covered = {endpoint for *_, endpoint in MATRIX}
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert routes - covered == set(), "add these routes to MATRIX with their expected access"


def _expected(access: str, visitor: str) -> set[int]:
    anonymous = visitor == ANON
    if access == PUBLIC:
        return {200}
    if access == LOGGED_IN:
        return {302} if anonymous else {200, 302}
    if access == ADMIN:
        if anonymous:
            return {302}
        return {200, 302, 422} if visitor == Role.ADMIN.value else {403}
    if access == GUEST_ONLY:
        return {200} if anonymous else {302}
    if access == TOKEN:
        return {401}  # a browser session is not an API credential
    if access == ANY_POST:
        return {422}
    raise AssertionError(access)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint):
    credential = factories.micro_credential(org)
    target = factories.user(organization=org)
    url = url.format(user_id=target.id, slug=credential.slug, credential_id=credential.id)
    if visitor == ANON:
        client = app.test_client()
    else:
        client = app.test_client(user=factories.user(roles={Role(visitor)}, organization=org))
    response = client.open(url, method=method, data={} if method == "POST" else None)
    assert response.status_code in _expected(access, visitor), (visitor, method, url, response.status_code)
    if response.status_code == 302 and visitor == ANON and access in {LOGGED_IN, ADMIN}:
        assert "/login" in response.headers["Location"]
