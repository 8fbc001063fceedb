"""A credential as one JSON document (``authoring.document``): export it, build one from it.

``apply_document`` is also how a new version and an adapted copy are made
(export, then build into the new row), so a deep copy and an exchange between
deployments are the same code and cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.credentials.authoring.document import FORMAT, FORMAT_VERSION
from app.credentials.authoring.services import credentials as editors
from app.credentials.authoring.services.common import audit, check_slug, own
from app.credentials.authoring.services.modules import SectionData, create_module
from app.credentials.models import (
    CalibrationExemplar,
    CoachRule,
    Competency,
    Credential,
    CredentialKind,
    Criterion,
    DecisionPolicy,
    ExemplarLevel,
    Framework,
    Level,
    Requirement,
    RequirementKind,
    Rubric,
    StackComponent,
    StackRule,
)
from app.errors import ValidationError
from app.extensions import db
from app.learning.models import Module, SectionKind

#: ``apply_document(module=KEEP)`` leaves the credential's module as it is.
KEEP = object()


def _req_key(position: int) -> str:
    return f"r{position + 1}"


def _crit_key(position: int) -> str:
    return f"c{position + 1}"


def export_document(credential: Credential) -> dict[str, Any]:
    """The whole definition of one credential version (load it with ``editors.full_options()``)."""
    requirement_keys = {r.id: _req_key(i) for i, r in enumerate(credential.requirements)}
    criteria = list(credential.rubric.criteria) if credential.rubric else []
    criterion_keys = {c.id: _crit_key(i) for i, c in enumerate(criteria)}
    level_labels = {lv.id: lv.label for c in criteria for lv in c.levels}
    module = credential.module
    policy = credential.policy
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "slug": credential.slug,
        "version": credential.version,
        "kind": credential.kind.value,
        "name": credential.name,
        "summary": credential.summary,
        "description": credential.description,
        "criteria_md": credential.criteria_md,
        "tags": list(credential.tags or []),
        "estimated_hours": credential.estimated_hours,
        "validity_months": credential.validity_months,
        "credit": credential.source_credit or "",
        "issuer": {"name": credential.issuer.name, "url": credential.issuer.url, "email": credential.issuer.email},
        "competencies": [
            {
                "framework": {
                    "slug": c.framework.slug, "name": c.framework.name, "description": c.framework.description,
                    "source_identifier": c.framework.source_identifier, "source_uri": c.framework.source_uri,
                },
                "code": c.code, "name": c.name, "description": c.description, "domain": c.domain,
                "external_url": c.external_url, "source_identifier": c.source_identifier, "source_uri": c.source_uri,
            }
            for c in credential.competencies
        ],
        "module": None if module is None else {
            "title": module.title, "summary": module.summary, "estimated_hours": module.estimated_hours,
            "sections": [{"kind": s.kind.value, "title": s.title, "body_md": s.body_md} for s in module.sections],
        },
        "requirements": [
            {
                "key": requirement_keys[r.id], "kind": r.kind.value, "title": r.title, "prompt": r.prompt,
                "guidance": r.guidance, "required": r.required, "accepted_types": list(r.accepted_types or []),
                "max_files": r.max_files,
            }
            for r in credential.requirements
        ],
        "rubric": None if credential.rubric is None else {
            "criteria": [
                {
                    "key": criterion_keys[c.id], "name": c.name, "description": c.description,
                    "requirements": [requirement_keys[r.id] for r in sorted(c.requirements, key=lambda r: r.position)
                                     if r.id in requirement_keys],
                    "levels": [
                        {"label": lv.label, "points": lv.points, "descriptor": lv.descriptor, "is_pass": lv.is_pass}
                        for lv in c.levels
                    ],
                }
                for c in criteria
            ]
        },
        "policy": None if policy is None else {
            "peer_reviews": policy.peer_reviews, "coach_rule": policy.coach_rule.value,
            "review_days": policy.review_days, "max_attempts": policy.max_attempts,
            "exclude_same_school": policy.exclude_same_school,
            "allow_cross_organization": policy.allow_cross_organization,
            "calibration_exact_share": policy.calibration_exact_share,
            "calibration_max_gap": policy.calibration_max_gap,
            "calibration_retry_hours": policy.calibration_retry_hours,
        },
        "exemplars": [
            {
                "title": e.title, "body_md": e.body_md,
                "levels": [
                    {"criterion": criterion_keys[el.criterion_id], "level": level_labels[el.level_id],
                     "rationale": el.rationale}
                    for el in sorted(e.reference_levels, key=lambda el: list(criterion_keys).index(el.criterion_id))
                    if el.criterion_id in criterion_keys and el.level_id in level_labels
                ],
            }
            for e in sorted(credential.exemplars, key=lambda e: e.id)
        ],
        "stack": None if not credential.is_stack else {
            "rule": (credential.stack_rule or StackRule.ALL).value,
            "required_count": credential.stack_required_count,
            "components": [sc.component.slug for sc in credential.stack_components],
        },
    }


# --- building from a document -------------------------------------------------------------------


def _resolve_competency(author: User, ref: dict[str, Any]) -> Competency:
    """The competency a reference names: by framework slug (or source identifier) and code.
    A missing framework is created in the author's organization; a missing competency is
    added when the framework is her organization's."""
    fw_ref = ref["framework"]
    framework = db.session.scalar(select(Framework).where(Framework.slug == fw_ref["slug"]))
    if framework is None and fw_ref.get("source_identifier"):
        framework = db.session.scalar(
            select(Framework).where(Framework.source_identifier == fw_ref["source_identifier"]).limit(1)
        )
    if framework is None:
        framework = Framework(
            organization_id=author.organization_id, slug=fw_ref["slug"], name=fw_ref["name"],
            description=fw_ref.get("description") or "", source_identifier=fw_ref.get("source_identifier"),
            source_uri=fw_ref.get("source_uri"),
        )
        db.session.add(framework)
        db.session.flush()
        audit(author, "framework.created", "framework", framework.id, name=framework.name, via="credential import")
    competency = db.session.scalar(
        select(Competency).where(Competency.framework_id == framework.id, Competency.code == ref["code"])
    )
    if competency is None:
        if framework.organization_id != author.organization_id:
            raise ValidationError(
                "competencies", f"{framework.name} has no competency {ref['code']}, and it is not yours to add to."
            )
        position = db.session.scalar(
            select(func.coalesce(func.max(Competency.position), -1)).where(Competency.framework_id == framework.id)
        )
        competency = Competency(
            framework_id=framework.id, code=ref["code"], name=ref["name"], description=ref.get("description") or "",
            domain=ref.get("domain") or "", external_url=ref.get("external_url"),
            source_identifier=ref.get("source_identifier"), source_uri=ref.get("source_uri"), position=position + 1,
        )
        db.session.add(competency)
        db.session.flush()
    return competency


