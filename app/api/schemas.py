"""Allow-list schemas for API input and output (marshmallow; unknown input fields are refused)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.errors import ErrorSchema as ErrorEnvelope  # noqa: F401  (re-exported for the API modules)


class TokenRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    name = fields.String(validate=validate.Length(max=100), load_default="")
    scopes = fields.List(fields.String(validate=validate.OneOf(["read", "write", "verify"])))
    days = fields.Integer(validate=validate.Range(min=1, max=365))


class TokenResponse(Schema):
    token = fields.String(required=True, metadata={"description": "Shown once; store it safely."})
    expires_at = fields.DateTime(required=True)
    scopes = fields.List(fields.String())


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    roles = fields.Method("_roles")
    organization = fields.Function(lambda u: u.organization.name if u.organization else None)
    school = fields.Function(lambda u: u.school.name if u.school else None)

    def _roles(self, user) -> list[str]:
        return sorted(r.value for r in user.roles)


class CompetencyBrief(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    domain = fields.String()


class CompetencyOut(CompetencyBrief):
    framework = fields.Function(lambda c: c.framework.name)


class CredentialSummary(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer()
    name = fields.String()
    kind = fields.Function(lambda c: c.kind.value)
    summary = fields.String()
    tags = fields.List(fields.String())
    estimated_hours = fields.Integer(allow_none=True)
    validity_months = fields.Integer(allow_none=True)
    issuer = fields.Function(lambda c: c.issuer.name)
    competencies = fields.List(fields.Nested(CompetencyBrief))


class CatalogQuery(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    competency = fields.Integer(load_default=None)
    domain = fields.String(load_default="")
    kind = fields.String(load_default="", validate=validate.OneOf(["", "micro", "stack"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CatalogPage(Schema):
    items = fields.List(fields.Nested(CredentialSummary))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


class LevelOut(Schema):
    id = fields.Integer()
    label = fields.String()
    points = fields.Integer()
    descriptor = fields.String()
    is_pass = fields.Boolean()


class CriterionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    levels = fields.List(fields.Nested(LevelOut))
    requirement_ids = fields.Function(lambda c: [r.id for r in c.requirements])


class RequirementOut(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda r: r.kind.value)
    title = fields.String()
    prompt = fields.String()
    guidance = fields.String()
    required = fields.Boolean()
    accepted_types = fields.List(fields.String())
    max_files = fields.Integer()


class PolicyOut(Schema):
    peer_reviews = fields.Integer()
    coach_rule = fields.Function(lambda p: p.coach_rule.value)
    review_days = fields.Integer()
    max_attempts = fields.Integer()


class CredentialDetail(CredentialSummary):
    description = fields.String()
    criteria = fields.String(attribute="criteria_md")
    competencies = fields.List(fields.Nested(CompetencyOut))
    requirements = fields.List(fields.Nested(RequirementOut))
    rubric = fields.Function(
        lambda c: {"criteria": CriterionOut(many=True).dump(c.rubric.criteria)} if c.rubric else None
    )
    policy = fields.Nested(PolicyOut, allow_none=True)
    stack = fields.Method("_stack")

    def _stack(self, credential):
        if not credential.is_stack:
            return None
        return {
            "rule": credential.stack_rule.value if credential.stack_rule else None,
            "required_count": credential.stack_required_count or len(credential.stack_components),
            "components": [
                {"id": sc.component.id, "slug": sc.component.slug, "name": sc.component.name}
                for sc in credential.stack_components
            ],
        }


class SubmissionCreate(Schema):
    credential_id = fields.Integer(required=True)


class MeasureIO(Schema):
    measure = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit = fields.String(load_default="", validate=validate.Length(max=60))
    before = fields.Float(required=True, allow_nan=False)
    after = fields.Float(required=True, allow_nan=False)
    higher_is_better = fields.Boolean(load_default=True)
    students = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0))
    period_start = fields.Date(allow_none=True, load_default=None)
    period_end = fields.Date(allow_none=True, load_default=None)
    change = fields.Function(lambda m: m.after - m.before, dump_only=True)


class ArtifactIn(Schema):
    requirement_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["text", "link", "data"]))
    text = fields.String(validate=validate.Length(max=20_000))
    url = fields.String(validate=validate.Length(max=2000))
    title = fields.String(validate=validate.Length(max=300), load_default="")
    rows = fields.List(fields.Nested(MeasureIO), validate=validate.Length(max=50))


class ArtifactOut(Schema):
    id = fields.Integer()
    requirement_id = fields.Integer()
    kind = fields.Function(lambda a: a.kind.value)
    text = fields.String(attribute="text_md", allow_none=True)
    url = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    original_name = fields.Method("_file_name", metadata={
        "description": "The teacher's file name for her and admins; a neutral evidence-<id>.<ext> for reviewers"})
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    carried_forward = fields.Function(lambda a: a.carried_from_id is not None)
    rows = fields.List(fields.Nested(MeasureIO), attribute="measures")
    download_url = fields.Method("_download_url")

    def _file_name(self, artifact) -> str | None:
        from flask import g

        from app.evidence.policies import file_name_for

        return file_name_for(g.get("api_user"), artifact)

    def _download_url(self, artifact) -> str | None:
        from flask import url_for

        return url_for("api.download_artifact", artifact_id=artifact.id) if artifact.storage_key else None


class AttemptBrief(Schema):
    id = fields.Integer()
    attempt = fields.Integer()
    status = fields.Function(lambda s: s.status.value)
    submitted_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class CriterionFeedbackOut(Schema):
    criterion = fields.String()
    level = fields.String()
    comment = fields.String()
    passed = fields.Boolean(allow_none=True)


class FeedbackOut(Schema):
    outcome = fields.String(metadata={"description": "passed or not_yet"})
    decided_at = fields.DateTime(allow_none=True)
    feedback = fields.List(fields.String(), attribute="feedback_md",
                           metadata={"description": "Overall feedback (Markdown), one entry per reviewer"})
    criteria = fields.List(fields.Nested(CriterionFeedbackOut))


class SubmissionOut(Schema):
    id = fields.Integer()
    credential_id = fields.Integer()
    credential = fields.Function(lambda s: {"id": s.credential.id, "slug": s.credential.slug, "name": s.credential.name})
    attempt = fields.Integer()
    status = fields.Function(lambda s: s.status.value)
    change_note = fields.String()
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    previous_id = fields.Integer(allow_none=True)
    artifacts = fields.List(fields.Nested(ArtifactOut))
    missing = fields.Method("_missing", metadata={"description": "Required parts still without evidence (drafts)"})
    attempts = fields.Method("_attempts", metadata={"description": "Every attempt of this teacher at this credential"})
    decision = fields.Method(
        "_decision", metadata={"description": "Once decided: the outcome, overall feedback and feedback per criterion"}
    )

    def _missing(self, submission) -> dict[str, str]:
        from app.evidence.services import missing_parts

        if submission.status.value != "draft":
            return {}
        return {f"requirement-{rid}": message for rid, message in missing_parts(submission).items()}

    def _decision(self, submission) -> dict | None:
        from app.evidence.services import AttemptFeedback, attempt_feedback

        if submission.status.value not in ("passed", "not_yet"):
            return None
        feedback = attempt_feedback([submission]).get(submission.id)
        # Decided but without registered feedback (no review workflow yet): the outcome alone.
        return FeedbackOut().dump(
            feedback or AttemptFeedback(outcome=submission.status.value, decided_at=submission.decided_at)
        )

    def _attempts(self, submission) -> list[dict]:
        from sqlalchemy import select

        from app.evidence.models import Submission
        from app.extensions import db

        rows = db.session.scalars(
            select(Submission)
            .where(Submission.teacher_id == submission.teacher_id, Submission.credential_id == submission.credential_id)
            .order_by(Submission.attempt)
        )
        return AttemptBrief(many=True).dump(rows)


class SubmissionSummary(SubmissionOut):
    # The per-attempt extras cost a query each; the list leaves them to GET /submissions/{id}.
    class Meta:
        exclude = ("attempts", "missing", "decision")


class SubmissionPage(Schema):
    items = fields.List(fields.Nested(SubmissionSummary))


class ResubmitIn(Schema):
    keep_artifact_ids = fields.List(fields.Integer(), load_default=list)
    change_note = fields.String(load_default="", validate=validate.Length(max=5000))


# --- the review workflow ------------------------------------------------------------------


class ScoreIO(Schema):
    criterion_id = fields.Integer(required=True)
    level_id = fields.Integer(required=True, allow_none=True)
    comment = fields.String(load_default="", validate=validate.Length(max=5000))


class ReviewIn(Schema):
    scores = fields.List(fields.Nested(ScoreIO), required=True, validate=validate.Length(max=100))
    feedback = fields.String(load_default="", validate=validate.Length(max=10000))
    draft = fields.Boolean(load_default=False, metadata={"description": "Save without sending (levels may be missing)"})


class DeclineIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ReviewOut(Schema):
    id = fields.Integer()
    feedback = fields.String()
    recommendation = fields.Function(lambda r: r.recommendation.value if r.recommendation else None)
    submitted_at = fields.DateTime(allow_none=True)
    scores = fields.List(fields.Nested(ScoreIO))


class AssignmentOut(Schema):
    id = fields.Integer()
    role = fields.Function(lambda a: a.role.value)
    status = fields.Function(lambda a: a.status.value)
    assigned_at = fields.DateTime()
    due_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    submission_id = fields.Integer()
    attempt = fields.Function(lambda a: a.submission.attempt)
    credential = fields.Function(lambda a: {"id": a.submission.credential.id, "slug": a.submission.credential.slug,
                                            "name": a.submission.credential.name})
    teacher = fields.Method("_teacher", metadata={"description": "Coaches only; peer review is blind (null)"})

    def _teacher(self, assignment) -> dict | None:
        if assignment.role.value != "coach":
            return None
        teacher = assignment.submission.teacher
        return {"id": teacher.id, "name": teacher.name, "email": teacher.email}


class AssignmentPage(Schema):
    items = fields.List(fields.Nested(AssignmentOut))


class OtherReviewOut(ReviewOut):
    role = fields.Function(lambda r: r.assignment.role.value)


class AssignmentDetail(AssignmentOut):
    change_note = fields.Function(lambda a: a.submission.change_note)
    requirements = fields.Function(lambda a: RequirementOut(many=True).dump(a.submission.credential.requirements))
    artifacts = fields.Function(lambda a: ArtifactOut(many=True).dump(a.submission.artifacts))
    rubric = fields.Function(lambda a: {"criteria": CriterionOut(many=True).dump(a.submission.credential.rubric.criteria)}
                             if a.submission.credential.rubric else None)
    review = fields.Function(lambda a: ReviewOut().dump(a.review) if a.review else None)
    other_reviews = fields.Method("_others", metadata={"description": "Shown only once the caller's own review is in"})

    def _others(self, assignment) -> list[dict]:
        from app.reviewers.services import other_reviews

        return OtherReviewOut(many=True).dump(other_reviews(assignment))
