"""Modules: the self-paced learning a micro credential points at, in Markdown sections.

Sections are sanitized Markdown (``app.markdown.render_markdown``, the same
renderer the teacher's page uses); resources are links in a section, usually
of the kind ``resources``. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.credentials.authoring.services.common import audit, changes, move, own, reorder
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.learning.models import Module, ModuleSection, SectionKind
from app.markdown import render_markdown

MAX_SECTION_CHARS = 50_000
MAX_HOURS = 500


@dataclass(frozen=True)
class SectionData:
    kind: SectionKind
    title: str
    body_md: str


def preview_markdown(source: str) -> Markup:
    """Sanitized HTML for ``source``, exactly as a teacher's page shows it."""
    if len(source or "") > MAX_SECTION_CHARS:
        raise ValidationError("body_md", f"Keep a section under {MAX_SECTION_CHARS:,} characters.")
    return render_markdown(source)


def get_module(author: User, module_id: int) -> Module:
    module = db.session.scalar(
        select(Module).where(Module.id == module_id).options(selectinload(Module.sections))
    )
    if module is None:
        raise NotFound("No module has that id.")
    own(author, module.organization_id)
    return module


def get_section(author: User, section_id: int) -> ModuleSection:
    section = db.session.get(ModuleSection, section_id)
    if section is None:
        raise NotFound("No section has that id.")
    own(author, section.module.organization_id)
    return section


def list_modules(author: User) -> list[Module]:
    own(author, None)
    return list(
        db.session.scalars(
            select(Module).where(Module.organization_id == author.organization_id)
            .options(selectinload(Module.sections)).order_by(Module.title)
        )
    )


def _check_module(title: str, estimated_hours: int | None) -> None:
    if not (title or "").strip():
        raise ValidationError("title", "Give the module a title.")
    if len(title) > 200:
        raise ValidationError("title", "Keep the title under 200 characters.")
    if estimated_hours is not None and not 1 <= estimated_hours <= MAX_HOURS:
        raise ValidationError("estimated_hours", f"Enter a whole number of hours from 1 to {MAX_HOURS}.")


def _check_section(data: SectionData) -> None:
    if not (data.title or "").strip():
        raise ValidationError("title", "Give the section a title.")
    if len(data.title) > 200:
        raise ValidationError("title", "Keep the title under 200 characters.")
    if len(data.body_md or "") > MAX_SECTION_CHARS:
        raise ValidationError("body_md", f"Keep a section under {MAX_SECTION_CHARS:,} characters.")


def create_module(
    *, author: User, title: str, summary: str = "", estimated_hours: int | None = None,
    sections: Iterable[SectionData] = (), organization_id: int | None = None,
) -> Module:
    """A new module of the author's organization, optionally with its sections."""
    organization_id = organization_id or author.organization_id
    own(author, organization_id)
    _check_module(title, estimated_hours)
    module = Module(organization_id=organization_id, title=title.strip(), summary=summary or "",
                    estimated_hours=estimated_hours)
    for position, data in enumerate(sections):
        _check_section(data)
        module.sections.append(ModuleSection(position=position, kind=data.kind, title=data.title.strip(),
                                             body_md=data.body_md or ""))
    db.session.add(module)
    db.session.flush()
    audit(author, "module.created", "module", module.id, title=module.title)
    return module


def update_module(*, author: User, module: Module, title: str, summary: str, estimated_hours: int | None) -> Module:
    own(author, module.organization_id)
    _check_module(title, estimated_hours)
    changed = changes(module, {"title": title.strip(), "summary": summary or "", "estimated_hours": estimated_hours})
    db.session.flush()
    if changed:
        audit(author, "module.updated", "module", module.id, changes=changed)
    return module


def replace_sections(*, author: User, module: Module, sections: Iterable[SectionData]) -> Module:
    """Replace every section (the API's whole-module update). Teachers' progress on removed sections goes with them."""
    own(author, module.organization_id)
    sections = list(sections)
    for data in sections:
        _check_section(data)
    existing = list(module.sections)
    # Keep rows (and the progress teachers recorded on them) where a section stays at its place.
    for position, data in enumerate(sections):
        if position < len(existing):
            row = existing[position]
            row.kind, row.title, row.body_md = data.kind, data.title.strip(), data.body_md or ""
        else:
            module.sections.append(ModuleSection(position=position, kind=data.kind, title=data.title.strip(),
                                                 body_md=data.body_md or ""))
    for row in existing[len(sections):]:
        module.sections.remove(row)
    db.session.flush()
    audit(author, "module.sections_replaced", "module", module.id, sections=len(sections))
    return module


def add_section(*, author: User, module: Module, data: SectionData) -> ModuleSection:
    own(author, module.organization_id)
    _check_section(data)
    section = ModuleSection(
        position=max((s.position for s in module.sections), default=-1) + 1, kind=data.kind,
        title=data.title.strip(), body_md=data.body_md or "",
    )
    module.sections.append(section)
    db.session.flush()
    audit(author, "module.section_added", "module", module.id, section_id=section.id, title=section.title)
    return section


def update_section(*, author: User, section: ModuleSection, data: SectionData) -> ModuleSection:
    own(author, section.module.organization_id)
    _check_section(data)
    changed = changes(section, {"kind": data.kind, "title": data.title.strip(), "body_md": data.body_md or ""})
    db.session.flush()
    if changed:
        audit(author, "module.section_updated", "module", section.module_id, section_id=section.id,
              fields=sorted(changed))
    return section


def delete_section(*, author: User, section: ModuleSection) -> Module:
    module = section.module
    own(author, module.organization_id)
    module.sections.remove(section)
    db.session.flush()
    reorder(module.sections, [s.id for s in module.sections])
    audit(author, "module.section_removed", "module", module.id, title=section.title)
    return module


def move_section(*, author: User, section: ModuleSection, direction: str) -> ModuleSection:
    module = section.module
    own(author, module.organization_id)
    move(module.sections, section, direction)
    db.session.flush()
    db.session.expire(module, ["sections"])
    return section


def reorder_sections(*, author: User, module: Module, ordered_ids: Iterable[int]) -> Module:
    own(author, module.organization_id)
    reorder(module.sections, list(ordered_ids), "ids")
    db.session.flush()
    db.session.expire(module, ["sections"])
    return module
