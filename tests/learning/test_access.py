"""Every learning route x every kind of visitor.

A fresh user is enrolled in nothing, so the module pages send her back to the
credential page (302); starting a credential enrolls her and redirects too.
"""

from __future__ import annotations

import pytest

from tests import factories
from tests.support.access import LOGGED_IN, VISITORS, check_access

# (method, url, access, endpoint)
MATRIX = [
    ("POST", "/credentials/{slug}/start", LOGGED_IN, "learning.start"),
    ("GET", "/learn/{slug}", LOGGED_IN, "learning.module"),
    ("POST", "/learn/{slug}/goal", LOGGED_IN, "learning.goal"),
    ("POST", "/learn/{slug}/leave", LOGGED_IN, "learning.leave"),
    ("GET", "/learn/{slug}/sections/{section_id}", LOGGED_IN, "learning.section"),
    ("POST", "/learn/{slug}/sections/{section_id}/done", LOGGED_IN, "learning.section_done"),
    ("POST", "/learn/{slug}/sections/{section_id}/undone", LOGGED_IN, "learning.section_undone"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint):
    credential = factories.micro_credential(org)
    url = url.format(slug=credential.slug, section_id=credential.module.sections[0].id)
    check_access(app, org, visitor, method, url, access, factories)
