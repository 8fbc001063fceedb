"""The submissions API answers only bearer tokens: a browser session gets 401 everywhere."""

from __future__ import annotations

import pytest

from tests import factories
from tests.support.access import TOKEN, VISITORS, check_access

MATRIX = [
    ("GET", "/api/v1/submissions", TOKEN, "api.list_submissions"),
    ("POST", "/api/v1/submissions", TOKEN, "api.create_submission"),
    ("GET", "/api/v1/submissions/{submission_id}", TOKEN, "api.get_submission"),
    ("POST", "/api/v1/submissions/{submission_id}/artifacts", TOKEN, "api.add_artifact"),
    ("DELETE", "/api/v1/artifacts/{artifact_id}", TOKEN, "api.delete_artifact"),
    ("GET", "/api/v1/artifacts/{artifact_id}/download", TOKEN, "api.download_artifact"),
    ("POST", "/api/v1/submissions/{submission_id}/submit", TOKEN, "api.submit_submission"),
    ("POST", "/api/v1/submissions/{submission_id}/withdraw", TOKEN, "api.withdraw_submission"),
    ("POST", "/api/v1/submissions/{submission_id}/resubmit", TOKEN, "api.resubmit_submission"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_api_access(app, org, visitor, method, url, access, endpoint):
    from app.evidence import services

    credential = factories.micro_credential(org)
    teacher = factories.user(organization=org)
    submission = services.start_attempt(teacher=teacher, credential=credential)
    artifact = services.save_text(teacher=teacher, submission=submission, requirement=credential.requirements[0],
                                  text="evidence")
    from app.extensions import db

    db.session.commit()
    url = url.format(submission_id=submission.id, artifact_id=artifact.id)
    check_access(app, org, visitor, method, url, access, factories)
