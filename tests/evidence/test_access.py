"""Every evidence route x every kind of visitor.

The routes that name an attempt or an artifact are tried on someone else's
(the draft of a teacher who is not the visitor, with a file uploaded):
admins may read it, nobody but its owner may change it. Starting an attempt
and the attempt history answer any logged-in user about her own attempts.
"""

from __future__ import annotations

import io

import pytest

from app.evidence import services
from app.extensions import db
from tests import factories
from tests.evidence.conftest import png_bytes
from tests.support.access import LOGGED_IN, OWNER_READ, OWNER_WRITE, VISITORS, check_access

# (method, url, access, endpoint)
MATRIX = [
    ("POST", "/credentials/{slug}/evidence", LOGGED_IN, "evidence.start"),
    ("GET", "/credentials/{slug}/attempts", LOGGED_IN, "evidence.history"),
    ("GET", "/submissions/{submission}", OWNER_READ, "evidence.edit"),
    ("POST", "/submissions/{submission}/text/{text}", OWNER_WRITE, "evidence.save_text"),
    ("POST", "/submissions/{submission}/links/{link}", OWNER_WRITE, "evidence.add_link"),
    ("POST", "/submissions/{submission}/data/{data}", OWNER_WRITE, "evidence.save_data"),
    ("POST", "/submissions/{submission}/files/{file}", OWNER_WRITE, "evidence.upload_file"),
    ("POST", "/submissions/{submission}/change-note", OWNER_WRITE, "evidence.save_change_note"),
    ("POST", "/submissions/{submission}/autosave", OWNER_WRITE, "evidence.autosave"),
    ("POST", "/submissions/{submission}/submit", OWNER_WRITE, "evidence.submit"),
    ("POST", "/submissions/{submission}/withdraw", OWNER_WRITE, "evidence.withdraw"),
    ("POST", "/submissions/{submission}/resubmit", OWNER_WRITE, "evidence.resubmit"),
    ("POST", "/artifacts/{artifact}/delete", OWNER_WRITE, "evidence.delete_artifact"),
    ("GET", "/artifacts/{artifact}/download", OWNER_READ, "evidence.download"),
    ("GET", "/artifacts/{artifact}/thumbnail", OWNER_READ, "evidence.thumbnail"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint, credential, parts, teacher, draft):
    artifact = services.add_file(
        teacher=teacher, submission=draft, requirement=parts.file, filename="board.png", stream=io.BytesIO(png_bytes())
    )
    db.session.commit()
    url = url.format(
        slug=credential.slug, submission=draft.id, artifact=artifact.id,
        text=parts.text.id, link=parts.link.id, data=parts.data.id, file=parts.file.id,
    )
    check_access(app, org, visitor, method, url, access, factories)
