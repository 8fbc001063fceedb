"""API: catalog authoring with a designer's (or admin's) token, over the same services as /author.

Frameworks and competencies (CRUD, reorder, retire, CSV and CASE import/export),
modules with their sections, credentials as whole documents (the same JSON a
credential export holds; a stack is a credential of kind ``stack``), stacks'
components, publish and unpublish, versions, history, sharing. Reads need a
token; changes need its write scope. Another organization's catalog answers 403.
"""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from app.accounts.models import Role
from app.accounts.auth import api_user
from app.api import bp, error_responses, writer
from app.credentials.authoring import services as svc
from app.credentials.authoring.document import CredentialDocument, SectionDoc
from app.credentials.models import StackRule
from app.credentials.policies import require_author
from app.extensions import db
from app.learning.models import SectionKind

TAG = "Authoring"


def _reader():
    return require_author(api_user(Role.DESIGNER))


def _author():
    return require_author(writer())


errors = error_responses({
    401: "No valid bearer token", 403: "Not a designer of this organization, or no write scope",
    404: "No such object", 409: "A published version cannot change in place", 422: "Invalid input (see fields)",
}, tags=[TAG])


# --- schemas --------------------------------------------------------------------------------


class AuthorCompetencyOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    description = fields.String()
    domain = fields.String()
    parent_id = fields.Integer(allow_none=True)
    external_url = fields.String(allow_none=True)
    source_identifier = fields.String(allow_none=True)
    source_uri = fields.String(allow_none=True)
    position = fields.Integer()
    retired_at = fields.DateTime(allow_none=True)


class FrameworkOut(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    source_identifier = fields.String(allow_none=True)
    source_uri = fields.String(allow_none=True)
    retired_at = fields.DateTime(allow_none=True)
    competencies = fields.List(fields.Nested(AuthorCompetencyOut))


class FrameworkList(Schema):
    items = fields.List(fields.Nested(FrameworkOut))


class FrameworkIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    description = fields.String(load_default="")


class FrameworkImportIn(Schema):
    format = fields.String(required=True, validate=validate.OneOf(["csv", "case"]))
    content = fields.String(required=True, validate=validate.Length(min=1, max=5 * 1024 * 1024),
                            metadata={"description": "The CSV text, or the CASE package as a JSON string"})
    name = fields.String(load_default="", validate=validate.Length(max=200), metadata={"description": "CSV only"})
    slug = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))


class RetireIn(Schema):
    retired = fields.Boolean(required=True)


class OrderIn(Schema):
    ids = fields.List(fields.Integer(), required=True)


class CompetencyIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    domain = fields.String(load_default="", validate=validate.Length(max=120))
    parent_id = fields.Integer(load_default=None, allow_none=True)
    external_url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class SectionOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.Function(lambda s: s.kind.value)
    title = fields.String()
    body_md = fields.String()


class ModuleOut(Schema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    estimated_hours = fields.Integer(allow_none=True)
    sections = fields.List(fields.Nested(SectionOut))


class ModuleList(Schema):
    items = fields.List(fields.Nested(ModuleOut))


class ModuleIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="")
    estimated_hours = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=500))
    sections = fields.List(fields.Nested(SectionDoc), load_default=list, validate=validate.Length(max=50),
                           metadata={"description": "Replaces every section, in order"})


class ProblemOut(Schema):
    part = fields.String()
    message = fields.String()


