"""The review workflow: who may review, assignment, scoring, the decision, the sweep, calibration.

Every function takes the acting user as an argument, flushes and never
commits; the caller (an HTML view, the JSON API, the CLI) commits once.

Guarantees:

* Assignment picks qualified reviewers with the fewest open assignments (ties:
  the longest since their last one, then the lowest id), never the author,
  never someone from her school when the policy excludes it, only people of
  the credential's issuer organization unless the policy allows others, and
  never the same person twice on one attempt (unique constraint).
* A submission without enough qualified reviewers stays in the unassigned
  queue (``unassigned_submissions``) until the sweep, a coach or an admin
  fills it; it is never dropped.
* One decision per attempt: the submission row is locked (``SELECT ... FOR
  UPDATE`` on PostgreSQL; SQLite serialises writers) before the reviews are
  read, and ``decision.submission_id`` is unique; ``award_credential`` issues
  at most once per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.audit import record_event
from app.credentials.awards import award_credential
from app.credentials.models import (
    Award,
    CalibrationExemplar,
    CoachRule,
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    DecisionPolicy,
    Framework,
    Level,
    credential_competency,
)
from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.evidence.models import Submission, SubmissionStatus
from app.evidence.services import COUNTED_STATUSES
from app.extensions import db
from app.mail import deliver_outbox
from app.reviewers import notifications as notices
from app.reviewers.signals import submission_decided
from app.reviewers.models import (
    Assignment,
    AssignmentStatus,
    CalibrationAttempt,
    Decision,
    DecisionBasis,
    Outcome,
    Qualification,
    QualificationSource,
    Recommendation,
    Review,
    ReviewerRole,
    ReviewScore,
)

#: Attempts that are waiting for, or under, review.
ACTIVE_REVIEW_STATUSES = (SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW)
#: Assignments that count toward what an attempt needs.
LIVE_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.COMPLETED)
#: A pending assignment this close to its due date gets one reminder.
DUE_SOON = timedelta(hours=48)
MAX_COMMENT_CHARS = 5_000
MAX_FEEDBACK_CHARS = 10_000
MAX_DECLINE_CHARS = 1_000
#: Recalibration looks at a peer's latest decided reviews of a credential, once there are enough.
AGREEMENT_WINDOW = 10
AGREEMENT_MIN_REVIEWS = 5
WITHDRAWN_REASON = "The teacher withdrew the attempt before review."
DECIDED_REASON = "The attempt was decided before this review was needed."


def policy_of(credential: Credential) -> DecisionPolicy:
    """The credential's policy, or the defaults when it has none."""
    return credential.policy or DecisionPolicy(
        peer_reviews=2, coach_rule=CoachRule.ON_DISAGREEMENT, review_days=7, max_attempts=3,
        exclude_same_school=True, allow_cross_organization=False, calibration_exact_share=0.75,
        calibration_max_gap=1, calibration_retry_hours=24, agreement_threshold=0.5,
    )


# --- who may review -------------------------------------------------------------------------


def _same_slug(credential: Credential):
    return select(Credential.id).where(Credential.slug == credential.slug)


def _frameworks_of(credential: Credential):
    return (
        select(Competency.framework_id)
        .join(credential_competency, credential_competency.c.competency_id == Competency.id)
        .where(credential_competency.c.credential_id == credential.id)
    )


def _in_scope(credential: Credential):
    """Qualification rows that cover ``credential``: any version of its slug, or one of its frameworks."""
    return or_(
        Qualification.credential_id.in_(_same_slug(credential)),
        Qualification.framework_id.in_(_frameworks_of(credential)),
    )


def _holds_active_award(credential: Credential, user_id, now: datetime):
    return exists(
        select(Award.id).where(
            Award.recipient_id == user_id,
            Award.credential_id.in_(_same_slug(credential)),
            Award.revoked_at.is_(None),
            or_(Award.expires_at.is_(None), Award.expires_at > now),
        )
    )


def _has_exemplars(credential: Credential) -> bool:
    return bool(
        db.session.scalar(select(exists().where(CalibrationExemplar.credential_id.in_(_same_slug(credential)))))
    )


def _qualified(credential: Credential, role: ReviewerRole, now: datetime, *, calibrated: bool):
    """SQL: ``User`` may review ``credential`` as ``role`` (coach by grant; peer by grant or an
    active award, and calibrated when ``calibrated``). A withdrawn (inactive) peer row blocks
    the award route too."""
    row = select(Qualification.id).where(
        Qualification.user_id == User.id, Qualification.role == role, Qualification.active.is_(True),
        _in_scope(credential),
    )
    if role is ReviewerRole.COACH:
        return exists(row)
    granted = exists(
        row.where(
            or_(Qualification.source == QualificationSource.GRANT, _holds_active_award(credential, User.id, now))
        )
    )
    revoked = exists(
        select(Qualification.id).where(
            Qualification.user_id == User.id, Qualification.role == role, Qualification.active.is_(False),
            _in_scope(credential),
        )
    )
    allowed = or_(granted, and_(_holds_active_award(credential, User.id, now), not_(revoked)))
    if calibrated:
        allowed = and_(allowed, exists(row.where(Qualification.calibrated_at.is_not(None))))
    return allowed


def eligible_reviewers(submission: Submission, role: ReviewerRole, *, now: datetime | None = None) -> list[User]:
    """Who may be assigned ``submission`` as ``role`` now, in the order assignment takes them:
    fewest open assignments, then longest since their last assignment, then lowest id."""
    now = now or utcnow()
    credential = submission.credential
    teacher = submission.teacher
    policy = policy_of(credential)
    calibrated = role is ReviewerRole.PEER and _has_exemplars(credential)
    conditions = [
        User.active.is_(True),
        User.id != teacher.id,
        _qualified(credential, role, now, calibrated=calibrated),
        not_(exists(select(Assignment.id).where(
            Assignment.submission_id == submission.id, Assignment.reviewer_id == User.id
        ))),
    ]
    if not policy.allow_cross_organization:
        conditions.append(User.organization_id == credential.issuer_id)
    if policy.exclude_same_school and teacher.school_id is not None:
        conditions.append(or_(User.school_id.is_(None), User.school_id != teacher.school_id))
    open_load = (
        select(func.count(Assignment.id))
        .where(Assignment.reviewer_id == User.id, Assignment.status == AssignmentStatus.PENDING)
        .correlate(User)
        .scalar_subquery()
    )
    last_assigned = select(func.max(Assignment.assigned_at)).where(Assignment.reviewer_id == User.id).correlate(User).scalar_subquery()
    return list(
        db.session.scalars(
            select(User)
            .where(*conditions)
            .order_by(open_load, case((last_assigned.is_(None), 0), else_=1), last_assigned, User.id)
        )
    )


