"""Who may author what in the catalog: one place for every authoring route and the API.

Designers author their own organization's frameworks, modules, credentials and
stacks; admins may do the same within their organization. Nobody edits another
organization's catalog (adopting or copying a shared credential is how it
travels). Any logged-in user may read what is published.
"""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, User
from app.errors import PermissionDenied


def _is_user(user: Any) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.active


def is_author(user: Any) -> bool:
    """Whether ``user`` may open the authoring pages at all (a designer or an admin)."""
    return _is_user(user) and user.has_role(Role.DESIGNER, Role.ADMIN)


def can_author(user: Any, organization_id: int | None) -> bool:
    """Whether ``user`` may create or change catalog objects owned by ``organization_id``."""
    return is_author(user) and organization_id is not None and user.organization_id == organization_id


def require_author(user: Any, organization_id: int | None = None) -> User:
    """``user`` if she may author (for ``organization_id`` when given); raises PermissionDenied otherwise."""
    if not is_author(user):
        raise PermissionDenied("Only designers and admins can author the catalog.")
    if organization_id is not None and not can_author(user, organization_id):
        raise PermissionDenied("This belongs to another organization's catalog.")
    return user


__all__ = ["can_author", "is_author", "require_author"]
