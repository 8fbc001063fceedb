"""API: the reviewer's assignments, the evidence and rubric to score, sending a review, declining.

The same services as the review pages. A caller sees only her own assignments;
peers never get the teacher's identity (``teacher`` is null unless the caller
reviews as coach), nor other reviews before her own is in.
"""

from __future__ import annotations

from app.accounts.auth import api_user
from app.api import BEARER, bp, writer
from app.api.schemas import AssignmentDetail, AssignmentOut, AssignmentPage, DeclineIn, ReviewIn, ReviewOut
from app.api.submissions import errors
from app.extensions import db
from app.reviewers import services


@bp.route("/assignments", methods=["GET"])
@bp.response(200, AssignmentPage)
@bp.doc(security=BEARER)
@errors()
def list_assignments():
    """The caller's review assignments: open ones due soonest first, then closed ones newest first."""
    return {"items": services.my_assignments(api_user())}


@bp.route("/assignments/<int:assignment_id>", methods=["GET"])
@bp.response(200, AssignmentDetail)
@bp.doc(security=BEARER)
@errors()
def get_assignment(assignment_id: int):
    """One assignment: the evidence to review, the rubric, the caller's own review (draft or sent)."""
    return services.get_assignment_or_403(api_user(), assignment_id)


@bp.route("/assignments/<int:assignment_id>/review", methods=["POST"])
@bp.arguments(ReviewIn)
@bp.response(201, ReviewOut)
@bp.doc(security=BEARER)
@errors(409, 422)
def post_review(data: dict, assignment_id: int):
    """Send the review (``draft: true`` saves it without sending). 422 with ``fields``
    (``criterion-<id>``, ``comment-<id>``, ``feedback``) when a level or a required comment is missing."""
    user = writer()
    assignment = services.get_assignment_or_403(user, assignment_id)
    scores = [services.ScoreInput(s["criterion_id"], s["level_id"], s.get("comment", "")) for s in data["scores"]]
    review = services.record_review(reviewer=user, assignment=assignment, scores=scores, feedback=data["feedback"],
                                    submit=not data["draft"])
    db.session.commit()
    return review


@bp.route("/assignments/<int:assignment_id>/decline", methods=["POST"])
@bp.arguments(DeclineIn)
@bp.response(200, AssignmentOut)
@bp.doc(security=BEARER)
@errors(409, 422)
def decline_assignment(data: dict, assignment_id: int):
    """Give the assignment back with a reason; another reviewer is assigned at once."""
    user = writer()
    assignment = services.get_assignment_or_403(user, assignment_id)
    services.decline_assignment(reviewer=user, assignment=assignment, reason=data["reason"])
    db.session.commit()
    return assignment