class AuthoredCredential(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer()
    kind = fields.Function(lambda c: c.kind.value)
    name = fields.String()
    published = fields.Boolean()
    published_at = fields.DateTime(allow_none=True)
    offered = fields.Function(lambda c: c.offered_at is not None)
    problems = fields.Function(lambda c: ProblemOut(many=True).dump(svc.publish_problems(c)))
    document = fields.Function(lambda c: svc.export_document(c))


class AuthoredCredentialBrief(Schema):
    id = fields.Integer()
    slug = fields.String()
    version = fields.Integer()
    kind = fields.Function(lambda c: c.kind.value)
    name = fields.String()
    published = fields.Boolean()


class CredentialList(Schema):
    items = fields.List(fields.Nested(AuthoredCredentialBrief), metadata={"description": "Newest version of each"})


class StackIn(Schema):
    rule = fields.String(required=True, validate=validate.OneOf([r.value for r in StackRule]))
    required_count = fields.Integer(load_default=None, allow_none=True)
    component_ids = fields.List(fields.Integer(), required=True)


class OfferIn(Schema):
    offered = fields.Boolean(required=True)


class CopyIn(Schema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class HistoryItem(Schema):
    at = fields.DateTime(attribute="event.created_at")
    actor = fields.Function(lambda e: e.event.actor.name if e.event.actor else None)
    action = fields.String(attribute="event.action")
    version = fields.Integer(allow_none=True)
    data = fields.Dict(attribute="event.data")


class HistoryList(Schema):
    items = fields.List(fields.Nested(HistoryItem))


class OfferOut(Schema):
    credential = fields.Nested(AuthoredCredentialBrief)
    issuer = fields.Function(lambda o: o.credential.issuer.name)
    adopted = fields.Boolean()


class OfferList(Schema):
    items = fields.List(fields.Nested(OfferOut))


# --- frameworks and competencies ------------------------------------------------------------


@bp.route("/author/frameworks", methods=["GET"])
@bp.response(200, FrameworkList)
@errors()
def author_list_frameworks():
    """Your organization's frameworks with their competencies."""
    return {"items": svc.list_frameworks(_reader())}


@bp.route("/author/frameworks", methods=["POST"])
@bp.arguments(FrameworkIn)
@bp.response(201, FrameworkOut)
@errors(422)
def author_create_framework(data: dict):
    """Create a framework."""
    framework = svc.create_framework(author=_author(), name=data["name"], description=data["description"],
                                     slug=data["slug"] or None)
    db.session.commit()
    return framework


@bp.route("/author/frameworks/import", methods=["POST"])
@bp.arguments(FrameworkImportIn)
@bp.response(201, FrameworkOut)
@errors(422)
def author_import_framework(data: dict):
    """Import a framework from CSV text or a CASE package, keeping identifiers and URIs."""
    author = _author()
    if data["format"] == "case":
        framework = svc.import_framework_case(author=author, text=data["content"], slug=data["slug"] or None)
    else:
        if not data["name"].strip():
            from app.errors import ValidationError

            raise ValidationError("name", "Name the framework a CSV file becomes.")
        framework = svc.import_framework_csv(author=author, name=data["name"], text=data["content"],
                                             slug=data["slug"] or None)
    db.session.commit()
    return framework


@bp.route("/author/frameworks/<int:framework_id>", methods=["GET"])
@bp.response(200, FrameworkOut)
@errors()
def author_get_framework(framework_id: int):
    """One framework with its competencies in order."""
    return svc.get_framework(_reader(), framework_id)


@bp.route("/author/frameworks/<int:framework_id>", methods=["PATCH"])
@bp.arguments(FrameworkIn)
@bp.response(200, FrameworkOut)
@errors(422)
def author_update_framework(data: dict, framework_id: int):
    """Rename, describe or re-address a framework."""
    author = _author()
    framework = svc.get_framework(author, framework_id)
    svc.update_framework(author=author, framework=framework, name=data["name"], description=data["description"],
                         slug=data["slug"] or framework.slug)
    db.session.commit()
    return framework


@bp.route("/author/frameworks/<int:framework_id>/retire", methods=["POST"])
@bp.arguments(RetireIn)
@bp.response(200, FrameworkOut)
@errors(422)
def author_retire_framework(data: dict, framework_id: int):
    """Retire a framework (or bring it back)."""
    author = _author()
    framework = svc.set_framework_retired(author=author, framework=svc.get_framework(author, framework_id),
                                          retired=data["retired"])
    db.session.commit()
    return framework


@bp.route("/author/frameworks/<int:framework_id>/case", methods=["GET"])
@bp.response(200, description="A CASE package: CFDocument, CFItems, CFAssociations")
@errors()
def author_export_framework_case(framework_id: int):
    """The framework as a CASE JSON package."""
    return svc.export_framework_case(svc.get_framework(_reader(), framework_id))


@bp.route("/author/frameworks/<int:framework_id>/csv", methods=["GET"])
@bp.doc(responses={"200": {"description": "CSV text", "content": {"text/csv": {"schema": {"type": "string"}}}}})
@errors()
def author_export_framework_csv(framework_id: int):
    """The framework's competencies as CSV."""
    return Response(svc.export_framework_csv(svc.get_framework(_reader(), framework_id)), mimetype="text/csv")


@bp.route("/author/frameworks/<int:framework_id>/competencies", methods=["POST"])
@bp.arguments(CompetencyIn)
@bp.response(201, AuthorCompetencyOut)
@errors(422)
def author_create_competency(data: dict, framework_id: int):
    """Add a competency at the end of a framework."""
    author = _author()
    competency = svc.create_competency(author=author, framework=svc.get_framework(author, framework_id),
                                       data=svc.CompetencyData(**data))
    db.session.commit()
    return competency


@bp.route("/author/frameworks/<int:framework_id>/competencies/order", methods=["PUT"])
@bp.arguments(OrderIn)
@bp.response(200, FrameworkOut)
@errors(422)
def author_order_competencies(data: dict, framework_id: int):
    """Reorder a framework's competencies: every id once, in the new order."""
    author = _author()
    framework = svc.reorder_competencies(author=author, framework=svc.get_framework(author, framework_id),
                                         ordered_ids=data["ids"])
    db.session.commit()
    return framework


@bp.route("/author/competencies/<int:competency_id>", methods=["PATCH"])
@bp.arguments(CompetencyIn)
@bp.response(200, AuthorCompetencyOut)
@errors(422)
def author_update_competency(data: dict, competency_id: int):
    """Change a competency (code, name, description, domain, parent, external URL)."""
    author = _author()
    competency = svc.update_competency(author=author, competency=svc.get_competency(author, competency_id),
                                       data=svc.CompetencyData(**data))
    db.session.commit()
    return competency


@bp.route("/author/competencies/<int:competency_id>/retire", methods=["POST"])
@bp.arguments(RetireIn)
@bp.response(200, AuthorCompetencyOut)
@errors(422)
def author_retire_competency(data: dict, competency_id: int):
    """Retire a competency (or bring it back)."""
    author = _author()
    competency = svc.set_competency_retired(author=author, competency=svc.get_competency(author, competency_id),
                                            retired=data["retired"])
    db.session.commit()
    return competency


# --- modules --------------------------------------------------------------------------------


def _sections(data: dict) -> list:
    return [svc.SectionData(kind=SectionKind(s["kind"]), title=s["title"], body_md=s["body_md"])
            for s in data["sections"]]


@bp.route("/author/modules", methods=["GET"])
@bp.response(200, ModuleList)
@errors()
def author_list_modules():
    """Your organization's modules with their sections."""
    return {"items": svc.list_modules(_reader())}


@bp.route("/author/modules", methods=["POST"])
@bp.arguments(ModuleIn)
@bp.response(201, ModuleOut)
@errors(422)
def author_create_module(data: dict):
    """Create a module with its sections (Markdown)."""
    module = svc.create_module(author=_author(), title=data["title"], summary=data["summary"],
                               estimated_hours=data["estimated_hours"], sections=_sections(data))
    db.session.commit()
    return module


@bp.route("/author/modules/<int:module_id>", methods=["GET"])
@bp.response(200, ModuleOut)
@errors()
def author_get_module(module_id: int):
    """One module with its sections in order."""
    return svc.get_module(_reader(), module_id)


@bp.route("/author/modules/<int:module_id>", methods=["PUT"])
@bp.arguments(ModuleIn)
@bp.response(200, ModuleOut)
@errors(422)
def author_update_module(data: dict, module_id: int):
    """Replace a module's title, summary, hours and sections (in the order given)."""
    author = _author()
    module = svc.get_module(author, module_id)
    svc.update_module(author=author, module=module, title=data["title"], summary=data["summary"],
                      estimated_hours=data["estimated_hours"])
    svc.replace_sections(author=author, module=module, sections=_sections(data))
    db.session.commit()
    return svc.get_module(author, module_id)


# --- credentials ----------------------------------------------------------------------------


@bp.route("/author/credentials", methods=["GET"])
@bp.response(200, CredentialList)
@errors()
def author_list_credentials():
    """Your organization's credentials: the newest version of each."""
    return {"items": [entry.newest for entry in svc.list_credentials(_reader())]}


@bp.route("/author/credentials", methods=["POST"])
@bp.arguments(CredentialDocument)
@bp.response(201, AuthoredCredential)
@errors(422)
def author_create_credential(doc: dict):
    """Create a draft credential (micro or stack) from a whole document; also how an exported
    credential is imported."""
    credential = svc.create_from_document(author=_author(), doc=doc, action="credential.created_from_document")
    db.session.commit()
    return svc.load_credential(credential.id)


@bp.route("/author/credentials/<int:credential_id>", methods=["GET"])
@bp.response(200, AuthoredCredential)
@errors()
def author_get_credential(credential_id: int):
    """One credential version: its document, status and what keeps it from being published."""
    return svc.get_credential(_reader(), credential_id)


@bp.route("/author/credentials/<int:credential_id>", methods=["PUT"])
@bp.arguments(CredentialDocument)
@bp.response(200, AuthoredCredential)
@errors(422)
def author_update_credential(doc: dict, credential_id: int):
    """Replace a credential's definition. A published version is never changed: the change goes
    into the next version (created when needed), which is returned."""
    author = _author()
    credential = svc.update_from_document(author=author, credential=svc.get_credential(author, credential_id), doc=doc)
    db.session.commit()
    return svc.load_credential(credential.id)


@bp.route("/author/credentials/<int:credential_id>/stack", methods=["PUT"])
@bp.arguments(StackIn)
@bp.response(200, AuthoredCredential)
@errors(409, 422)
def author_update_stack(data: dict, credential_id: int):
    """Set a stack's components (published microcredentials) and its rule: all, or N of them."""
    author = _author()
    credential = svc.get_credential(author, credential_id)
    svc.save_stack(author=author, credential=credential, data=svc.StackData(
        rule=StackRule(data["rule"]), component_ids=data["component_ids"], required_count=data["required_count"]))
    db.session.commit()
    return svc.load_credential(credential_id)


@bp.route("/author/credentials/<int:credential_id>/publish", methods=["POST"])
@bp.response(200, AuthoredCredential)
@errors(409, 422)
def author_publish_credential(credential_id: int):
    """Publish this version; 422 with ``fields`` naming everything missing."""
    author = _author()
    credential = svc.publish_credential(author=author, credential=svc.get_credential(author, credential_id))
    db.session.commit()
    return credential


@bp.route("/author/credentials/<int:credential_id>/unpublish", methods=["POST"])
@bp.response(200, AuthoredCredential)
@errors()
def author_unpublish_credential(credential_id: int):
    """Hide it from the catalog and new starts; work in progress carries on."""
    author = _author()
    credential = svc.unpublish_credential(author=author, credential=svc.get_credential(author, credential_id))
    db.session.commit()
    return credential


@bp.route("/author/credentials/<int:credential_id>/versions", methods=["POST"])
@bp.response(201, AuthoredCredential)
@errors()
def author_new_version(credential_id: int):
    """The draft of the next version (a deep copy), or the existing unpublished newest version."""
    author = _author()
    draft = svc.start_new_version(author=author, credential=svc.get_credential(author, credential_id))
    db.session.commit()
    return svc.load_credential(draft.id)


@bp.route("/author/credentials/<int:credential_id>/history", methods=["GET"])
@bp.response(200, HistoryList)
@errors()
def author_credential_history(credential_id: int):
    """Who changed what and when, across every version (from the audit log)."""
    author = _reader()
    return {"items": svc.credential_history(author=author, credential=svc.get_credential(author, credential_id))}


@bp.route("/author/credentials/<int:credential_id>/export", methods=["GET"])
@bp.response(200, CredentialDocument)
@errors()
def author_export_credential(credential_id: int):
    """The credential document (module, requirements, rubric, policy, exemplars), for import elsewhere."""
    return svc.export_document(svc.get_credential(_reader(), credential_id))


@bp.route("/author/credentials/<int:credential_id>/offer", methods=["POST"])
@bp.arguments(OfferIn)
@bp.response(200, AuthoredCredential)
@errors(422)
def author_offer_credential(data: dict, credential_id: int):
    """Offer the credential to other organizations (or stop)."""
    author = _author()
    credential = svc.set_offered(author=author, credential=svc.get_credential(author, credential_id),
                                 offered=data["offered"])
    db.session.commit()
    return credential


@bp.route("/author/shared", methods=["GET"])
@bp.response(200, OfferList)
@errors()
def author_list_offers():
    """Credentials other organizations offer, and whether yours adopted each."""
    return {"items": svc.list_offers(_reader())}


@bp.route("/author/shared/<int:credential_id>/adopt", methods=["POST"])
@bp.response(200, AuthoredCredentialBrief)
@errors(409)
def author_adopt_credential(credential_id: int):
    """Adopt an offered credential as is (its issuer stays the author)."""
    adoption = svc.adopt_credential(author=_author(), credential=svc.load_credential(credential_id))
    db.session.commit()
    return adoption.credential


@bp.route("/author/shared/<int:credential_id>/copy", methods=["POST"])
@bp.arguments(CopyIn)
@bp.response(201, AuthoredCredential)
@errors(409, 422)
def author_copy_credential(data: dict, credential_id: int):
    """Copy an offered credential to adapt: a new draft under your issuer, crediting the source."""
    copy = svc.copy_credential(author=_author(), credential=svc.load_credential(credential_id), name=data["name"])
    db.session.commit()
    return svc.load_credential(copy.id)
