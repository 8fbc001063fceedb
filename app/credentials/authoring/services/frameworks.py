"""Frameworks and competencies: edit, reorder, retire; CSV and CASE (1EdTech) import and export.

Every function takes the acting author, checks she authors for the framework's
organization (``PermissionDenied`` otherwise), flushes and records an audit
event; the caller commits. Imports keep each item's source identifier and URI
so alignments point back at the source, and exports write them out again.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.credentials.authoring.services.common import audit, changes, check_slug, move, own, reorder, unique_slug
from app.credentials.models import Competency, Framework
from app.db import utcnow
from app.errors import NotFound, ValidationError
from app.extensions import db

#: The columns of a framework CSV, in order.
CSV_COLUMNS = ("code", "name", "description", "domain", "parent_code", "external_url", "identifier", "uri", "retired")
MAX_IMPORT_ITEMS = 2_000
CASE_NAMESPACE = uuid.UUID("6f1c3f0e-1d8b-4c57-9b7e-2f6f4b8f1a10")


@dataclass(frozen=True)
class CompetencyData:
    """What a designer sets on a competency (``parent_id`` None: top level)."""

    code: str
    name: str
    description: str = ""
    domain: str = ""
    external_url: str | None = None
    parent_id: int | None = None


# --- loading ------------------------------------------------------------------------------------


def get_framework(author: User, framework_id: int) -> Framework:
    """The framework with its competencies, if ``author`` authors for its organization."""
    framework = db.session.scalar(
        select(Framework).where(Framework.id == framework_id).options(selectinload(Framework.competencies))
    )
    if framework is None:
        raise NotFound("No framework has that id.")
    own(author, framework.organization_id)
    return framework


def get_competency(author: User, competency_id: int) -> Competency:
    competency = db.session.get(Competency, competency_id)
    if competency is None:
        raise NotFound("No competency has that id.")
    own(author, competency.framework.organization_id)
    return competency


def list_frameworks(author: User) -> list[Framework]:
    """The author's organization's frameworks, active first, by name, with their competencies."""
    own(author, None)
    return list(
        db.session.scalars(
            select(Framework)
            .where(Framework.organization_id == author.organization_id)
            .options(selectinload(Framework.competencies))
            .order_by(Framework.retired_at.is_not(None), Framework.name)
        )
    )


def alignable_competencies() -> list[Competency]:
    """Every competency a credential may align to: not retired, in a framework not retired."""
    return list(
        db.session.scalars(
            select(Competency)
            .join(Competency.framework)
            .where(Competency.retired_at.is_(None), Framework.retired_at.is_(None))
            .options(selectinload(Competency.framework))
            .order_by(Framework.name, Competency.position)
        )
    )


# --- frameworks ---------------------------------------------------------------------------------


def _check_framework_fields(name: str, slug: str | None) -> None:
    if not (name or "").strip():
        raise ValidationError("name", "Give the framework a name.")
    if len(name) > 200:
        raise ValidationError("name", "Keep the name under 200 characters.")
    if slug is not None:
        check_slug(slug)


def _check_framework_slug_free(slug: str, framework_id: int | None = None) -> None:
    clash = db.session.scalar(select(Framework.id).where(Framework.slug == slug))
    if clash is not None and clash != framework_id:
        raise ValidationError("slug", "Another framework already uses this address.")


def create_framework(
    *, author: User, name: str, description: str = "", slug: str | None = None,
    source_identifier: str | None = None, source_uri: str | None = None,
) -> Framework:
    """A new framework of the author's organization. Raises ValidationError('name' / 'slug')."""
    own(author, author.organization_id)
    _check_framework_fields(name, slug or None)
    if slug:
        _check_framework_slug_free(slug)
    framework = Framework(
        organization_id=author.organization_id, name=name.strip(), description=description or "",
        slug=slug or unique_slug(Framework, name), source_identifier=source_identifier, source_uri=source_uri,
    )
    db.session.add(framework)
    db.session.flush()
    audit(author, "framework.created", "framework", framework.id, name=framework.name)
    return framework


