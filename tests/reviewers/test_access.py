"""Every review route x every kind of visitor.

Routes that name an assignment are tried on someone else's (a peer's): nobody
else, admins included, may open or change it. The inline PDF follows the
evidence rule (admins may read, others 403).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.credentials.models import RequirementKind
from app.evidence import services as evidence
from app.extensions import db
from app.reviewers.models import Assignment
from tests import factories
from tests.evidence.conftest import pdf_bytes
from tests.reviewers.conftest import fill_and_submit
from tests.support.access import LOGGED_IN, OWNER_READ, OWNER_WRITE, TOKEN, VISITORS, check_access, roles

# (method, url, access, endpoint)
MATRIX = [
    ("GET", "/reviews", LOGGED_IN, "reviewers.queue"),
    ("GET", "/reviews/assignments/{assignment}", OWNER_WRITE, "reviewers.assignment"),
    ("POST", "/reviews/assignments/{assignment}", OWNER_WRITE, "reviewers.save_review"),
    ("POST", "/reviews/assignments/{assignment}/decline", OWNER_WRITE, "reviewers.decline"),
    ("POST", "/reviews/assignments/{assignment}/close", OWNER_WRITE, "reviewers.close_coaching"),
    ("GET", "/reviews/artifacts/{pdf}/inline", OWNER_READ, "reviewers.inline_pdf"),
    ("GET", "/reviews/oversight", roles(Role.COACH), "reviewers.oversight"),
    ("POST", "/reviews/submissions/{submission}/assign", OWNER_READ, "reviewers.assign_again"),
    ("POST", "/reviews/submissions/{submission}/take", OWNER_WRITE, "reviewers.take"),
    ("GET", "/reviews/qualifications", roles(Role.DESIGNER), "reviewers.qualifications"),
    ("POST", "/reviews/qualifications", roles(Role.DESIGNER), "reviewers.grant"),
    ("POST", "/reviews/qualifications/{qualification}/revoke", roles(Role.DESIGNER), "reviewers.revoke"),
    ("GET", "/reviews/calibration/{slug}", LOGGED_IN, "reviewers.calibration"),
    ("POST", "/reviews/calibration/{slug}", LOGGED_IN, "reviewers.calibrate"),
    ("GET", "/reviews/agreement", roles(Role.DESIGNER, Role.COACH), "reviewers.agreement_page"),
    ("GET", "/notifications", LOGGED_IN, "reviewers.notifications"),
    ("POST", "/notifications/read", LOGGED_IN, "reviewers.mark_read"),
    ("GET", "/api/v1/assignments", TOKEN, "api.list_assignments"),
    ("GET", "/api/v1/assignments/{assignment}", TOKEN, "api.get_assignment"),
    ("POST", "/api/v1/assignments/{assignment}/review", TOKEN, "api.post_review"),
    ("POST", "/api/v1/assignments/{assignment}/decline", TOKEN, "api.decline_assignment"),
]


@pytest.fixture
def targets(world):
    file_part = next(r for r in world.credential.requirements if r.kind is RequirementKind.FILE)
    file_part.max_files = 2
    db.session.commit()
    draft = evidence.start_attempt(teacher=world.teacher, credential=world.credential)
    pdf = evidence.add_file(teacher=world.teacher, submission=draft, requirement=file_part, filename="plan.pdf",
                            stream=io.BytesIO(pdf_bytes()))
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential, draft)
    assignment = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)).first()
    qualification = factories.qualification(world.peers[0], credential=world.credential)
    return {"assignment": assignment.id, "pdf": pdf.id, "submission": submission.id,
            "qualification": qualification.id, "slug": world.credential.slug}


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_access(app, org, visitor, method, url, access, endpoint, targets):
    check_access(app, org, visitor, method, url.format(**targets), access, factories)
