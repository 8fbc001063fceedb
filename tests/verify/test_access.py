"""Every verification route x every kind of visitor.

/verify and its receipt download answer anyone; rosters are for HR officers and
admins (others 403, anonymous visitors to the login page), and a roster's
results only for whoever uploaded it (another HR officer gets 404); the bulk
API needs a bearer token.
"""

from __future__ import annotations

import io

import pytest

from app.accounts.models import Role
from app.verify import services
from tests import factories
from tests.support.access import ANON, ANY_POST, PUBLIC, TOKEN, VISITORS, check_access, roles

OWN_ROSTER = "own_roster"  # HR and admins see their own results (others' 404); others 403; anonymous to login

MATRIX = [
    ("GET", "/verify", PUBLIC, "verify.index"),
    ("POST", "/verify", ANY_POST, "verify.index"),
    ("POST", "/verify/receipt", ANY_POST, "verify.receipt_download"),
    ("GET", "/verify/rosters", roles(Role.HR), "verify.rosters"),
    ("POST", "/verify/rosters", roles(Role.HR), "verify.rosters"),
    ("GET", "/verify/rosters/{token}", OWN_ROSTER, "verify.roster"),
    ("GET", "/verify/rosters/{token}.csv", OWN_ROSTER, "verify.roster_csv"),
    ("GET", "/verify/rosters/{token}/receipt.jws", OWN_ROSTER, "verify.roster_receipt"),
    ("POST", "/api/v1/verify", ANY_POST, "api.verify"),
    ("POST", "/api/v1/verify/bulk", TOKEN, "api.verify_bulk"),
]


@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[f"{m[0]} {m[3]}" for m in MATRIX])
def test_access(app, org, method, url, access, endpoint):
    if access != OWN_ROSTER:
        for visitor in VISITORS:
            check_access(app, org, visitor, method, url, access, factories)
        return
    owner = factories.user(roles={Role.HR}, organization=org)
    roster = services.verify_roster(verifier=owner, items=[services.RosterItem(1, "x")])
    target = url.format(token=services.store_roster(verifier=owner, roster=roster))
    assert app.test_client(user=owner).get(target).status_code == 200
    for visitor in VISITORS:
        if visitor == ANON:
            response = app.test_client().get(target)
            assert response.status_code == 302 and "/login" in response.headers["Location"]
            continue
        response = app.test_client(user=factories.user(roles={Role(visitor)}, organization=org)).get(target)
        expected = 404 if visitor in (Role.HR.value, Role.ADMIN.value) else 403
        assert response.status_code == expected, (visitor, target, response.status_code)


def test_post_verify_with_nothing_is_422_for_everyone(client):
    assert client.post("/verify", data={}).status_code == 422
    assert client.post("/api/v1/verify", data={"file": (io.BytesIO(b""), "")},
                       content_type="multipart/form-data").status_code == 422
