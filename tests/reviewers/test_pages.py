"""The review pages: who manages reviewers, the inline PDF, and bounded query counts."""

from __future__ import annotations

import io
from contextlib import contextmanager

from sqlalchemy import event, select

from app.accounts.models import Role
from app.credentials.models import RequirementKind
from app.evidence import services as evidence
from app.extensions import db
from app.reviewers.models import Assignment, Notification, Qualification, ReviewerRole
from tests import factories
from tests.evidence.conftest import pdf_bytes
from tests.reviewers.conftest import fill_and_submit, review


@contextmanager
def count_queries():
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_designer_grants_and_withdraws_within_her_organization(app, world):
    designer = factories.user(roles={Role.DESIGNER}, organization=world.org)
    newcomer = factories.user(organization=world.org, email="newpeer@example.org")
    client = app.test_client(user=designer)
    page = client.get("/reviews/qualifications").get_data(as_text=True)
    assert world.credential.name in page
    missing = client.post("/reviews/qualifications", data={"email": "nobody@example.org", "role": "peer",
                                                            "scope": f"credential:{world.credential.id}"})
    assert missing.status_code == 422 and "Nobody has an account" in missing.get_data(as_text=True)
    coach_refused = client.post("/reviews/qualifications", data={"email": newcomer.email, "role": "coach",
                                                                  "scope": f"credential:{world.credential.id}"})
    assert coach_refused.status_code == 422 and "coach role" in coach_refused.get_data(as_text=True)
    granted = client.post("/reviews/qualifications", data={"email": newcomer.email, "role": "peer",
                                                           "scope": f"credential:{world.credential.id}"})
    assert granted.status_code == 302
    row = db.session.scalar(select(Qualification).where(Qualification.user_id == newcomer.id))
    assert row.role is ReviewerRole.PEER and row.active
    assert client.post(f"/reviews/qualifications/{row.id}/revoke").status_code == 302
    db.session.expire_all()
    assert not row.active
    # A designer of another organization sees none of it and cannot withdraw it.
    outsider = factories.user(roles={Role.DESIGNER}, organization=factories.organization())
    other = app.test_client(user=outsider)
    assert newcomer.email not in other.get("/reviews/qualifications").get_data(as_text=True)
    assert other.post(f"/reviews/qualifications/{row.id}/revoke").status_code == 403
    foreign_scope = other.post("/reviews/qualifications", data={"email": newcomer.email, "role": "peer",
                                                                 "scope": f"credential:{world.credential.id}"})
    assert foreign_scope.status_code == 422  # not among her choices


def test_pdf_opens_inline_framed_by_this_site_only(app, world):
    part = next(r for r in world.credential.requirements if r.kind is RequirementKind.FILE)
    part.max_files = 2
    db.session.commit()
    draft = evidence.start_attempt(teacher=world.teacher, credential=world.credential)
    pdf = evidence.add_file(teacher=world.teacher, submission=draft, requirement=part, filename="plan.pdf",
                            stream=io.BytesIO(pdf_bytes()))
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential, draft)
    assignment = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)).first()
    client = app.test_client(user=assignment.reviewer)
    page = client.get(f"/reviews/assignments/{assignment.id}").get_data(as_text=True)
    assert f"/reviews/artifacts/{pdf.id}/inline" in page and "<iframe" in page
    response = client.get(f"/reviews/artifacts/{pdf.id}/inline")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    png = next(a for a in submission.artifacts if a.content_type == "image/png")
    assert client.get(f"/reviews/artifacts/{png.id}/inline").status_code == 404


def _queue_queries(app, reviewer) -> int:
    client = app.test_client(user=reviewer)
    client.get("/reviews")  # warm up (user loading, templates)
    with count_queries() as statements:
        assert client.get("/reviews").status_code == 200
    return len(statements)


def test_queue_and_scoring_page_queries_do_not_grow(app, world):
    peer = world.peers[0]
    submission = fill_and_submit(world.teacher, world.credential)
    few = _queue_queries(app, peer)
    for _ in range(4):
        teacher = factories.user(organization=world.org, school=world.school_a)
        other = fill_and_submit(teacher, world.credential)
        for assignment in db.session.scalars(select(Assignment).where(Assignment.submission_id == other.id)):
            if assignment.reviewer_id != peer.id:
                continue
            review(assignment, 2)
    extra = factories.micro_credential(world.org)
    factories.qualification(peer, credential=extra, role=ReviewerRole.PEER)
    assert _queue_queries(app, peer) <= few
    assignment = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id,
                                                             Assignment.reviewer_id == peer.id)).first()
    if assignment is None:  # the least-loaded rule gave it to the others
        assignment = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)).first()
    client = app.test_client(user=assignment.reviewer)
    client.get(f"/reviews/assignments/{assignment.id}")
    with count_queries() as statements:
        assert client.get(f"/reviews/assignments/{assignment.id}").status_code == 200
    assert len(statements) <= 25


def test_notifications_page_and_mark_read(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    reviewer = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)).first().reviewer
    client = app.test_client(user=reviewer)
    body = client.get("/notifications").get_data(as_text=True)
    assert "New review: Exit Tickets" in body and "Mark all 1 read" in body
    assert client.post("/notifications/read").status_code == 302
    assert db.session.scalar(select(Notification.read_at).where(Notification.user_id == reviewer.id)) is not None
