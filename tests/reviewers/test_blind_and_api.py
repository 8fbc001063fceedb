"""Blind review: a peer reaches neither the teacher's identity nor others' scores before her own
is in, through the pages or the API; the API carries the reviewer's whole part of the contract."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.auth import hash_token
from app.accounts.models import ApiToken
from app.db import utcnow
from app.extensions import db
from app.reviewers.models import Assignment, AssignmentStatus, ReviewerRole
from tests.reviewers.conftest import fill_and_submit, review


def _token(user, scopes=("read", "write")) -> dict:
    from datetime import timedelta
    import secrets

    secret = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(secret), prefix=secret[:8], scopes=list(scopes),
                            expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _assignments(submission):
    return list(db.session.scalars(select(Assignment).where(Assignment.submission_id == submission.id).order_by(Assignment.id)))


IDENTITY = ("Tina Teacher", "tina@example.org", "North School")


def test_peer_pages_hide_the_teacher_and_other_scores(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _assignments(submission)
    review(second, 1, feedback="SECOND-REVIEWER-FEEDBACK")
    client = app.test_client(user=first.reviewer)
    for url in (f"/reviews/assignments/{first.id}", f"/submissions/{submission.id}", "/reviews", "/notifications"):
        body = client.get(url).get_data(as_text=True)
        assert not any(x in body for x in IDENTITY), url
        assert "SECOND-REVIEWER-FEEDBACK" not in body, url
    # The other reviewer's assignment is not hers.
    assert client.get(f"/reviews/assignments/{second.id}").status_code == 403
    # Once her own review is in, she sees the other one (still no names).
    review(first, 1)
    body = client.get(f"/reviews/assignments/{first.id}").get_data(as_text=True)
    assert "SECOND-REVIEWER-FEEDBACK" in body and second.reviewer.name not in body
    assert not any(x in body for x in IDENTITY)


def test_coach_sees_the_teacher(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _assignments(submission)
    review(first, 2)
    review(second, 1)
    coach_assignment = _assignments(submission)[-1]
    assert coach_assignment.role is ReviewerRole.COACH
    body = app.test_client(user=world.coach).get(f"/reviews/assignments/{coach_assignment.id}").get_data(as_text=True)
    assert "Tina Teacher" in body and "Reviewer 1" not in body and first.reviewer.name in body


def test_api_blind_for_peers(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _assignments(submission)
    review(second, 1, feedback="SECOND-REVIEWER-FEEDBACK")
    headers = _token(first.reviewer)
    client = app.test_client()
    listing = client.get("/api/v1/assignments", headers=headers).get_json()
    assert [a["id"] for a in listing["items"]] == [first.id]
    detail = client.get(f"/api/v1/assignments/{first.id}", headers=headers)
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and detail.get_json()["teacher"] is None
    assert detail.get_json()["other_reviews"] == []
    assert not any(x in text for x in IDENTITY) and "SECOND-REVIEWER-FEEDBACK" not in text
    assert len(detail.get_json()["rubric"]["criteria"]) == 3 and detail.get_json()["artifacts"]
    sub = client.get(f"/api/v1/submissions/{submission.id}", headers=headers).get_data(as_text=True)
    assert not any(x in sub for x in IDENTITY) and "SECOND-REVIEWER-FEEDBACK" not in sub
    assert client.get(f"/api/v1/assignments/{second.id}", headers=headers).status_code == 403


def test_api_review_round_trip_and_decision_on_the_submission(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _assignments(submission)
    criteria = world.credential.rubric.criteria
    client = app.test_client()
    h1 = _token(first.reviewer)
    bad = client.post(f"/api/v1/assignments/{first.id}/review", headers=h1, json={
        "scores": [{"criterion_id": c.id, "level_id": c.levels[1].id, "comment": ""} for c in criteria],
        "feedback": "Good start.",
    })
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {f"comment-{c.id}" for c in criteria}
    assert client.post(f"/api/v1/assignments/{first.id}/review", headers=h1, json={"scores": "x"}).status_code == 422
    for assignment in (first, second):
        response = client.post(f"/api/v1/assignments/{assignment.id}/review", headers=_token(assignment.reviewer), json={
            "scores": [{"criterion_id": c.id, "level_id": c.levels[1].id, "comment": "Show the data."} for c in criteria],
            "feedback": "Good start.",
        })
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["recommendation"] == "not_yet"
    again = client.post(f"/api/v1/assignments/{first.id}/review", headers=h1, json={"scores": [], "feedback": "x"})
    assert again.status_code == 409
    decision = client.get(f"/api/v1/submissions/{submission.id}", headers=_token(world.teacher)).get_json()["decision"]
    assert decision["outcome"] == "not_yet"
    assert [c["level"] for c in decision["criteria"]] == ["Developing"] * 3
    assert "Show the data." in decision["criteria"][0]["comment"]
    assert first.reviewer.name not in str(decision)


def test_api_decline(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    first = _assignments(submission)[0]
    client = app.test_client()
    headers = _token(first.reviewer)
    assert client.post(f"/api/v1/assignments/{first.id}/decline", headers=headers, json={}).status_code == 422
    response = client.post(f"/api/v1/assignments/{first.id}/decline", headers=headers, json={"reason": "Conflict."})
    assert response.status_code == 200 and response.get_json()["status"] == "declined"
    db.session.expire_all()
    assert sum(a.status is AssignmentStatus.PENDING for a in _assignments(submission)) == 2


def test_scoring_page_round_trip(app, world):
    submission = fill_and_submit(world.teacher, world.credential)
    first = _assignments(submission)[0]
    client = app.test_client(user=first.reviewer)
    criteria = world.credential.rubric.criteria
    form = {f"level-{c.id}": str(c.levels[1].id) for c in criteria} | {"feedback": "Work on it.", "action": "submit"}
    response = client.post(f"/reviews/assignments/{first.id}", data=form)
    assert response.status_code == 422
    assert "a comment is required below the pass level" in response.get_data(as_text=True)
    form |= {f"comment-{c.id}": "More evidence." for c in criteria} | {"action": "draft"}
    assert client.post(f"/reviews/assignments/{first.id}", data=form).status_code == 302
    db.session.expire_all()
    assert first.review is not None and first.review.submitted_at is None
    form["action"] = "submit"
    assert client.post(f"/reviews/assignments/{first.id}", data=form).status_code == 302
    db.session.expire_all()
    assert first.status is AssignmentStatus.COMPLETED


def test_reviewers_never_see_the_teachers_file_names(app, world):
    """A file named after the teacher would end a blind review: reviewers see evidence-<id>.<ext>
    on the pages, in the API and in the download's file name; the teacher and admins see hers."""
    from app.accounts.models import Role
    from app.evidence.models import Artifact
    from tests import factories

    submission = fill_and_submit(world.teacher, world.credential)
    first, _ = _assignments(submission)
    named = db.session.scalar(select(Artifact).where(Artifact.submission_id == submission.id,
                                                     Artifact.storage_key.is_not(None)))
    named.original_name = "Tina Teacher North School.png"  # as if she had uploaded it under that name
    db.session.commit()
    neutral = f"evidence-{named.id}.png"

    peer = app.test_client(user=first.reviewer)
    page = peer.get(f"/reviews/assignments/{first.id}").get_data(as_text=True)
    assert neutral in page and "Tina Teacher North School" not in page
    download = peer.get(f"/artifacts/{named.id}/download")
    assert download.status_code == 200 and neutral in download.headers["Content-Disposition"]
    assert "Tina" not in download.headers["Content-Disposition"]
    headers = _token(first.reviewer)
    client = app.test_client()
    for url in (f"/api/v1/assignments/{first.id}", f"/api/v1/submissions/{submission.id}"):
        body = client.get(url, headers=headers).get_data(as_text=True)
        assert neutral in body and "Tina Teacher North School" not in body, url
    api_download = client.get(f"/api/v1/artifacts/{named.id}/download", headers=headers)
    assert neutral in api_download.headers["Content-Disposition"]

    owner = app.test_client(user=world.teacher)
    assert "Tina Teacher North School.png" in owner.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "Tina" in owner.get(f"/artifacts/{named.id}/download").headers["Content-Disposition"]
    admin = app.test_client(user=factories.user(roles={Role.ADMIN}, organization=world.org))
    assert "Tina" in admin.get(f"/artifacts/{named.id}/download").headers["Content-Disposition"]