def update_framework(*, author: User, framework: Framework, name: str, description: str, slug: str) -> Framework:
    """Rename or describe a framework; its address (slug) may change while nothing links to it by slug."""
    own(author, framework.organization_id)
    _check_framework_fields(name, slug)
    _check_framework_slug_free(slug, framework.id)
    changed = changes(framework, {"name": name.strip(), "description": description or "", "slug": slug})
    db.session.flush()
    if changed:
        audit(author, "framework.updated", "framework", framework.id, changes=changed)
    return framework


def set_framework_retired(*, author: User, framework: Framework, retired: bool) -> Framework:
    """Retire a framework (its competencies are no longer offered for new alignments) or bring it back.
    Credentials already aligned keep their alignments."""
    own(author, framework.organization_id)
    if retired != (framework.retired_at is not None):
        framework.retired_at = utcnow() if retired else None
        db.session.flush()
        audit(author, "framework.retired" if retired else "framework.restored", "framework", framework.id)
    return framework


# --- competencies -------------------------------------------------------------------------------


def _check_competency(framework: Framework, data: CompetencyData, competency: Competency | None = None) -> None:
    code = (data.code or "").strip()
    if not code:
        raise ValidationError("code", "Give the competency a code, e.g. 1.2.")
    if len(code) > 40:
        raise ValidationError("code", "Keep the code under 40 characters.")
    if not (data.name or "").strip():
        raise ValidationError("name", "Give the competency a name.")
    if len(data.name) > 200:
        raise ValidationError("name", "Keep the name under 200 characters.")
    if len(data.domain or "") > 120:
        raise ValidationError("domain", "Keep the domain under 120 characters.")
    if data.external_url and not data.external_url.startswith(("https://", "http://")):
        raise ValidationError("external_url", "Enter a web address starting with https://.")
    if data.external_url and len(data.external_url) > 500:
        raise ValidationError("external_url", "Keep the address under 500 characters.")
    for other in framework.competencies:
        if other is not competency and other.code == code:
            raise ValidationError("code", f"{other.name} already has the code {code}.")
    if data.parent_id is not None:
        by_id = {c.id: c for c in framework.competencies}
        parent = by_id.get(data.parent_id)
        if parent is None:
            raise ValidationError("parent_id", "Pick a parent from the same framework.")
        # Walking up from the parent must never reach the competency itself (no loops).
        while parent is not None and competency is not None:
            if parent.id == competency.id:
                raise ValidationError("parent_id", "A competency cannot sit under itself or under one of its own.")
            parent = by_id.get(parent.parent_id) if parent.parent_id else None


def create_competency(*, author: User, framework: Framework, data: CompetencyData) -> Competency:
    """Add a competency at the end of the framework. Raises ValidationError naming the field."""
    own(author, framework.organization_id)
    _check_competency(framework, data)
    competency = Competency(
        code=data.code.strip(), name=data.name.strip(), description=data.description or "",
        domain=(data.domain or "").strip(), external_url=data.external_url or None, parent_id=data.parent_id,
        position=max((c.position for c in framework.competencies), default=-1) + 1,
    )
    framework.competencies.append(competency)
    db.session.flush()
    audit(author, "competency.created", "framework", framework.id, competency_id=competency.id, code=competency.code)
    return competency


def update_competency(*, author: User, competency: Competency, data: CompetencyData) -> Competency:
    framework = competency.framework
    own(author, framework.organization_id)
    _check_competency(framework, data, competency)
    changed = changes(competency, {
        "code": data.code.strip(), "name": data.name.strip(), "description": data.description or "",
        "domain": (data.domain or "").strip(), "external_url": data.external_url or None, "parent_id": data.parent_id,
    })
    db.session.flush()
    if changed:
        audit(author, "competency.updated", "framework", framework.id, competency_id=competency.id, changes=changed)
    return competency


