"""Two reviewers send the final reviews at the same moment: exactly one decision, at most one award.

Real concurrent requests: two threads, each posting through its own test client (its own
app context, session and database connection), released together by a barrier. A second
barrier holds each request just before it decides (its review written, not committed), so
without the row lock both would decide on what they see; with it the second waits for the
first to commit (the barrier then times out for the first) and decides on both reviews.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.credentials.models import Award
from app.extensions import db
from app.reviewers import services
from app.reviewers.models import Assignment, Decision
from tests.reviewers.conftest import fill_and_submit
from tests.reviewers.test_blind_and_api import _token


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_final_reviews_decide_once(app, world, db_backend, round_, monkeypatch):
    if db_backend != "postgresql":
        pytest.skip("SQLite serialises writers, so there is no race to test; this runs with --db=postgresql")
    submission = fill_and_submit(world.teacher, world.credential)
    assignments = db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id)).all()
    criteria = world.credential.rubric.criteria
    body = {"scores": [{"criterion_id": c.id, "level_id": c.levels[2].id, "comment": ""} for c in criteria],
            "feedback": "Clear evidence."}
    # Both saved drafts earlier, so the attempt is already in review: nothing else in the
    # final requests touches the submission row, and only the lock orders them.
    for assignment in assignments:
        services.record_review(reviewer=assignment.reviewer, assignment=assignment, scores=[], feedback="",
                               submit=False)
    db.session.commit()
    requests = [(a.id, _token(a.reviewer)) for a in assignments]
    submission_id = submission.id
    db.session.remove()
    barrier = threading.Barrier(len(requests))
    before_deciding = threading.Barrier(len(requests))
    statuses: list[int] = []
    decide = services.decide_submission

    def held_decide(*args, **kwargs):
        try:
            before_deciding.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other request is waiting for this one's lock
        return decide(*args, **kwargs)

    monkeypatch.setattr(services, "decide_submission", held_decide)

    def send(assignment_id, headers):
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(f"/api/v1/assignments/{assignment_id}/review", headers=headers, json=body).status_code)

    threads = [threading.Thread(target=send, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [201, 201]
    assert db.session.scalar(select(func.count(Decision.id)).where(Decision.submission_id == submission_id)) == 1
    assert db.session.scalar(select(func.count(Award.id)).where(Award.submission_id == submission_id)) == 1