def _clear_definition(credential: Credential) -> None:
    credential.exemplars.clear()
    credential.stack_components.clear()
    db.session.flush()
    if credential.rubric is not None:
        credential.rubric = None
        db.session.flush()
    credential.requirements.clear()
    credential.policy = None
    db.session.flush()


def apply_document(author: User, credential: Credential, doc: dict[str, Any], *, module: Any = KEEP) -> Credential:
    """Replace the definition of the editable draft ``credential`` with ``doc`` (a parsed
    ``CredentialDocument``). ``module``: a Module to use, None for none, KEEP to keep the
    current one unless the document brings its own (which is then created). Validates with
    the editors' rules; raises ValidationError naming the part of the document."""
    editors.editable(author, credential)
    kind = CredentialKind(doc.get("kind") or credential.kind.value)
    if kind is not credential.kind:
        raise ValidationError("kind", "A credential keeps its kind; create a new one instead.")
    competencies = [_resolve_competency(author, ref) for ref in doc.get("competencies") or []]
    if module is KEEP:
        module_id = doc.get("module_id")
        if doc.get("module"):
            m = doc["module"]
            module = create_module(
                author=author, organization_id=credential.issuer_id, title=m["title"], summary=m.get("summary") or "",
                estimated_hours=m.get("estimated_hours"),
                sections=[SectionData(kind=SectionKind(s.get("kind") or "other"), title=s["title"],
                                      body_md=s.get("body_md") or "") for s in m.get("sections") or []],
            )
        elif module_id is not None:
            module = db.session.get(Module, module_id)
            if module is None or module.organization_id != credential.issuer_id:
                raise ValidationError("module_id", "Pick one of your organization's modules.")
        else:
            module = credential.module
    basics = editors._check_basics(author, credential, editors.CredentialData(
        name=doc["name"], summary=doc.get("summary") or "", description=doc.get("description") or "",
        criteria_md=doc.get("criteria_md") or "", tags=doc.get("tags") or [],
        estimated_hours=doc.get("estimated_hours"), validity_months=doc.get("validity_months"),
        module_id=module.id if module is not None and not credential.is_stack else None,
        competency_ids=[c.id for c in competencies] + list(doc.get("competency_ids") or []),
    ), allow_retired=True)
    aligned = basics.pop("_competencies")
    _clear_definition(credential)
    for name, value in basics.items():
        setattr(credential, name, value)
    credential.competencies = aligned
    credential.source_credit = doc.get("credit") or credential.source_credit or ""

    if credential.is_stack:
        stack = doc.get("stack") or {}
        ids = []
        for slug in stack.get("components") or []:
            component = db.session.scalar(
                select(Credential).where(Credential.slug == slug, Credential.published.is_(True))
                .order_by(Credential.version.desc()).limit(1)
            )
            if component is None:
                raise ValidationError("stack.components", f"No published microcredential has the address {slug}.")
            ids.append(component.id)
        data = editors.StackData(rule=StackRule(stack.get("rule") or "all"), component_ids=ids,
                                 required_count=stack.get("required_count"))
        # A stack may start empty (its components are picked later); any given must make a valid stack.
        components = editors.check_stack(author, credential, data) if ids else []
        credential.stack_rule = data.rule
        credential.stack_required_count = data.required_count if data.rule is StackRule.N_OF else None
        credential.stack_components = [StackComponent(component=c, position=i) for i, c in enumerate(components)]
        db.session.flush()
        return credential

    requirements: dict[str, Requirement] = {}
    for position, r in enumerate(doc.get("requirements") or []):
        data = editors._check_requirement(editors.RequirementData(
            kind=RequirementKind(r["kind"]), title=r["title"], prompt=r["prompt"], guidance=r.get("guidance") or "",
            required=r.get("required", True), accepted_types=r.get("accepted_types") or [],
            max_files=r.get("max_files") or 1,
        ))
        if r["key"] in requirements:
            raise ValidationError("requirements", f"The key {r['key']} is used twice.")
        requirements[r["key"]] = Requirement(position=position, **editors._requirement_values(data))
    credential.requirements = list(requirements.values())

    rubric = Rubric()
    criteria: dict[str, Criterion] = {}
    for position, c in enumerate((doc.get("rubric") or {}).get("criteria") or []):
        levels = editors.check_levels([
            editors.LevelData(label=lv["label"], points=lv.get("points", 0), descriptor=lv.get("descriptor") or "",
                              is_pass=lv.get("is_pass", False))
            for lv in c.get("levels") or []
        ])
        unknown = [k for k in c.get("requirements") or [] if k not in requirements]
        if unknown:
            raise ValidationError("rubric", f"Criterion {c['name']} names unknown requirements: {', '.join(unknown)}.")
        if c["key"] in criteria:
            raise ValidationError("rubric", f"The criterion key {c['key']} is used twice.")
        criterion = Criterion(
            position=position, name=c["name"], description=c.get("description") or "",
            requirements=[requirements[k] for k in dict.fromkeys(c.get("requirements") or [])],
        )
        criterion.levels = [
            Level(position=i, label=lv.label.strip(), points=int(lv.points), descriptor=lv.descriptor or "",
                  is_pass=lv.is_pass)
            for i, lv in enumerate(levels)
        ]
        rubric.criteria.append(criterion)
        criteria[c["key"]] = criterion
    credential.rubric = rubric

    p = doc.get("policy")
    policy = editors.check_policy(editors.PolicyData(
        **{**(p or {}), "coach_rule": CoachRule((p or {}).get("coach_rule") or "on_disagreement")}
    ))
    credential.policy = DecisionPolicy(**editors.policy_values(policy))
    db.session.flush()

    for e in doc.get("exemplars") or []:
        exemplar = CalibrationExemplar(title=e["title"], body_md=e["body_md"], created_by=author)
        for ref in e.get("levels") or []:
            criterion = criteria.get(ref["criterion"])
            level = next((lv for lv in criterion.levels if lv.label == ref["level"]), None) if criterion else None
            if level is None:
                raise ValidationError("exemplars", f"Exemplar {e['title']}: no level {ref['level']} on {ref['criterion']}.")
            exemplar.reference_levels.append(
                ExemplarLevel(criterion_id=criterion.id, level_id=level.id, rationale=ref.get("rationale") or "")
            )
        credential.exemplars.append(exemplar)
    db.session.flush()
    return credential