def set_competency_retired(*, author: User, competency: Competency, retired: bool) -> Competency:
    own(author, competency.framework.organization_id)
    if retired != (competency.retired_at is not None):
        competency.retired_at = utcnow() if retired else None
        db.session.flush()
        audit(author, "competency.retired" if retired else "competency.restored", "framework",
              competency.framework_id, competency_id=competency.id)
    return competency


def reorder_competencies(*, author: User, framework: Framework, ordered_ids: Iterable[int]) -> Framework:
    """Put the framework's competencies in the order of ``ordered_ids`` (all of them, once each)."""
    own(author, framework.organization_id)
    reorder(framework.competencies, list(ordered_ids), "ids")
    db.session.flush()
    db.session.expire(framework, ["competencies"])
    audit(author, "framework.reordered", "framework", framework.id)
    return framework


def move_competency(*, author: User, competency: Competency, direction: str) -> Competency:
    framework = competency.framework
    own(author, framework.organization_id)
    move(framework.competencies, competency, direction)
    db.session.flush()
    db.session.expire(framework, ["competencies"])
    return competency


# --- importing: one shape for CSV rows and CASE items -------------------------------------------


@dataclass
class ImportedItem:
    code: str
    name: str
    description: str = ""
    domain: str = ""
    external_url: str | None = None
    parent_key: str | None = None
    identifier: str | None = None
    uri: str | None = None
    retired: bool = False
    key: str = ""


def _build_framework(
    author: User, *, name: str, description: str, slug: str | None, items: list[ImportedItem],
    source_identifier: str | None = None, source_uri: str | None = None,
) -> Framework:
    """Create a framework with ``items`` (in order; ``parent_key`` names another item's ``key``)."""
    if not items:
        raise ValidationError("file", "The file lists no competencies.")
    if len(items) > MAX_IMPORT_ITEMS:
        raise ValidationError("file", f"Import at most {MAX_IMPORT_ITEMS:,} competencies at a time.")
    framework = create_framework(
        author=author, name=name, description=description, slug=slug,
        source_identifier=source_identifier, source_uri=source_uri,
    )
    seen: dict[str, Competency] = {}
    codes: set[str] = set()
    for position, item in enumerate(items):
        line = f"Item {position + 1} ({item.code or item.name or 'no code'})"
        code = (item.code or "").strip()
        if not code or len(code) > 40:
            raise ValidationError("file", f"{line}: every competency needs a code of at most 40 characters.")
        if code in codes:
            raise ValidationError("file", f"{line}: the code {code} appears twice.")
        if not (item.name or "").strip():
            raise ValidationError("file", f"{line}: every competency needs a name.")
        codes.add(code)
        competency = Competency(
            code=code, name=item.name.strip()[:200], description=item.description or "",
            domain=(item.domain or "")[:120], external_url=(item.external_url or None),
            source_identifier=item.identifier or None, source_uri=item.uri or None, position=position,
            retired_at=utcnow() if item.retired else None,
        )
        framework.competencies.append(competency)
        seen[item.key or code] = competency
    for item in items:
        if item.parent_key:
            parent = seen.get(item.parent_key)
            if parent is None:
                raise ValidationError("file", f"{item.code}: its parent {item.parent_key} is not in the file.")
            seen[item.key or item.code.strip()].parent = parent
    db.session.flush()
    audit(author, "framework.imported", "framework", framework.id, competencies=len(items))
    return framework