def is_coach_of(user: User, credential: Credential) -> bool:
    """Whether ``user`` holds an active coach qualification covering ``credential``."""
    return bool(db.session.scalar(select(exists(select(Qualification.id).where(
        Qualification.user_id == user.id, Qualification.role == ReviewerRole.COACH,
        Qualification.active.is_(True), _in_scope(credential),
    )))))


def _check_manager(actor: User, organization_id: int) -> None:
    if actor.has_role(Role.ADMIN):
        return
    if actor.has_role(Role.DESIGNER) and actor.organization_id == organization_id:
        return
    raise PermissionDenied("Only a designer of this organization or an admin can change who reviews.")


def grant_qualification(
    *, actor: User, user: User, role: ReviewerRole, credential: Credential | None = None,
    framework: Framework | None = None,
) -> Qualification:
    """Let ``user`` review ``credential`` (or every credential of ``framework``) as ``role``.

    Designers grant within their own organization, admins anywhere. A coach
    grant needs a user with the coach role. Granting again reactivates the row.
    Raises PermissionDenied, ValidationError("user_id" / "scope").
    """
    if (credential is None) == (framework is None):
        raise ValidationError("scope", "Choose one credential or one framework.")
    organization_id = credential.issuer_id if credential else framework.organization_id  # type: ignore[union-attr]
    _check_manager(actor, organization_id)
    if not user.active:
        raise ValidationError("user_id", "This account is deactivated.")
    if role is ReviewerRole.COACH and not user.has_role(Role.COACH):
        raise ValidationError("user_id", "Only someone with the coach role can be a coach reviewer.")
    same_scope = (Qualification.credential_id == credential.id) if credential else (
        Qualification.framework_id == framework.id  # type: ignore[union-attr]
    )
    existing = db.session.scalar(select(Qualification).where(
        Qualification.user_id == user.id, Qualification.role == role, same_scope,
    ))
    if existing is None:
        existing = Qualification(
            user=user, role=role, credential=credential, framework=framework, source=QualificationSource.GRANT,
            granted_by=actor, active=True,
        )
        db.session.add(existing)
    else:
        existing.active = True
        existing.source = QualificationSource.GRANT
        existing.granted_by = actor
    db.session.flush()
    record_event(actor=actor, action="qualification.granted", object_type="qualification", object_id=existing.id,
                 user_id=user.id, role=role.value)
    return existing


def revoke_qualification(*, actor: User, qualification: Qualification) -> Qualification:
    """Stop ``qualification`` counting (kept for the record). Open assignments stay with the reviewer."""
    scope = qualification.credential or qualification.framework
    organization_id = scope.issuer_id if qualification.credential else scope.organization_id  # type: ignore[union-attr]
    _check_manager(actor, organization_id)
    qualification.active = False
    db.session.flush()
    record_event(actor=actor, action="qualification.revoked", object_type="qualification",
                 object_id=qualification.id, user_id=qualification.user_id)
    return qualification


def list_qualifications(*, actor: User) -> list[Qualification]:
    """Qualifications the actor manages: all for admins, her organization's for designers."""
    query = select(Qualification).options(
        selectinload(Qualification.user), selectinload(Qualification.credential), selectinload(Qualification.framework)
    ).order_by(Qualification.created_at.desc(), Qualification.id.desc())
    if not actor.has_role(Role.ADMIN):
        if not actor.has_role(Role.DESIGNER):
            raise PermissionDenied("Only designers and admins manage reviewers.")
        query = query.outerjoin(Credential, Qualification.credential_id == Credential.id).outerjoin(
            Framework, Qualification.framework_id == Framework.id
        ).where(or_(Credential.issuer_id == actor.organization_id, Framework.organization_id == actor.organization_id))
    return list(db.session.scalars(query))


# --- what an attempt needs ----------------------------------------------------------------


@dataclass
class Needs:
    """What an undecided attempt still lacks: peer reviewers and/or a coach."""

    peers: int = 0
    coach: bool = False

    @property
    def any(self) -> bool:
        return self.peers > 0 or self.coach


def _live(assignments: Iterable[Assignment], role: ReviewerRole) -> list[Assignment]:
    return [a for a in assignments if a.role is role and a.status in LIVE_STATUSES]


def _submitted_reviews(assignments: Iterable[Assignment], role: ReviewerRole) -> list[Review]:
    return [
        a.review for a in assignments
        if a.role is role and a.status is AssignmentStatus.COMPLETED and a.review and a.review.submitted_at
    ]


def _peer_majority(reviews: Sequence[Review]) -> Recommendation | None:
    """The recommendation more than half of the peer reviews give, or None on a tie."""
    passes = sum(1 for r in reviews if r.recommendation is Recommendation.PASS)
    if passes * 2 == len(reviews):
        return None
    return Recommendation.PASS if passes * 2 > len(reviews) else Recommendation.NOT_YET


def needs_of(submission: Submission, assignments: Sequence[Assignment]) -> Needs:
    """The reviewers ``submission`` lacks by its policy, given its assignments.

    Peers: the policy's number minus live peer assignments, unless a coach is
    already on it (a coach's review decides). Coach: always by the policy,
    with no peers, or when the submitted peer reviews disagree. With the coach
    rule ``never``, a disagreement brings in one more peer instead whenever the
    submitted reviews are tied, so that a majority of peers decides.
    """
    policy = policy_of(submission.credential)
    coaches = _live(assignments, ReviewerRole.COACH)
    peers = _live(assignments, ReviewerRole.PEER)
    peer_reviews = _submitted_reviews(assignments, ReviewerRole.PEER)
    disagree = len({r.recommendation for r in peer_reviews}) > 1
    wanted = policy.peer_reviews
    if policy.coach_rule is CoachRule.NEVER:
        if len(peer_reviews) >= wanted and _peer_majority(peer_reviews) is None:
            wanted = len(peer_reviews) + 1
        coach_needed = False
    else:
        coach_needed = policy.coach_rule is CoachRule.ALWAYS or policy.peer_reviews == 0 or disagree
    return Needs(
        peers=0 if coaches else max(0, wanted - len(peers)),
        coach=coach_needed and not coaches,
    )