def create_from_document(
    *, author: User, doc: dict[str, Any], slug: str | None = None, module: Any = KEEP, action: str = "credential.imported",
) -> Credential:
    """A new draft of the author's organization built from ``doc``. The slug is ``slug``, else
    the document's, else one made from the name; a slug in use raises ValidationError('slug')."""
    own(author, author.organization_id)
    slug = slug or doc.get("slug")
    if slug:
        check_slug(slug)
        if db.session.scalar(select(Credential.id).where(Credential.slug == slug).limit(1)) is not None:
            raise ValidationError("slug", f"A credential with the address {slug} exists already; choose another.")
    credential = editors.create_credential(
        author=author, kind=CredentialKind(doc.get("kind") or "micro"), name=doc["name"], slug=slug,
    )
    apply_document(author, credential, doc, module=module)
    audit(author, action, "credential", credential.id, version=credential.version, slug=credential.slug)
    return credential


def update_from_document(*, author: User, credential: Credential, doc: dict[str, Any]) -> Credential:
    """Replace ``credential``'s definition with ``doc``. A published version never changes: the
    change goes into the next version (started when needed), which is returned."""
    from app.credentials.authoring.services.versions import start_new_version

    own(author, credential.issuer_id)
    if credential.published_at is not None:
        credential = start_new_version(author=author, credential=credential)
    apply_document(author, credential, doc)
    audit(author, "credential.document_applied", "credential", credential.id, version=credential.version)
    return credential