def import_framework_csv(*, author: User, name: str, text: str, slug: str | None = None, description: str = "") -> Framework:
    """A new framework from CSV text with the columns of ``CSV_COLUMNS`` (a header row first;
    only ``code`` and ``name`` are required). Raises ValidationError('file') naming the bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "code" not in header or "name" not in header:
        raise ValidationError("file", "The first row must name the columns, including code and name.")
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise ValidationError("file", f"Unknown columns: {', '.join(sorted(unknown))}. Use {', '.join(CSV_COLUMNS)}.")
    items = []
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        items.append(ImportedItem(
            code=row.get("code", ""), name=row.get("name", ""), description=row.get("description", ""),
            domain=row.get("domain", ""), external_url=row.get("external_url") or None,
            parent_key=row.get("parent_code") or None, identifier=row.get("identifier") or None,
            uri=row.get("uri") or None, retired=row.get("retired", "").lower() in {"yes", "true", "1"},
        ))
    return _build_framework(author, name=name, description=description, slug=slug, items=items)


def export_framework_csv(framework: Framework) -> str:
    """The framework's competencies as CSV (the columns ``import_framework_csv`` reads)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in framework.competencies:
        writer.writerow([
            c.code, c.name, c.description, c.domain, c.parent.code if c.parent else "", c.external_url or "",
            c.source_identifier or "", c.source_uri or "", "yes" if c.retired_at else "",
        ])
    return out.getvalue()


def _node(ref: Any) -> str | None:
    """The identifier a CASE association points at (a LinkURI object or a bare string)."""
    if isinstance(ref, Mapping):
        value = ref.get("identifier") or ref.get("uri")
        return str(value) if value else None
    return str(ref) if ref else None


def import_framework_case(*, author: User, text: str, slug: str | None = None) -> Framework:
    """A new framework from a CASE package (JSON with CFDocument, CFItems, CFAssociations).

    Items become competencies, keeping ``identifier`` and ``uri``; ``isChildOf``
    associations give the hierarchy and (with ``sequenceNumber``) the order.
    Raises ValidationError('file') for JSON that is not a CASE package."""
    try:
        package = json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError("file", "This is not JSON. Upload a CASE package (.json).") from None
    if not isinstance(package, Mapping) or not isinstance(package.get("CFDocument"), Mapping):
        raise ValidationError("file", "A CASE package has a CFDocument; this file has none.")
    document = package["CFDocument"]
    raw_items = package.get("CFItems") or []
    associations = package.get("CFAssociations") or []
    if not isinstance(raw_items, list) or not isinstance(associations, list):
        raise ValidationError("file", "CFItems and CFAssociations must be lists.")
    items_by_id: dict[str, Mapping] = {}
    for raw in raw_items:
        if not isinstance(raw, Mapping) or not raw.get("identifier"):
            raise ValidationError("file", "Every CFItem needs an identifier.")
        items_by_id[str(raw["identifier"])] = raw
    parent_of: dict[str, str] = {}
    sequence: dict[str, float] = {}
    for assoc in associations:
        if not isinstance(assoc, Mapping) or assoc.get("associationType") != "isChildOf":
            continue
        child, parent = _node(assoc.get("originNodeURI")), _node(assoc.get("destinationNodeURI"))
        if child in items_by_id:
            if parent in items_by_id:
                parent_of[child] = parent
            number = assoc.get("sequenceNumber")
            if isinstance(number, (int, float)):
                sequence[child] = float(number)
    # Parents before children, siblings by sequence number, then by their order in the file.
    file_order = {identifier: i for i, identifier in enumerate(items_by_id)}
    depth_cache: dict[str, int] = {}

    def depth(identifier: str, trail: frozenset[str] = frozenset()) -> int:
        if identifier in trail:
            raise ValidationError("file", "The CFAssociations form a loop.")
        if identifier not in depth_cache:
            parent = parent_of.get(identifier)
            depth_cache[identifier] = 0 if parent is None else depth(parent, trail | {identifier}) + 1
        return depth_cache[identifier]

    def tree_key(identifier: str) -> list:
        chain = []
        node: str | None = identifier
        while node is not None:
            chain.append((sequence.get(node, float("inf")), file_order[node]))
            node = parent_of.get(node)
        return list(reversed(chain))

    for identifier in items_by_id:
        depth(identifier)
    ordered = sorted(items_by_id, key=tree_key)
    items = []
    for position, identifier in enumerate(ordered):
        raw = items_by_id[identifier]
        statement = str(raw.get("fullStatement") or "")
        keywords = raw.get("conceptKeywords")
        items.append(ImportedItem(
            key=identifier,
            code=str(raw.get("humanCodingScheme") or raw.get("listEnumeration") or position + 1),
            name=str(raw.get("abbreviatedStatement") or statement)[:200],
            description=statement,
            domain=str(keywords[0]) if isinstance(keywords, list) and keywords else "",
            external_url=str(raw["uri"]) if str(raw.get("uri", "")).startswith(("http://", "https://")) else None,
            parent_key=parent_of.get(identifier), identifier=identifier, uri=str(raw.get("uri") or "") or None,
        ))
    title = str(document.get("title") or "").strip()
    return _build_framework(
        author, name=title or "Imported framework", description=str(document.get("description") or ""),
        slug=slug or None, items=items, source_identifier=str(document.get("identifier") or "") or None,
        source_uri=str(document.get("uri") or "") or None,
    )


