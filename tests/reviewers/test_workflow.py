"""The review workflow through its services: assignment, scoring, the decision, decline, sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.credentials.models import Award, CoachRule
from app.db import utcnow
from app.errors import Conflict, PermissionDenied, ValidationError
from app.evidence import services as evidence
from app.evidence.models import SubmissionStatus
from app.extensions import db
from app.mail import OutboxMessage
from app.reviewers import services
from app.reviewers.models import Assignment, AssignmentStatus, Decision, Notification, ReviewerRole
from tests import factories
from tests.reviewers.conftest import fill_and_submit, review


def _pending(submission, role=None):
    query = select(Assignment).where(Assignment.submission_id == submission.id,
                                     Assignment.status == AssignmentStatus.PENDING)
    if role:
        query = query.where(Assignment.role == role)
    return list(db.session.scalars(query.order_by(Assignment.id)))


def test_submit_assigns_two_peers_from_another_school_and_notifies_them(world):
    submission = fill_and_submit(world.teacher, world.credential)
    pending = _pending(submission)
    assert [a.role for a in pending] == [ReviewerRole.PEER, ReviewerRole.PEER]
    assert {a.reviewer_id for a in pending} <= {p.id for p in world.peers}
    assert all(a.due_at - a.assigned_at == timedelta(days=7) for a in pending)
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id.in_([a.reviewer_id for a in pending])))
    assert list(kinds) == ["assigned", "assigned"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) >= 2


def test_agreeing_peers_pass_once_and_award(world):
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _pending(submission)
    review(first, 2)
    assert db.session.get(type(submission), submission.id).status is SubmissionStatus.IN_REVIEW
    assert db.session.scalar(select(Decision).where(Decision.submission_id == submission.id)) is None
    review(second, 3)
    decision = db.session.scalar(select(Decision).where(Decision.submission_id == submission.id))
    assert decision.outcome.value == "passed" and decision.basis.value == "peers_agree"
    assert submission.status is SubmissionStatus.PASSED
    assert db.session.scalar(select(func.count(Award.id)).where(Award.submission_id == submission.id)) == 1
    # Deciding again changes nothing.
    assert services.decide_submission(submission, actor=None).id == decision.id
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == world.teacher.id)))
    assert {"decided", "awarded"} <= kinds


def test_not_yet_feedback_reaches_the_teacher_without_names(world):
    submission = fill_and_submit(world.teacher, world.credential)
    for assignment in _pending(submission):
        review(assignment, 1, feedback="Add student work samples.")
    assert submission.status is SubmissionStatus.NOT_YET
    fb = evidence.attempt_feedback([submission])[submission.id]
    assert fb.outcome == "not_yet"
    assert [c.level for c in fb.criteria] == ["Developing"] * 3
    assert all("Needs more student voice." in c.comment for c in fb.criteria)
    assert fb.feedback_md == ("Add student work samples.", "Add student work samples.")
    text = repr(fb)
    assert not any(p.name in text for p in world.peers)


def test_disagreement_brings_in_a_coach_who_decides(world):
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _pending(submission)
    review(first, 2)
    review(second, 1)
    coach_assignment = _pending(submission, ReviewerRole.COACH)
    assert [a.reviewer_id for a in coach_assignment] == [world.coach.id]
    assert services.disagreements(actor=world.coach) == [submission]
    review(coach_assignment[0], 2)
    decision = db.session.scalar(select(Decision).where(Decision.submission_id == submission.id))
    assert decision.basis.value == "coach" and decision.decided_by_id == world.coach.id
    assert not services.is_coaching(coach_assignment[0])  # she decided; no one-to-one coaching
    assert submission.status is SubmissionStatus.PASSED


def test_coach_always_decides_even_when_peers_agree(world):
    world.credential.policy.coach_rule = CoachRule.ALWAYS
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential)
    peers = _pending(submission, ReviewerRole.PEER)
    assert len(_pending(submission, ReviewerRole.COACH)) == 1
    for assignment in peers:
        review(assignment, 2)
    assert submission.status is SubmissionStatus.IN_REVIEW
    review(_pending(submission, ReviewerRole.COACH)[0], 1)
    assert submission.status is SubmissionStatus.NOT_YET


def test_comment_required_below_pass_level_and_every_level_needed(world):
    submission = fill_and_submit(world.teacher, world.credential)
    assignment = _pending(submission)[0]
    criteria = world.credential.rubric.criteria
    scores = [services.ScoreInput(criteria[0].id, criteria[0].levels[1].id, ""),
              services.ScoreInput(criteria[1].id, criteria[1].levels[2].id, "")]
    with pytest.raises(ValidationError) as caught:
        services.record_review(reviewer=assignment.reviewer, assignment=assignment, scores=scores,
                               feedback="ok", submit=True)
    assert set(caught.value.fields) == {f"comment-{criteria[0].id}", f"criterion-{criteria[2].id}"}
    db.session.rollback()
    # A draft keeps partial work.
    draft = services.record_review(reviewer=assignment.reviewer, assignment=assignment, scores=scores,
                                   feedback="", submit=False)
    db.session.commit()
    assert draft.submitted_at is None and len(draft.scores) == 2
    assert assignment.status is AssignmentStatus.PENDING


def test_a_level_of_another_criterion_is_refused(world):
    submission = fill_and_submit(world.teacher, world.credential)
    assignment = _pending(submission)[0]
    c0, c1 = world.credential.rubric.criteria[:2]
    with pytest.raises(ValidationError) as caught:
        services.record_review(reviewer=assignment.reviewer, assignment=assignment,
                               scores=[services.ScoreInput(c0.id, c1.levels[2].id)], feedback="x", submit=False)
    assert f"criterion-{c0.id}" in caught.value.fields


def test_only_the_assigned_reviewer_scores(world):
    submission = fill_and_submit(world.teacher, world.credential)
    assignment = _pending(submission)[0]
    with pytest.raises(PermissionDenied):
        services.record_review(reviewer=world.teacher, assignment=assignment, scores=[], feedback="", submit=False)


def test_decline_reassigns_at_once(world):
    submission = fill_and_submit(world.teacher, world.credential)
    first = _pending(submission)[0]
    with pytest.raises(ValidationError):
        services.decline_assignment(reviewer=first.reviewer, assignment=first, reason=" ")
    services.decline_assignment(reviewer=first.reviewer, assignment=first, reason="I coached this teacher.")
    db.session.commit()
    pending = _pending(submission)
    assert len(pending) == 2 and first.reviewer_id not in {a.reviewer_id for a in pending}
    with pytest.raises(Conflict):
        services.record_review(reviewer=first.reviewer, assignment=first, scores=[], feedback="", submit=False)


def test_no_qualified_reviewer_waits_in_the_unassigned_queue(world):
    admin = factories.user(roles={factories.Role.ADMIN}, organization=world.org)
    for peer in world.peers:
        peer.school = world.school_a  # everyone now shares her school
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential)
    assert _pending(submission) == []
    queue = services.unassigned_submissions(actor=admin)
    assert [(s.id, n.peers) for s, n in queue] == [(submission.id, 2)]
    assert [s.id for s, _ in services.unassigned_submissions(actor=world.coach)] == [submission.id]
    # A coach takes it and her review decides.
    taken = services.take_submission(coach=world.coach, submission=submission)
    db.session.commit()
    assert services.unassigned_submissions(actor=admin) == []
    review(taken, 2)
    assert submission.status is SubmissionStatus.PASSED


def test_withdraw_closes_pending_assignments(world):
    submission = fill_and_submit(world.teacher, world.credential)
    evidence.withdraw_attempt(teacher=world.teacher, submission=submission)
    db.session.commit()
    assert _pending(submission) == []


def test_sweep_expires_reassigns_reminds_and_is_idempotent(world):
    submission = fill_and_submit(world.teacher, world.credential)
    late, soon = _pending(submission)
    late.due_at = utcnow() - timedelta(hours=1)
    soon.due_at = utcnow() + timedelta(hours=5)
    db.session.commit()
    report = services.sweep()
    db.session.commit()
    assert (report.expired, report.reminded, report.assigned) == (1, 1, 1)
    assert late.status is AssignmentStatus.EXPIRED and soon.reminded_at is not None
    pending = _pending(submission)
    assert len(pending) == 2 and late.reviewer_id not in {a.reviewer_id for a in pending}
    again = services.sweep()
    db.session.commit()
    assert (again.expired, again.reminded, again.assigned) == (0, 0, 0)


def test_sweep_command(world, app):
    fill_and_submit(world.teacher, world.credential)
    result = app.test_cli_runner().invoke(args=["reviews", "sweep"])
    assert result.exit_code == 0, result.output
    assert "expired 0" in result.output and "still unassigned 0" in result.output


def test_max_attempts_brings_a_coach_one_to_one(world):
    world.credential.policy.max_attempts = 1
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential)
    for assignment in _pending(submission):
        review(assignment, 0)
    coaching = _pending(submission, ReviewerRole.COACH)
    assert [a.reviewer_id for a in coaching] == [world.coach.id]
    assert services.is_coaching(coaching[0])
    services.close_coaching(coach=world.coach, assignment=coaching[0], note="We met on Tuesday.")
    db.session.commit()
    assert coaching[0].status is AssignmentStatus.COMPLETED


def test_resubmission_after_not_yet_passes(world):
    first = fill_and_submit(world.teacher, world.credential)
    for assignment in _pending(first):
        review(assignment, 1)
    draft = evidence.resubmit(teacher=world.teacher, previous=first, keep_artifact_ids=[])
    db.session.commit()
    second = fill_and_submit(world.teacher, world.credential, draft)
    for assignment in _pending(second):
        review(assignment, 2)
    assert second.status is SubmissionStatus.PASSED


def test_award_holders_review_the_next_ones(world):
    earner = factories.user(organization=world.org, school=world.school_b, name="Earner")
    earned = factories.submission(earner, world.credential, status=SubmissionStatus.PASSED)
    from app.credentials.awards import award_credential

    award_credential(earned)
    for peer in world.peers:
        peer.active = False
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential)
    assert [a.reviewer_id for a in _pending(submission, ReviewerRole.PEER)] == [earner.id]


def test_other_organizations_are_excluded_unless_allowed(world):
    other = factories.organization()
    outsider = factories.user(organization=other, name="Outsider")
    factories.qualification(outsider, credential=world.credential, role=ReviewerRole.PEER)
    submission = fill_and_submit(world.teacher, world.credential)
    assert outsider.id not in {u.id for u in services.eligible_reviewers(submission, ReviewerRole.PEER)}
    world.credential.policy.allow_cross_organization = True
    db.session.commit()
    assert outsider.id in {u.id for u in services.eligible_reviewers(submission, ReviewerRole.PEER)}


def test_feedback_loader_query_count_is_bounded(world):
    submissions = []
    for _ in range(3):
        teacher = factories.user(organization=world.org, school=world.school_a)
        submission = fill_and_submit(teacher, world.credential)
        for assignment in _pending(submission):
            review(assignment, 1)
        submissions.append(submission)
    from app.evidence.models import Submission

    db.session.expire_all()
    submissions = list(db.session.scalars(select(Submission).where(Submission.id.in_([s.id for s in submissions]))))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found = evidence.attempt_feedback(submissions)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(found) == 3
    # decisions; reviews with their scores and assignments; levels; criteria with their levels
    assert len(statements) <= 7


def test_coach_rule_never_breaks_a_tie_with_one_more_peer_and_the_majority_decides(world):
    world.credential.policy.coach_rule = CoachRule.NEVER
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential)
    first, second = _pending(submission, ReviewerRole.PEER)
    review(first, 2)
    review(second, 1)
    # No coach: a third peer is asked instead, and the attempt waits for her.
    assert _pending(submission, ReviewerRole.COACH) == []
    third = _pending(submission, ReviewerRole.PEER)
    assert len(third) == 1 and third[0].reviewer_id not in {first.reviewer_id, second.reviewer_id}
    assert submission.status is SubmissionStatus.IN_REVIEW
    assert services.disagreements(actor=world.coach) == []
    review(third[0], 3)
    decision = db.session.scalar(select(Decision).where(Decision.submission_id == submission.id))
    assert decision.outcome.value == "passed" and decision.basis.value == "peers_majority"
    assert decision.decided_by_id is None
    # The levels are the majority's (the lower of levels 2 and 3 per criterion), not the dissent's 1.
    positions = {lv.id: lv.position for c in world.credential.rubric.criteria for lv in c.levels}
    assert {positions[level_id] for level_id in decision.levels.values()} == {2}
    assert submission.status is SubmissionStatus.PASSED


def test_coach_rule_never_with_agreeing_peers_decides_without_a_third(world):
    world.credential.policy.coach_rule = CoachRule.NEVER
    db.session.commit()
    submission = fill_and_submit(world.teacher, world.credential)
    for assignment in _pending(submission, ReviewerRole.PEER):
        review(assignment, 1)
    decision = db.session.scalar(select(Decision).where(Decision.submission_id == submission.id))
    assert decision.outcome.value == "not_yet" and decision.basis.value == "peers_agree"
    assert _pending(submission) == []
