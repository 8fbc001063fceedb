"""The credential document: one JSON shape for exchanging a credential between deployments
(export/import) and for creating and updating one through the API.

Allow-list marshmallow schemas: unknown fields are refused. Requirements and
criteria carry ``key``s so criteria and exemplars can refer to them before any
row (or id) exists; competencies are named by framework slug and code, and
carry enough to recreate the framework in a database that lacks it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from app.credentials.models import CoachRule, CredentialKind, RequirementKind, StackRule
from app.errors import ValidationError
from app.learning.models import SectionKind
from app.uploads import KINDS as FILE_KINDS

FORMAT = "mastery-credential"
FORMAT_VERSION = 1


def _values(enum_cls) -> list[str]:
    return [m.value for m in enum_cls]


class _Strict(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class FrameworkRef(_Strict):
    slug = fields.String(required=True, validate=validate.Length(min=1, max=80))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    source_identifier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    source_uri = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class CompetencyRef(_Strict):
    framework = fields.Nested(FrameworkRef, required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    domain = fields.String(load_default="", validate=validate.Length(max=120))
    external_url = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))
    source_identifier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    source_uri = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class SectionDoc(_Strict):
    kind = fields.String(load_default="other", validate=validate.OneOf(_values(SectionKind)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body_md = fields.String(load_default="", validate=validate.Length(max=50_000))


class ModuleDoc(_Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="")
    estimated_hours = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=500))
    sections = fields.List(fields.Nested(SectionDoc), load_default=list, validate=validate.Length(max=50))


class RequirementDoc(_Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=40))
    kind = fields.String(required=True, validate=validate.OneOf(_values(RequirementKind)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=5_000))
    guidance = fields.String(load_default="", validate=validate.Length(max=5_000))
    required = fields.Boolean(load_default=True)
    accepted_types = fields.List(fields.String(validate=validate.OneOf(FILE_KINDS)), load_default=list)
    max_files = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))


class LevelDoc(_Strict):
    label = fields.String(required=True, validate=validate.Length(min=1, max=80))
    points = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000))
    descriptor = fields.String(load_default="", validate=validate.Length(max=5_000))
    is_pass = fields.Boolean(load_default=False)


class CriterionDoc(_Strict):
    key = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    requirements = fields.List(fields.String(), load_default=list, metadata={"description": "Keys of the requirements it judges"})
    levels = fields.List(fields.Nested(LevelDoc), load_default=list, metadata={"description": "Left to right; one is_pass"})


class RubricDoc(_Strict):
    criteria = fields.List(fields.Nested(CriterionDoc), load_default=list, validate=validate.Length(max=20))


class PolicyDoc(_Strict):
    peer_reviews = fields.Integer(load_default=2, validate=validate.Range(min=0, max=3))
    coach_rule = fields.String(load_default="on_disagreement", validate=validate.OneOf(_values(CoachRule)))
    review_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=90))
    max_attempts = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))
    exclude_same_school = fields.Boolean(load_default=True)
    allow_cross_organization = fields.Boolean(load_default=False)
    calibration_exact_share = fields.Float(load_default=0.75, validate=validate.Range(min=0, max=1))
    calibration_max_gap = fields.Integer(load_default=1, validate=validate.Range(min=0, max=8))
    calibration_retry_hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=720))


class ExemplarLevelDoc(_Strict):
    criterion = fields.String(required=True, metadata={"description": "A criterion key"})
    level = fields.String(required=True, metadata={"description": "The label of one of its levels"})
    rationale = fields.String(load_default="")


class ExemplarDoc(_Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body_md = fields.String(required=True, validate=validate.Length(min=1, max=50_000))
    levels = fields.List(fields.Nested(ExemplarLevelDoc), load_default=list)


class StackDoc(_Strict):
    rule = fields.String(required=True, validate=validate.OneOf(_values(StackRule)))
    required_count = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    components = fields.List(fields.String(), required=True, metadata={"description": "Slugs of published microcredentials"})


class IssuerDoc(_Strict):
    name = fields.String(validate=validate.Length(max=200))
    url = fields.String(validate=validate.Length(max=500))
    email = fields.String(validate=validate.Length(max=320))


class CredentialDocument(_Strict):
    """A whole credential definition. On import the issuer is the importing organization;
    ``issuer`` and ``version`` are informational."""

    format = fields.String(load_default=FORMAT, validate=validate.Equal(FORMAT))
    format_version = fields.Integer(load_default=FORMAT_VERSION, validate=validate.Equal(FORMAT_VERSION))
    slug = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$"))
    version = fields.Integer(allow_none=True, load_default=None, metadata={"description": "Informational on import"})
    kind = fields.String(load_default="micro", validate=validate.OneOf(_values(CredentialKind)))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=500))
    description = fields.String(load_default="")
    criteria_md = fields.String(load_default="")
    tags = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    estimated_hours = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=500))
    validity_months = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=240))
    credit = fields.String(load_default="", validate=validate.Length(max=500),
                           metadata={"description": "Who the credential was adapted from, if anyone"})
    issuer = fields.Nested(IssuerDoc, allow_none=True, load_default=None,
                           metadata={"description": "Informational: the importing organization becomes the issuer"})
    competencies = fields.List(fields.Nested(CompetencyRef), load_default=list)
    competency_ids = fields.List(fields.Integer(), load_only=True, load_default=list,
                                 metadata={"description": "API only: align to competencies of this deployment by id"})
    module = fields.Nested(ModuleDoc, allow_none=True, load_default=None)
    module_id = fields.Integer(load_only=True, allow_none=True, load_default=None,
                               metadata={"description": "API only: one of your organization's modules, instead of `module`"})
    requirements = fields.List(fields.Nested(RequirementDoc), load_default=list, validate=validate.Length(max=20))
    rubric = fields.Nested(RubricDoc, allow_none=True, load_default=None)
    policy = fields.Nested(PolicyDoc, allow_none=True, load_default=None)
    exemplars = fields.List(fields.Nested(ExemplarDoc), load_default=list)
    stack = fields.Nested(StackDoc, allow_none=True, load_default=None)


def parse_document(payload: Any) -> dict[str, Any]:
    """Validate a credential document (already decoded JSON). Raises ValidationError('file')
    with the schema's messages per field."""
    if not isinstance(payload, dict):
        raise ValidationError("file", "A credential document is a JSON object.")
    try:
        return CredentialDocument().load(payload)
    except SchemaError as exc:
        flat = _flatten(exc.messages)
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in list(flat.items())[:5])
        raise ValidationError("file", f"This is not a valid credential document ({detail}).", fields=flat) from None


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(_flatten(value, f"{prefix}.{i}"))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