def _lock(submission: Submission) -> None:
    """Lock the attempt's row until commit and re-read its status (PostgreSQL; SQLite serialises writers)."""
    status = db.session.scalar(select(Submission.status).where(Submission.id == submission.id).with_for_update())
    if status is not submission.status:
        db.session.refresh(submission)


def _assignments_of(submission: Submission) -> list[Assignment]:
    return list(db.session.scalars(
        select(Assignment).where(Assignment.submission_id == submission.id)
        .options(selectinload(Assignment.review).selectinload(Review.scores))
        .order_by(Assignment.id)
    ))


def _decision_of(submission: Submission) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.submission_id == submission.id))


def _assign(submission: Submission, reviewer: User, role: ReviewerRole, now: datetime) -> Assignment:
    days = policy_of(submission.credential).review_days
    assignment = Assignment(
        submission=submission, reviewer=reviewer, role=role, status=AssignmentStatus.PENDING,
        assigned_at=now, due_at=now + timedelta(days=days),
    )
    db.session.add(assignment)
    db.session.flush()
    credential = submission.credential.name
    notices.notify(
        reviewer, kind=notices.ASSIGNED, subject=f"New review: {credential}",
        body=f"You have been asked to review an attempt at {credential}, due {assignment.due_at:%d %B %Y}.",
        url=notices.path_for("reviewers.assignment", assignment_id=assignment.id),
    )
    record_event(actor=None, action="assignment.created", object_type="assignment", object_id=assignment.id,
                 submission_id=submission.id, reviewer_id=reviewer.id, role=role.value)
    return assignment


def fill_assignments(submission: Submission, *, now: datetime | None = None) -> list[Assignment]:
    """Assign the reviewers ``submission`` lacks (see ``needs_of``), as far as qualified
    reviewers exist; what cannot be filled waits in the unassigned queue. Idempotent."""
    if submission.status not in ACTIVE_REVIEW_STATUSES:
        return []
    _lock(submission)
    if submission.status not in ACTIVE_REVIEW_STATUSES or _decision_of(submission) is not None:
        return []
    now = now or utcnow()
    needs = needs_of(submission, _assignments_of(submission))
    created: list[Assignment] = []
    if needs.peers:
        for reviewer in eligible_reviewers(submission, ReviewerRole.PEER, now=now)[: needs.peers]:
            created.append(_assign(submission, reviewer, ReviewerRole.PEER, now))
    if needs.coach:
        coaches = eligible_reviewers(submission, ReviewerRole.COACH, now=now)
        if coaches:
            created.append(_assign(submission, coaches[0], ReviewerRole.COACH, now))
    return created


def unassigned_submissions(*, actor: User) -> list[tuple[Submission, Needs]]:
    """Undecided attempts that lack reviewers, oldest first, scoped to what the actor oversees
    (admins: all; coaches: credentials they coach). Bounded queries."""
    _check_overseer(actor)
    rows = list(db.session.scalars(
        _overseen(actor, select(Submission).where(Submission.status.in_(ACTIVE_REVIEW_STATUSES)))
        .options(selectinload(Submission.credential).selectinload(Credential.policy))
        .order_by(Submission.submitted_at, Submission.id)
    ))
    by_submission = _assignments_by_submission([s.id for s in rows])
    out = []
    for submission in rows:
        needs = needs_of(submission, by_submission.get(submission.id, []))
        if needs.any:
            out.append((submission, needs))
    return out


def _assignments_by_submission(ids: Sequence[int]) -> dict[int, list[Assignment]]:
    found: dict[int, list[Assignment]] = {}
    if not ids:
        return found
    for a in db.session.scalars(
        select(Assignment).where(Assignment.submission_id.in_(ids))
        .options(selectinload(Assignment.review), selectinload(Assignment.reviewer))
    ):
        found.setdefault(a.submission_id, []).append(a)
    return found


def _check_overseer(actor: User) -> None:
    if not actor.has_role(Role.ADMIN, Role.COACH):
        raise PermissionDenied("Only coaches and admins oversee review work.")


def _overseen(actor: User, query):
    """Limit a Submission query to the credentials ``actor`` coaches (admins: everything)."""
    if actor.has_role(Role.ADMIN):
        return query
    slugs = select(Credential.slug).join(Qualification, Qualification.credential_id == Credential.id).where(
        Qualification.user_id == actor.id, Qualification.role == ReviewerRole.COACH, Qualification.active.is_(True)
    )
    frameworks = select(Qualification.framework_id).where(
        Qualification.user_id == actor.id, Qualification.role == ReviewerRole.COACH,
        Qualification.active.is_(True), Qualification.framework_id.is_not(None),
    )
    in_framework = select(credential_competency.c.credential_id).join(
        Competency, Competency.id == credential_competency.c.competency_id
    ).where(Competency.framework_id.in_(frameworks))
    credential_ids = select(Credential.id).where(or_(Credential.slug.in_(slugs), Credential.id.in_(in_framework)))
    return query.where(Submission.credential_id.in_(credential_ids))


def assign_again(*, actor: User, submission: Submission) -> list[Assignment]:
    """A coach or admin asks for assignment to run again (new reviewers may have qualified)."""
    _check_overseer(actor)
    if not actor.has_role(Role.ADMIN) and not is_coach_of(actor, submission.credential):
        raise PermissionDenied("You do not coach this credential.")
    return fill_assignments(submission)


def take_submission(*, coach: User, submission: Submission) -> Assignment:
    """A coach of the credential takes an undecided attempt herself; her review decides it."""
    if not is_coach_of(coach, submission.credential):
        raise PermissionDenied("Only a coach of this credential can take its attempts.")
    if coach.id == submission.teacher_id:
        raise PermissionDenied("Nobody reviews their own evidence.")
    _lock(submission)
    if submission.status not in ACTIVE_REVIEW_STATUSES:
        raise Conflict("This attempt is not waiting for review.")
    existing = db.session.scalar(select(Assignment).where(
        Assignment.submission_id == submission.id, Assignment.reviewer_id == coach.id
    ))
    if existing is not None:
        if existing.status is AssignmentStatus.PENDING:
            return existing
        raise Conflict("You have already been assigned this attempt.")
    return _assign(submission, coach, ReviewerRole.COACH, utcnow())


