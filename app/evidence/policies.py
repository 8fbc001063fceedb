"""Who may see which evidence: one place for every evidence route and the API.

Evidence never imports the review workflow (imports run one way:
``evidence <- reviewers``). The rules that need reviewer data ("reviewers
assigned to this attempt", "coaches of this credential") are registered by
``app/reviewers/policies.py`` through ``register_viewer_rule``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.errors import NotFound, PermissionDenied
from app.evidence.models import Artifact, Submission, SubmissionStatus
from app.extensions import db

#: A rule that may grant ``user`` read access to ``submission``. Rules only ever
#: grant: a rule returning False never takes away what another allowed.
ViewerRule = Callable[[User, Submission], bool]

_viewer_rules: list[ViewerRule] = []


def register_viewer_rule(rule: ViewerRule) -> ViewerRule:
    """Let ``rule`` grant read access to submissions and their files. Idempotent
    (registering the same function twice keeps one); returns ``rule``, so it
    works as a decorator."""
    if rule not in _viewer_rules:
        _viewer_rules.append(rule)
    return rule


def viewer_rules() -> tuple[ViewerRule, ...]:
    """The registered rules, in registration order (for tests and diagnostics)."""
    return tuple(_viewer_rules)


def _is_user(user: Any) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.active


def is_owner(user: Any, submission: Submission) -> bool:
    """Whether ``user`` is the teacher whose attempt this is."""
    return _is_user(user) and submission.teacher_id == user.id


def can_view_submission(user: Any, submission: Submission) -> bool:
    """The owner, admins, and whoever a registered rule allows (assigned
    reviewers, coaches of the credential). Anonymous and inactive users never."""
    if not _is_user(user):
        return False
    if submission.teacher_id == user.id or user.has_role(Role.ADMIN):
        return True
    return any(rule(user, submission) for rule in _viewer_rules)


def can_view_artifact(user: Any, artifact: Artifact) -> bool:
    """Whether ``user`` may see ``artifact`` (and fetch its file and thumbnail):
    exactly those who may view its submission."""
    return can_view_submission(user, artifact.submission)


def file_name_for(user: Any, artifact: Artifact) -> str | None:
    """The name ``user`` is shown (and downloads) a file as: the teacher's own name for the owner and
    admins; a neutral name for everyone else (reviewers, coaches), since file names can identify her."""
    if artifact.storage_key is None and artifact.original_name is None:
        return None
    if _is_user(user) and (artifact.submission.teacher_id == user.id or user.has_role(Role.ADMIN)):
        return artifact.original_name
    return artifact.neutral_name


def can_edit_submission(user: Any, submission: Submission) -> bool:
    """Only the owner, only while the attempt is a draft (services enforce the same)."""
    return is_owner(user, submission) and submission.status is SubmissionStatus.DRAFT


def get_submission_or_403(user: Any, submission_id: int) -> Submission:
    """The submission, if ``user`` may view it. Raises NotFound (404) or PermissionDenied (403)."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("There is no such attempt.")
    if not can_view_submission(user, submission):
        raise PermissionDenied("This evidence belongs to someone else.")
    return submission


def get_own_submission_or_403(user: Any, submission_id: int) -> Submission:
    """The submission, if ``user`` is its owner: the only one who may change it.
    Raises NotFound (404) or PermissionDenied (403), before any form is read."""
    submission = get_submission_or_403(user, submission_id)
    if not is_owner(user, submission):
        raise PermissionDenied("Only the teacher whose attempt this is can change it.")
    return submission


def get_own_artifact_or_403(user: Any, artifact_id: int) -> Artifact:
    """The artifact, if ``user`` owns its submission. Raises NotFound or PermissionDenied."""
    artifact = get_artifact_or_403(user, artifact_id)
    if not is_owner(user, artifact.submission):
        raise PermissionDenied("Only the teacher whose attempt this is can change it.")
    return artifact


def get_artifact_or_403(user: Any, artifact_id: int) -> Artifact:
    """The artifact with its submission, if ``user`` may view it. Raises NotFound or PermissionDenied."""
    artifact = db.session.get(Artifact, artifact_id, options=[selectinload(Artifact.submission)])
    if artifact is None:
        raise NotFound("There is no such piece of evidence.")
    if not can_view_artifact(user, artifact):
        raise PermissionDenied("This evidence belongs to someone else.")
    return artifact


__all__ = [
    "ViewerRule",
    "file_name_for",
    "can_edit_submission",
    "can_view_artifact",
    "can_view_submission",
    "get_artifact_or_403",
    "get_own_artifact_or_403",
    "get_own_submission_or_403",
    "get_submission_or_403",
    "is_owner",
    "register_viewer_rule",
    "viewer_rules",
]
