"""The access-matrix machinery shared by every domain's ``test_access.py``.

Each domain lists its routes as ``MATRIX`` rows ``(method, url, access, endpoint)``;
``url`` may use ``{placeholders}`` that the domain's ``targets`` fixture fills.
``tests/test_access_matrix.py`` fails when any route of the app is in no matrix.
"""

from __future__ import annotations

from app.accounts.models import Role

ANON = "anonymous"
VISITORS = [ANON, *[r.value for r in Role]]

PUBLIC = "public"  # anyone, no login
LOGGED_IN = "logged_in"  # any logged-in user; anonymous is sent to the login page
ADMIN = "admin"  # admins only; others 403, anonymous to the login page
ANALYTICS = "analytics"  # admins and program leads (analyst); others 403, anonymous to the login page
GUEST_ONLY = "guest_only"  # login/register: logged-in users are redirected home
TOKEN = "token"  # API: bearer token required, the session cookie is ignored
ANY_POST = "any_post"  # POST endpoints answering everyone (validation decides)
OWNER_READ = "owner_read"  # someone else's evidence: admins may read, everyone else 403
OWNER_WRITE = "owner_write"  # someone else's evidence: only its owner may change it, admins included 403
AUTHOR = "author"  # catalog authoring: designers and admins of the organization; others 403
NOT_MINE = "not_mine"  # someone else's private object addressed by id: anonymous to login, everyone else 404
UNKNOWN_LINK = "unknown_link"  # a mailed link with a secret that does not exist: 404 for everyone


def roles(*names: Role) -> str:
    """Only these roles (and admins) may use the route; others 403, anonymous to the login page."""
    return "roles:" + ",".join(sorted({r.value for r in names} | {Role.ADMIN.value}))


def expected_statuses(access: str, visitor: str) -> set[int]:
    """The statuses a visitor may get for a route with this access rule."""
    anonymous = visitor == ANON
    if access == PUBLIC:
        return {200}
    if access == LOGGED_IN:
        return {302} if anonymous else {200, 302, 422}
    if access == ADMIN:
        if anonymous:
            return {302}
        return {200, 302, 422} if visitor == Role.ADMIN.value else {403}
    if access == ANALYTICS:
        if anonymous:
            return {302}
        return {200, 302} if visitor in (Role.ADMIN.value, Role.ANALYST.value) else {403}
    if access == AUTHOR:
        if anonymous:
            return {302}
        return {200, 302, 400, 409, 422} if visitor in (Role.DESIGNER.value, Role.ADMIN.value) else {403}
    if access == GUEST_ONLY:
        return {200} if anonymous else {302}
    if access == TOKEN:
        return {401}  # a browser session is not an API credential
    if access == ANY_POST:
        return {422}
    if access.startswith("roles:"):
        if anonymous:
            return {302}
        return {200, 302, 422} if visitor in access.removeprefix("roles:").split(",") else {403}
    if access == NOT_MINE:
        return {302} if anonymous else {404}
    if access == UNKNOWN_LINK:
        return {404}
    if access in (OWNER_READ, OWNER_WRITE):
        if anonymous:
            return {302}
        if access == OWNER_READ and visitor == Role.ADMIN.value:
            return {200, 302}
        return {403}
    raise AssertionError(f"unknown access rule {access!r}")


def check_access(app, org, visitor: str, method: str, url: str, access: str, factories) -> None:
    """Request ``url`` as ``visitor`` and assert the status the rule allows."""
    if visitor == ANON:
        client = app.test_client()
    else:
        client = app.test_client(user=factories.user(roles={Role(visitor)}, organization=org))
    response = client.open(url, method=method, data={} if method == "POST" else None)
    assert response.status_code in expected_statuses(access, visitor), (visitor, method, url, response.status_code)
    if response.status_code == 302 and visitor == ANON and (
        access in {LOGGED_IN, ADMIN, ANALYTICS, AUTHOR, OWNER_READ, OWNER_WRITE, NOT_MINE} or access.startswith("roles:")
    ):
        assert "/login" in response.headers["Location"]