# --- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    level_id: int | None
    comment: str = ""


def rubric_criteria(credential: Credential) -> list[Criterion]:
    """The credential's rubric criteria in order, with their levels."""
    return list(db.session.scalars(
        select(Criterion)
        .where(Criterion.rubric_id == (credential.rubric.id if credential.rubric else -1))
        .options(selectinload(Criterion.levels))
        .order_by(Criterion.position, Criterion.id)
    ))


def recommendation_for(criteria: Sequence[Criterion], levels: Mapping[int, Level]) -> Recommendation:
    """Pass when every criterion is at or above its pass level, else not yet."""
    for criterion in criteria:
        level = levels.get(criterion.id)
        pass_level = criterion.pass_level
        if level is None or pass_level is None or level.position < pass_level.position:
            return Recommendation.NOT_YET
    return Recommendation.PASS


def _check_scores(criteria: Sequence[Criterion], scores: Iterable[ScoreInput], *, final: bool) -> dict[int, tuple[Level | None, str]]:
    by_id = {c.id: c for c in criteria}
    chosen: dict[int, tuple[Level | None, str]] = {}
    fields: dict[str, list[str]] = {}
    for score in scores:
        criterion = by_id.get(score.criterion_id)
        if criterion is None:
            fields.setdefault("scores", []).append("A score names a criterion that is not in this rubric.")
            continue
        level = None
        if score.level_id is not None:
            level = next((lv for lv in criterion.levels if lv.id == score.level_id), None)
            if level is None:
                fields.setdefault(f"criterion-{criterion.id}", []).append("Pick one of this criterion's levels.")
                continue
        comment = (score.comment or "").strip()
        if len(comment) > MAX_COMMENT_CHARS:
            fields.setdefault(f"comment-{criterion.id}", []).append(f"Keep comments under {MAX_COMMENT_CHARS:,} characters.")
        chosen[criterion.id] = (level, comment)
    if final:
        for criterion in criteria:
            level, comment = chosen.get(criterion.id, (None, ""))
            if level is None:
                fields.setdefault(f"criterion-{criterion.id}", []).append(f"Choose a level for “{criterion.name}”.")
            elif criterion.pass_level is not None and level.position < criterion.pass_level.position and not comment:
                fields.setdefault(f"comment-{criterion.id}", []).append(
                    f"Say what would lift “{criterion.name}” to {criterion.pass_level.label}: "
                    "a comment is required below the pass level."
                )
    if fields:
        count = sum(len(v) for v in fields.values())
        raise ValidationError(None, f"{count} thing{'s' if count != 1 else ''} to fix before this review can be sent.",
                              fields=fields)
    return chosen


def _check_reviewer(reviewer: User, assignment: Assignment) -> None:
    if assignment.reviewer_id != reviewer.id:
        raise PermissionDenied("This review is assigned to someone else.")
    if assignment.status is not AssignmentStatus.PENDING:
        raise Conflict("This assignment is closed; the review can no longer change.")


def record_review(
    *, reviewer: User, assignment: Assignment, scores: Iterable[ScoreInput], feedback: str, submit: bool,
) -> Review:
    """Save the reviewer's scoring as a draft, or send it (``submit``).

    Sending needs a level for every criterion and a comment for every level
    below its pass level (ValidationError with ``criterion-<id>`` /
    ``comment-<id>`` fields); the recommendation follows from the levels. The
    first save moves the attempt to ``in_review`` (no more withdrawing).
    Sending completes the assignment and runs ``decide_submission``.
    Raises PermissionDenied (not hers), Conflict (closed, or attempt not under review).
    """
    _check_reviewer(reviewer, assignment)
    submission = assignment.submission
    _lock(submission)
    db.session.refresh(assignment)
    _check_reviewer(reviewer, assignment)
    if submission.status not in ACTIVE_REVIEW_STATUSES:
        raise Conflict("This attempt is no longer under review.")
    feedback = (feedback or "").strip()
    problems: dict[str, list[str]] = {}
    if len(feedback) > MAX_FEEDBACK_CHARS:
        problems["feedback"] = [f"Keep the overall feedback under {MAX_FEEDBACK_CHARS:,} characters."]
    elif submit and not feedback:
        problems["feedback"] = ["Write a few sentences of overall feedback for the teacher."]
    criteria = rubric_criteria(submission.credential)
    try:
        chosen = _check_scores(criteria, scores, final=submit)
    except ValidationError as exc:
        raise ValidationError(None, exc.message, fields={**exc.fields, **problems}) from None
    if problems:
        raise ValidationError("feedback", problems["feedback"][0])
    review = assignment.review
    if review is None:
        review = Review(assignment=assignment, feedback="")
        db.session.add(review)
    review.feedback = feedback
    existing = {s.criterion_id: s for s in review.scores}
    for criterion_id, (level, comment) in chosen.items():
        row = existing.get(criterion_id)
        if level is None:
            if row is not None:
                review.scores.remove(row)
            continue
        if row is None:
            review.scores.append(ReviewScore(criterion_id=criterion_id, level_id=level.id, comment=comment))
        else:
            row.level_id, row.comment = level.id, comment
    levels = {cid: lv for cid, (lv, _) in chosen.items() if lv is not None}
    review.recommendation = recommendation_for(criteria, levels) if submit else None
    if submission.status is SubmissionStatus.SUBMITTED:
        submission.status = SubmissionStatus.IN_REVIEW
    if submit:
        now = utcnow()
        review.submitted_at = now
        assignment.status = AssignmentStatus.COMPLETED
        assignment.completed_at = now
    db.session.flush()
    if submit:
        record_event(actor=reviewer, action="review.submitted", object_type="review", object_id=review.id,
                     submission_id=submission.id, recommendation=review.recommendation.value)  # type: ignore[union-attr]
        decide_submission(submission, actor=reviewer)
    return review


