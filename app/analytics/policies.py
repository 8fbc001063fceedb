"""Who may read the analytics: admins and program leads (the ``analyst`` role), for their own organization.

Every figure is scoped in SQL to credentials issued by the reader's
organization and to teachers of that organization (see ``services.Scope``).
"""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, User
from app.errors import PermissionDenied

ANALYTICS_ROLES = (Role.ADMIN, Role.ANALYST)


def can_view_analytics(user: Any) -> bool:
    """Whether ``user`` may open the dashboards, the CSV exports and the analytics API."""
    return isinstance(user, User) and user.is_authenticated and user.active and user.has_role(*ANALYTICS_ROLES)


def require_analytics(user: Any) -> User:
    """``user`` if she may read analytics; raises PermissionDenied otherwise."""
    if not can_view_analytics(user):
        raise PermissionDenied("Only admins and program leads can read the program analytics.")
    return user


__all__ = ["ANALYTICS_ROLES", "can_view_analytics", "require_analytics"]
