"""Helpers every authoring service shares: ownership, slugs, ordering, the audit trail."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select

from app.accounts.models import User
from app.audit import record_event
from app.credentials.policies import require_author
from app.errors import ValidationError
from app.extensions import db


class Ordered(Protocol):
    id: int
    position: int


def slugify(text: str, *, max_length: int = 80) -> str:
    """``"Station Rotation: Basics"`` -> ``"station-rotation-basics"`` (ASCII, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "untitled"


SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_slug(slug: str, field: str = "slug") -> str:
    """Return ``slug`` or raise ValidationError(field) when it is not lower-case words joined by hyphens."""
    if not SLUG_PATTERN.match(slug or ""):
        raise ValidationError(field, "Use lower-case letters, digits and single hyphens, e.g. station-rotation.")
    return slug


def unique_slug(model: Any, base: str, *, max_length: int = 80) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever no ``model`` row uses yet."""
    base = slugify(base, max_length=max_length - 4)
    taken = set(db.session.scalars(select(model.slug).where(model.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def own(author: User, organization_id: int | None) -> User:
    """``author`` when she may author for ``organization_id``; PermissionDenied otherwise."""
    return require_author(author, organization_id)


def reorder(items: Sequence[Ordered], ordered_ids: Sequence[int], field: str = "order") -> None:
    """Give ``items`` the order of ``ordered_ids`` (every id exactly once), positions 0, 1, 2 ..."""
    by_id = {item.id: item for item in items}
    ids = [int(i) for i in ordered_ids]
    if sorted(ids) != sorted(by_id):
        raise ValidationError(field, "List every item exactly once, in the new order.")
    for position, item_id in enumerate(ids):
        by_id[item_id].position = position


def move(items: Sequence[Ordered], item: Ordered, direction: str) -> None:
    """Move ``item`` one place ``up`` or ``down`` among ``items`` (already in order)."""
    if direction not in ("up", "down"):
        raise ValidationError("direction", "Move up or down.")
    ids = [i.id for i in items]
    index = ids.index(item.id)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    reorder(items, ids)


def audit(author: User, action: str, object_type: str, object_id: int | None, **data: Any) -> None:
    """Record a catalog change in the audit log (the change history reads it back)."""
    record_event(actor=author, action=action, object_type=object_type, object_id=object_id, **data)


def changes(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Set ``values`` on ``obj``; return ``{field: [old, new]}`` for what changed (for the history)."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [_loggable(old), _loggable(value)]
            setattr(obj, name, value)
    return changed


def _loggable(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "..."
    return value