def decline_assignment(*, reviewer: User, assignment: Assignment, reason: str) -> Assignment:
    """The reviewer gives the assignment back (with a reason); someone else is assigned at once."""
    _check_reviewer(reviewer, assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason", "Say briefly why, so a coach can follow up if needed.")
    if len(reason) > MAX_DECLINE_CHARS:
        raise ValidationError("reason", f"Keep the reason under {MAX_DECLINE_CHARS:,} characters.")
    _lock(assignment.submission)
    assignment.status = AssignmentStatus.DECLINED
    assignment.declined_reason = reason
    assignment.completed_at = utcnow()
    if assignment.review is not None and assignment.review.submitted_at is None:
        db.session.delete(assignment.review)
    db.session.flush()
    record_event(actor=reviewer, action="assignment.declined", object_type="assignment", object_id=assignment.id)
    fill_assignments(assignment.submission)
    return assignment


# --- deciding ---------------------------------------------------------------------------


def _levels_from(reviews: Sequence[Review], criteria: Sequence[Criterion]) -> dict[str, int]:
    """Per criterion, the lowest level the reviews gave (with agreeing peers: the cautious reading)."""
    positions = {lv.id: lv.position for c in criteria for lv in c.levels}
    out: dict[str, int] = {}
    for criterion in criteria:
        given = [s.level_id for r in reviews for s in r.scores if s.criterion_id == criterion.id]
        if given:
            out[str(criterion.id)] = min(given, key=lambda lid: positions.get(lid, 0))
    return out


def decide_submission(submission: Submission, *, actor: User | None) -> Decision | None:
    """Write the attempt's one decision when its policy has what it needs; else ask for what is missing.

    A submitted coach review decides. Otherwise, once the policy's number of
    peer reviews is in: agreeing peers decide (unless the coach rule is
    ``always``); disagreeing peers bring in a coach, or, with the coach rule
    ``never``, the majority of the peers decides (a tie brings in one more peer,
    see ``needs_of``) and the levels are those of the majority's reviews. A pass awards the
    credential; a "not yet" after the last allowed attempt assigns a coach to
    work with the teacher. Returns the decision, or None while waiting.
    """
    _lock(submission)
    existing = _decision_of(submission)
    if existing is not None or submission.status not in ACTIVE_REVIEW_STATUSES:
        return existing
    policy = policy_of(submission.credential)
    assignments = _assignments_of(submission)
    coach_reviews = _submitted_reviews(assignments, ReviewerRole.COACH)
    peer_reviews = _submitted_reviews(assignments, ReviewerRole.PEER)
    criteria = rubric_criteria(submission.credential)
    if coach_reviews:
        basis, deciding = DecisionBasis.COACH, [coach_reviews[-1]]
        decider = coach_reviews[-1].assignment.reviewer
    elif policy.peer_reviews and len(peer_reviews) >= policy.peer_reviews and len(
        {r.recommendation for r in peer_reviews}
    ) == 1 and policy.coach_rule is not CoachRule.ALWAYS:
        basis, deciding, decider = DecisionBasis.PEERS_AGREE, peer_reviews, None
    elif (policy.coach_rule is CoachRule.NEVER and len(peer_reviews) >= policy.peer_reviews
          and (majority := _peer_majority(peer_reviews)) is not None):
        basis, decider = DecisionBasis.PEERS_MAJORITY, None
        deciding = [r for r in peer_reviews if r.recommendation is majority]
    else:
        fill_assignments(submission)
        return None
    outcome = Outcome.PASSED if deciding[0].recommendation is Recommendation.PASS else Outcome.NOT_YET
    now = utcnow()
    decision = Decision(
        submission_id=submission.id, outcome=outcome, basis=basis, decided_by_id=decider.id if decider else None,
        decided_at=now, levels=_levels_from(deciding, criteria),
    )
    try:
        with db.session.begin_nested():
            db.session.add(decision)
    except IntegrityError:
        # Another transaction decided a moment ago: its decision stands.
        return _decision_of(submission)
    submission.status = SubmissionStatus.PASSED if outcome is Outcome.PASSED else SubmissionStatus.NOT_YET
    submission.decided_at = now
    for assignment in assignments:
        if assignment.status is AssignmentStatus.PENDING:
            assignment.status = AssignmentStatus.EXPIRED
            assignment.declined_reason = DECIDED_REASON
    db.session.flush()
    record_event(actor=actor, action="submission.decided", object_type="submission", object_id=submission.id,
                 outcome=outcome.value, basis=basis.value)
    _after_decision(submission, decision, policy)
    _check_agreement([r.assignment.reviewer for r in peer_reviews], submission.credential, policy)
    submission_decided.send(submission, decision=decision)
    return decision


def _after_decision(submission: Submission, decision: Decision, policy: DecisionPolicy) -> None:
    teacher, credential = submission.teacher, submission.credential
    url = notices.path_for("evidence.edit", submission_id=submission.id)
    if decision.outcome is Outcome.PASSED:
        award_credential(submission, actor=decision.decided_by)
        notices.notify(teacher, kind=notices.DECIDED, subject=f"Your evidence passed: {credential.name}",
                       body=f"Your attempt {submission.attempt} at {credential.name} met every criterion.", url=url)
        notices.notify(teacher, kind=notices.AWARDED, subject=f"You earned {credential.name}",
                       body=f"{credential.name} has been awarded to you.", url=url)
        return
    notices.notify(teacher, kind=notices.DECIDED, subject=f"Feedback on your evidence: {credential.name}",
                   body=f"Your attempt {submission.attempt} at {credential.name} is “not yet”. Read the feedback "
                        "for each criterion, revise and resubmit.", url=url)
    used = db.session.scalar(select(func.count(Submission.id)).where(
        Submission.teacher_id == teacher.id, Submission.credential_id == credential.id,
        Submission.status.in_(COUNTED_STATUSES),
    )) or 0
    if used >= policy.max_attempts:
        coaches = eligible_reviewers(submission, ReviewerRole.COACH)
        if coaches:
            coach = coaches[0]
            now = utcnow()
            assignment = Assignment(submission=submission, reviewer=coach, role=ReviewerRole.COACH,
                                    status=AssignmentStatus.PENDING, assigned_at=now,
                                    due_at=now + timedelta(days=policy.review_days))
            db.session.add(assignment)
            db.session.flush()
            notices.notify(coach, kind=notices.COACHING, subject=f"One-to-one coaching: {credential.name}",
                           body=f"{teacher.name} has used all {policy.max_attempts} attempts at {credential.name}. "
                                "Please work with her one-to-one.",
                           url=notices.path_for("reviewers.assignment", assignment_id=assignment.id))


def is_coaching(assignment: Assignment) -> bool:
    """A one-to-one coaching assignment: a coach assigned after the attempt was decided
    (the coach whose review decided it was assigned before)."""
    decided_at = assignment.submission.decided_at
    return (assignment.role is ReviewerRole.COACH and decided_at is not None
            and assignment.assigned_at >= decided_at)


def close_coaching(*, coach: User, assignment: Assignment, note: str) -> Assignment:
    """The coach records that the one-to-one work is done."""
    _check_reviewer(coach, assignment)
    if not is_coaching(assignment):
        raise Conflict("This is a review, not a coaching assignment: send the review instead.")
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = utcnow()
    assignment.declined_reason = (note or "").strip()[:MAX_DECLINE_CHARS] or None
    db.session.flush()
    return assignment


def _check_agreement(reviewers: Sequence[User], credential: Credential, policy: DecisionPolicy) -> None:
    """Peers whose recent agreement with final decisions is below the threshold must recalibrate
    (where the credential has exemplars to calibrate on)."""
    if not reviewers or not _has_exemplars(credential):
        return
    from app.reviewers.agreement import reviewer_exact_agreement

    for reviewer in reviewers:
        share, count = reviewer_exact_agreement(reviewer, credential, window=AGREEMENT_WINDOW)
        if count >= AGREEMENT_MIN_REVIEWS and share < policy.agreement_threshold:
            rows = list(db.session.scalars(select(Qualification).where(
                Qualification.user_id == reviewer.id, Qualification.role == ReviewerRole.PEER,
                Qualification.calibrated_at.is_not(None), _in_scope(credential),
            )))
            for row in rows:
                row.calibrated_at = None
            if rows:
                notices.notify(reviewer, kind=notices.RECALIBRATE, subject=f"Please recalibrate: {credential.name}",
                               body=f"Your recent scores of {credential.name} matched the final decisions on "
                                    f"{share:.0%} of criteria. Score a calibration exemplar before new reviews.",
                               url=notices.path_for("reviewers.calibration", slug=credential.slug))


# --- withdrawals and the sweep ----------------------------------------------------------


def close_for_withdrawal(submission: Submission) -> int:
    """Expire the pending assignments of a withdrawn attempt; returns how many."""
    count = 0
    for assignment in db.session.scalars(select(Assignment).where(
        Assignment.submission_id == submission.id, Assignment.status == AssignmentStatus.PENDING
    )):
        assignment.status = AssignmentStatus.EXPIRED
        assignment.declined_reason = WITHDRAWN_REASON
        count += 1
    db.session.flush()
    return count


@dataclass
class SweepReport:
    expired: int = 0
    reminded: int = 0
    assigned: int = 0
    still_unassigned: int = 0
    mailed: int = 0
    details: list[str] = field(default_factory=list)


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Expire overdue review assignments and reassign them, remind reviewers whose work is due
    soon (once), fill attempts still waiting for reviewers, and send queued mail. Idempotent:
    a second run at the same moment changes nothing."""
    now = now or utcnow()
    report = SweepReport()
    overdue = list(db.session.scalars(
        select(Assignment).join(Assignment.submission)
        .where(Assignment.status == AssignmentStatus.PENDING, Assignment.due_at < now,
               Submission.status.in_(ACTIVE_REVIEW_STATUSES))
        .options(selectinload(Assignment.review), selectinload(Assignment.reviewer))
    ))
    for assignment in overdue:
        assignment.status = AssignmentStatus.EXPIRED
        assignment.declined_reason = "Not finished by the due date."
        if assignment.review is not None and assignment.review.submitted_at is None:
            db.session.delete(assignment.review)
        notices.notify(assignment.reviewer, kind=notices.EXPIRED, subject="A review assignment expired",
                       body="It was not finished by its due date and has been given to another reviewer.")
        report.expired += 1
    db.session.flush()
    soon = list(db.session.scalars(
        select(Assignment).join(Assignment.submission)
        .where(Assignment.status == AssignmentStatus.PENDING, Assignment.reminded_at.is_(None),
               Assignment.due_at >= now, Assignment.due_at <= now + DUE_SOON,
               Submission.status.in_(ACTIVE_REVIEW_STATUSES))
        .options(selectinload(Assignment.reviewer))
    ))
    for assignment in soon:
        assignment.reminded_at = now
        notices.notify(assignment.reviewer, kind=notices.DUE_SOON, subject="A review is due soon",
                       body=f"Your review is due {assignment.due_at:%d %B %Y, %H:%M} UTC.",
                       url=notices.path_for("reviewers.assignment", assignment_id=assignment.id))
        report.reminded += 1
    db.session.flush()
    waiting = list(db.session.scalars(
        select(Submission).where(Submission.status.in_(ACTIVE_REVIEW_STATUSES)).order_by(Submission.submitted_at)
    ))
    for submission in waiting:
        created = fill_assignments(submission, now=now)
        report.assigned += len(created)
        if needs_of(submission, _assignments_of(submission)).any:
            report.still_unassigned += 1
    db.session.flush()
    report.mailed = deliver_outbox()
    return report


# --- calibration ------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationStatus:
    """Where a peer stands on one credential's calibration."""

    required: bool
    calibrated: bool
    may_review: bool
    retry_at: datetime | None = None
    last: CalibrationAttempt | None = None


def _peer_rows(user: User, credential: Credential) -> list[Qualification]:
    return list(db.session.scalars(select(Qualification).where(
        Qualification.user_id == user.id, Qualification.role == ReviewerRole.PEER, _in_scope(credential),
    )))


def may_peer_review(user: User, credential: Credential, *, now: datetime | None = None) -> bool:
    """Whether ``user`` is a peer of ``credential`` by grant or active award (calibration aside)."""
    now = now or utcnow()
    return bool(db.session.scalar(
        select(exists(select(User.id).where(User.id == user.id, _qualified(credential, ReviewerRole.PEER, now,
                                                                          calibrated=False))))
    ))


def calibration_status(user: User, credential: Credential, *, now: datetime | None = None) -> CalibrationStatus:
    now = now or utcnow()
    may = may_peer_review(user, credential, now=now)
    required = _has_exemplars(credential)
    calibrated = any(r.active and r.calibrated_at for r in _peer_rows(user, credential))
    last = db.session.scalar(
        select(CalibrationAttempt).join(CalibrationAttempt.exemplar)
        .where(CalibrationAttempt.user_id == user.id, CalibrationExemplar.credential_id.in_(_same_slug(credential)))
        .order_by(CalibrationAttempt.created_at.desc(), CalibrationAttempt.id.desc()).limit(1)
    )
    return CalibrationStatus(required=required, calibrated=calibrated or not required, may_review=may,
                             retry_at=_retry_at(last, credential, now), last=last)


def _retry_at(last: CalibrationAttempt | None, credential: Credential, now: datetime) -> datetime | None:
    """When she may try again after a miss (None: now, or no miss to wait for)."""
    if last is None or last.passed:
        return None
    retry_at = last.created_at + timedelta(hours=policy_of(credential).calibration_retry_hours)
    return retry_at if retry_at > now else None


def next_exemplar(user: User, credential: Credential) -> CalibrationExemplar | None:
    """The exemplar to score next: one she has not tried yet, else the one tried longest ago."""
    exemplars = list(db.session.scalars(
        select(CalibrationExemplar).where(CalibrationExemplar.credential_id.in_(_same_slug(credential)))
        .options(selectinload(CalibrationExemplar.reference_levels))
        .order_by(CalibrationExemplar.id)
    ))
    if not exemplars:
        return None
    tried: dict[int, datetime] = dict(db.session.execute(
        select(CalibrationAttempt.exemplar_id, func.max(CalibrationAttempt.created_at))
        .where(CalibrationAttempt.user_id == user.id, CalibrationAttempt.exemplar_id.in_([e.id for e in exemplars]))
        .group_by(CalibrationAttempt.exemplar_id)
    ).all())
    return min(exemplars, key=lambda e: (e.id in tried, tried.get(e.id) or utcnow(), e.id))


def compare_to_reference(
    criteria: Sequence[Criterion], chosen: Mapping[int, int], reference: Mapping[int, int]
) -> tuple[float, int]:
    """(share of criteria at the exact reference level, largest gap in levels) over the rubric's criteria."""
    positions = {lv.id: lv.position for c in criteria for lv in c.levels}
    exact, gap, counted = 0, 0, 0
    for criterion in criteria:
        ref = reference.get(criterion.id)
        if ref is None:
            continue
        counted += 1
        mine = chosen.get(criterion.id)
        if mine is None:
            gap = max(gap, len(criterion.levels))
            continue
        diff = abs(positions[mine] - positions[ref])
        exact += diff == 0
        gap = max(gap, diff)
    return (exact / counted if counted else 0.0), gap


def record_calibration(
    *, reviewer: User, exemplar: CalibrationExemplar, levels: Mapping[int, int | None], now: datetime | None = None,
) -> CalibrationAttempt:
    """Score an exemplar and compare with its reference levels by the policy's tolerance.

    A pass marks her peer qualification calibrated (creating an award-based row
    when she qualifies by award). A miss allows another try after the policy's
    wait. Raises PermissionDenied (not a peer of the credential), Conflict
    (still waiting), ValidationError (a criterion without a level).
    """
    now = now or utcnow()
    credential = exemplar.credential
    if not may_peer_review(reviewer, credential, now=now):
        raise PermissionDenied("Only peers of this credential (by award or grant) calibrate on it.")
    status = calibration_status(reviewer, credential, now=now)
    if status.retry_at is not None:
        raise Conflict(f"You can try again from {status.retry_at:%d %B %Y, %H:%M} UTC.")
    criteria = rubric_criteria(credential)
    chosen = _check_scores(criteria, [ScoreInput(cid, lid) for cid, lid in levels.items()], final=False)
    missing = {f"criterion-{c.id}": [f"Choose a level for “{c.name}”."] for c in criteria if chosen.get(c.id, (None,))[0] is None}
    if missing:
        raise ValidationError(None, "Choose a level for every criterion.", fields=missing)
    picked = {cid: lv.id for cid, (lv, _) in chosen.items() if lv is not None}
    reference = {r.criterion_id: r.level_id for r in exemplar.reference_levels}
    share, gap = compare_to_reference(criteria, picked, reference)
    policy = policy_of(credential)
    passed = share >= policy.calibration_exact_share and gap <= policy.calibration_max_gap
    attempt = CalibrationAttempt(user_id=reviewer.id, exemplar_id=exemplar.id, scores={str(k): v for k, v in picked.items()},
                                 exact_share=share, max_gap=gap, passed=passed, created_at=now)
    db.session.add(attempt)
    if passed:
        rows = [r for r in _peer_rows(reviewer, credential) if r.active]
        if not rows:
            rows = [Qualification(user_id=reviewer.id, credential_id=credential.id, role=ReviewerRole.PEER,
                                  source=QualificationSource.AWARD, active=True)]
            db.session.add(rows[0])
        for row in rows:
            row.calibrated_at = now
    db.session.flush()
    record_event(actor=reviewer, action="calibration.attempted", object_type="calibration_attempt",
                 object_id=attempt.id, passed=passed, exact_share=share, max_gap=gap)
    return attempt


# --- reading ------------------------------------------------------------------------------


def get_assignment_or_403(user: User, assignment_id: int) -> Assignment:
    """The assignment, if it is ``user``'s own. Raises NotFound or PermissionDenied."""
    assignment = db.session.get(Assignment, assignment_id, options=[
        selectinload(Assignment.submission).selectinload(Submission.credential),
        selectinload(Assignment.review).selectinload(Review.scores),
    ])
    if assignment is None:
        raise NotFound("There is no such assignment.")
    if assignment.reviewer_id != user.id:
        raise PermissionDenied("This review is assigned to someone else.")
    return assignment


def my_assignments(user: User, *, open_only: bool = False) -> list[Assignment]:
    """Her assignments: open ones due soonest first, then the closed ones newest first."""
    query = (
        select(Assignment).where(Assignment.reviewer_id == user.id)
        .options(selectinload(Assignment.submission).selectinload(Submission.credential),
                 selectinload(Assignment.review))
    )
    if open_only:
        query = query.where(Assignment.status == AssignmentStatus.PENDING)
    rows = list(db.session.scalars(query.order_by(Assignment.due_at, Assignment.id)))
    pending = [a for a in rows if a.status is AssignmentStatus.PENDING]
    closed = sorted((a for a in rows if a.status is not AssignmentStatus.PENDING),
                    key=lambda a: (a.completed_at or a.assigned_at), reverse=True)
    return pending + closed


def other_reviews(assignment: Assignment) -> list[Review]:
    """The other submitted reviews of the same attempt: to a peer only once her own is in; a coach
    (who breaks disagreements) sees them from the start."""
    if assignment.status is not AssignmentStatus.COMPLETED and assignment.role is not ReviewerRole.COACH:
        return []
    return list(db.session.scalars(
        select(Review).join(Review.assignment)
        .where(Assignment.submission_id == assignment.submission_id, Assignment.id != assignment.id,
               Review.submitted_at.is_not(None))
        .options(selectinload(Review.scores), selectinload(Review.assignment).selectinload(Assignment.reviewer))
        .order_by(Review.submitted_at)
    ))


def overdue_assignments(*, actor: User, now: datetime | None = None) -> list[Assignment]:
    _check_overseer(actor)
    now = now or utcnow()
    sub_ids = _overseen(actor, select(Submission.id))
    return list(db.session.scalars(
        select(Assignment).where(Assignment.status == AssignmentStatus.PENDING, Assignment.due_at < now,
                                 Assignment.submission_id.in_(sub_ids))
        .options(selectinload(Assignment.reviewer), selectinload(Assignment.submission).selectinload(Submission.credential))
        .order_by(Assignment.due_at)
    ))


def disagreements(*, actor: User) -> list[Submission]:
    """Undecided attempts whose submitted peer reviews disagree (a coach breaks the tie), leaving
    out credentials whose coach rule is ``never`` (there one more peer breaks it)."""
    _check_overseer(actor)
    rows = list(db.session.scalars(
        _overseen(actor, select(Submission).where(Submission.status == SubmissionStatus.IN_REVIEW))
        .options(selectinload(Submission.credential).selectinload(Credential.policy))
        .order_by(Submission.submitted_at)
    ))
    by_submission = _assignments_by_submission([s.id for s in rows])
    return [
        s for s in rows
        if policy_of(s.credential).coach_rule is not CoachRule.NEVER
        and len({r.recommendation for r in _submitted_reviews(by_submission.get(s.id, []), ReviewerRole.PEER)}) > 1
    ]


def open_load(user: User) -> int:
    return db.session.scalar(select(func.count(Assignment.id)).where(
        Assignment.reviewer_id == user.id, Assignment.status == AssignmentStatus.PENDING
    )) or 0


def reviewable_credentials(user: User) -> list[Credential]:
    """The newest published micro credentials she is a peer of (by grant or active award),
    for her calibration status. A fixed number of queries."""
    now = utcnow()
    rows = list(db.session.scalars(select(Qualification).where(
        Qualification.user_id == user.id, Qualification.role == ReviewerRole.PEER
    ).options(selectinload(Qualification.credential))))
    blocked = {r.credential.slug for r in rows if not r.active and r.credential}
    slugs = {r.credential.slug for r in rows if r.active and r.credential}
    frameworks = [r.framework_id for r in rows if r.active and r.framework_id]
    slugs |= set(db.session.scalars(
        select(Credential.slug).join(Award, Award.credential_id == Credential.id).where(
            Award.recipient_id == user.id, Award.revoked_at.is_(None),
            or_(Award.expires_at.is_(None), Award.expires_at > now),
        )
    )) - blocked
    in_framework = select(credential_competency.c.credential_id).join(
        Competency, Competency.id == credential_competency.c.competency_id
    ).where(Competency.framework_id.in_(frameworks or [-1]))
    found = db.session.scalars(
        select(Credential).where(
            Credential.published.is_(True), Credential.kind == CredentialKind.MICRO,
            or_(Credential.slug.in_(slugs or [""]), Credential.id.in_(in_framework)),
        ).options(selectinload(Credential.policy)).order_by(Credential.name, Credential.version.desc())
    )
    newest: dict[str, Credential] = {}
    for credential in found:
        newest.setdefault(credential.slug, credential)
    return list(newest.values())


def calibration_overview(user: User, *, now: datetime | None = None) -> list[tuple[Credential, CalibrationStatus]]:
    """Her calibration status on every credential she peer-reviews, in a fixed number of queries."""
    now = now or utcnow()
    credentials = reviewable_credentials(user)
    if not credentials:
        return []
    slugs = [c.slug for c in credentials]
    with_exemplars = set(db.session.scalars(
        select(Credential.slug).join(CalibrationExemplar, CalibrationExemplar.credential_id == Credential.id)
        .where(Credential.slug.in_(slugs))
    ))
    rows = list(db.session.scalars(select(Qualification).where(
        Qualification.user_id == user.id, Qualification.role == ReviewerRole.PEER, Qualification.active.is_(True),
    ).options(selectinload(Qualification.credential))))
    calibrated_slugs = {r.credential.slug for r in rows if r.credential and r.calibrated_at}
    calibrated_frameworks = {r.framework_id for r in rows if r.framework_id and r.calibrated_at}
    framework_of = dict(db.session.execute(
        select(credential_competency.c.credential_id, Competency.framework_id)
        .join(Competency, Competency.id == credential_competency.c.competency_id)
        .where(credential_competency.c.credential_id.in_([c.id for c in credentials]))
    ).all())
    attempts = db.session.execute(
        select(Credential.slug, CalibrationAttempt)
        .join(CalibrationExemplar, CalibrationExemplar.id == CalibrationAttempt.exemplar_id)
        .join(Credential, Credential.id == CalibrationExemplar.credential_id)
        .where(CalibrationAttempt.user_id == user.id, Credential.slug.in_(slugs))
        .order_by(CalibrationAttempt.created_at, CalibrationAttempt.id)
    ).all()
    last = {slug: attempt for slug, attempt in attempts}
    out = []
    for credential in credentials:
        required = credential.slug in with_exemplars
        calibrated = credential.slug in calibrated_slugs or framework_of.get(credential.id) in calibrated_frameworks
        attempt = last.get(credential.slug)
        out.append((credential, CalibrationStatus(required=required, calibrated=calibrated or not required,
                                                  may_review=True, retry_at=_retry_at(attempt, credential, now),
                                                  last=attempt)))
    return out