def _case_identity(framework: Framework, competency: Competency | None = None) -> tuple[str, str]:
    """The identifier and URI to publish: the source's when imported, else a stable UUID of our own."""
    if competency is None:
        identifier = framework.source_identifier or str(uuid.uuid5(CASE_NAMESPACE, f"framework:{framework.slug}"))
        return identifier, framework.source_uri or f"urn:uuid:{identifier}"
    identifier = competency.source_identifier or str(
        uuid.uuid5(CASE_NAMESPACE, f"competency:{framework.slug}:{competency.code}")
    )
    return identifier, competency.source_uri or f"urn:uuid:{identifier}"


def export_framework_case(framework: Framework) -> dict[str, Any]:
    """The framework as a CASE package: a CFDocument, a CFItem per competency and
    ``isChildOf`` CFAssociations (to the parent item, or to the document)."""
    doc_id, doc_uri = _case_identity(framework)
    stamp = (framework.updated_at or utcnow()).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    document = {
        "identifier": doc_id, "uri": doc_uri, "title": framework.name, "description": framework.description,
        "creator": framework.organization.name, "lastChangeDateTime": stamp,
        "CFPackageURI": {"title": framework.name, "identifier": doc_id, "uri": doc_uri},
    }
    items, associations = [], []
    identity = {c.id: _case_identity(framework, c) for c in framework.competencies}
    for number, competency in enumerate(framework.competencies, start=1):
        identifier, uri = identity[competency.id]
        item = {
            "identifier": identifier, "uri": uri, "fullStatement": competency.description or competency.name,
            "abbreviatedStatement": competency.name, "humanCodingScheme": competency.code,
            "CFItemType": "Competency", "lastChangeDateTime": stamp,
            "CFDocumentURI": {"title": framework.name, "identifier": doc_id, "uri": doc_uri},
        }
        if competency.domain:
            item["conceptKeywords"] = [competency.domain]
        items.append(item)
        if competency.parent_id is not None and competency.parent_id in identity:
            parent_id, parent_uri = identity[competency.parent_id]
            destination = {"title": competency.parent.name, "identifier": parent_id, "uri": parent_uri}
        else:
            destination = {"title": framework.name, "identifier": doc_id, "uri": doc_uri}
        association_id = str(uuid.uuid5(CASE_NAMESPACE, f"child:{identifier}"))
        associations.append({
            "identifier": association_id, "uri": f"urn:uuid:{association_id}", "associationType": "isChildOf",
            "sequenceNumber": number, "lastChangeDateTime": stamp,
            "originNodeURI": {"title": competency.name, "identifier": identifier, "uri": uri},
            "destinationNodeURI": destination,
            "CFDocumentURI": {"title": framework.name, "identifier": doc_id, "uri": doc_uri},
        })
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}
