"""Every Open Badges route x every kind of visitor.

Public documents answer everyone; the badge image page and the flag pages answer
the issuing organization's designers and admins (``AUTHOR``: others 403,
anonymous visitors to the login page); the award pages are for admins; the API
takes bearer tokens only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.credentials.openbadges import keys, services
from app.credentials.models import Award, KeyAlgorithm
from app.extensions import db
from tests import factories
from tests.credentials.openbadges.conftest import issue
from tests.support.access import ADMIN, ANON, PUBLIC, TOKEN, VISITORS, check_access

AUTHOR = "author"  # designers and admins of the issuing organization

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/ob/issuers/{org}", PUBLIC, "openbadges.issuer"),
    ("GET", "/ob/issuers/{org}/image.png", PUBLIC, "openbadges.issuer_image"),
    ("GET", "/ob/issuers/{org}/revocations", PUBLIC, "openbadges.revocation_list"),
    ("GET", "/ob/issuers/{org}/status", PUBLIC, "openbadges.status_list"),
    ("GET", "/ob/issuers/{org}/did.json", PUBLIC, "openbadges.issuer_did"),
    ("GET", "/.well-known/did.json", PUBLIC, "openbadges.platform_did"),
    ("GET", "/ob/keys/{kid}", PUBLIC, "openbadges.key"),
    ("GET", "/ob/badges/{credential}", PUBLIC, "openbadges.badge_class"),
    ("GET", "/ob/badges/{credential}/image.svg", PUBLIC, "openbadges.badge_image"),
    ("GET", "/ob/assertions/{uuid}", PUBLIC, "openbadges.assertion"),
    ("GET", "/ob/assertions/{uuid}/signed.png", PUBLIC, "openbadges.baked"),
    ("GET", "/ob/assertions/{uuid}/signed.jws", PUBLIC, "openbadges.signed_jws"),
    ("GET", "/ob/assertions/{uuid}/credential.json", PUBLIC, "openbadges.ob3_credential"),
    ("GET", "/ob/assertions/{uuid}/credential.jwt", PUBLIC, "openbadges.ob3_jwt"),
    ("GET", "/ob/assertions/{uuid}/evidence", PUBLIC, "openbadges.evidence"),
    ("GET", "/credentials/manage/{credential}/badge-image", AUTHOR, "openbadges.badge_image_edit"),
    ("POST", "/credentials/manage/{credential}/badge-image/clear", AUTHOR, "openbadges.badge_image_clear"),
    ("GET", "/credentials/manage/flagged-awards", AUTHOR, "openbadges.flagged_awards"),
    ("POST", "/credentials/manage/flagged-awards/{flagged}/keep", AUTHOR, "openbadges.keep_flagged_award"),
    ("GET", "/admin/awards", ADMIN, "openbadges.admin_awards"),
    ("GET", "/admin/awards/{award}", ADMIN, "openbadges.admin_award"),
    ("GET", "/api/v1/me/awards", TOKEN, "api.my_awards"),
    ("POST", "/api/v1/awards/{award}/revoke", TOKEN, "api.revoke_award"),
]


def _check_author(app, org, visitor, method, url):
    if visitor == ANON:
        client = app.test_client()
    else:
        client = app.test_client(user=factories.user(roles={Role(visitor)}, organization=org))
    response = client.open(url, method=method, data={} if method == "POST" else None)
    if visitor == ANON:
        assert response.status_code == 302 and "/login" in response.headers["Location"], response.status_code
    elif visitor in (Role.DESIGNER.value, Role.ADMIN.value):
        assert response.status_code in {200, 302}, (visitor, url, response.status_code)
    else:
        assert response.status_code == 403, (visitor, url, response.status_code)


def _targets(org, url, credential, teacher, admin) -> dict:
    """Only what the route's placeholders need (issuing is not free: keys, signatures, baking)."""
    values: dict = {"org": org.id, "credential": credential.id}
    if "{kid}" in url:
        values["kid"] = keys.active_key(org, KeyAlgorithm.RSA).kid
    if "{uuid}" in url or "{award}" in url:
        award = issue(teacher, credential)
        services.set_evidence_consent(award, teacher, True)
        values.update(uuid=award.uuid, award=award.id)
    if "{flagged}" in url:
        component = factories.micro_credential(org)
        factories.stack_credential(org, [component])
        piece = issue(teacher, component)
        services.revoke_award(admin=admin, award=piece, reason="for the flag")
        values["flagged"] = db.session.scalar(select(Award.id).where(Award.flagged_at.is_not(None)))
    db.session.commit()
    return values


# Visitors are looped inside one test per route: the targets are made once per route.
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, method, url, access, endpoint, credential, teacher, admin):
    template = url
    for visitor in VISITORS:
        url = template.format(**_targets(org, template, credential, teacher, admin)) if "{flagged}" in template \
            or visitor == VISITORS[0] else url
        if access == AUTHOR:
            _check_author(app, org, visitor, method, url)
        else:
            check_access(app, org, visitor, method, url, access, factories)
