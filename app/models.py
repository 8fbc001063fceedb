"""Every model, imported in dependency order so the metadata is complete
(for Alembic autogenerate, ``create_all`` in tests, and the shell)."""

from app.accounts.models import ApiToken, EmailAddress, InviteCode, Organization, Role, School, User, UserRole
from app.audit import AuditEvent
from app.credentials.models import (
    Award,
    AwardDocument,
    CalibrationExemplar,
    Competency,
    Credential,
    Criterion,
    DecisionPolicy,
    ExemplarLevel,
    Framework,
    Level,
    Requirement,
    Rubric,
    SigningKey,
    StackComponent,
)
from app.evidence.models import Artifact, ImpactMeasure, Submission
from app.learning.models import Enrollment, Module, ModuleSection, SectionProgress
from app.mail import OutboxMessage
from app.portfolio.models import AwardVisibility, Collection, CollectionItem, PortfolioProfile
from app.reviewers.models import (
    Assignment,
    CalibrationAttempt,
    Decision,
    Notification,
    Qualification,
    Review,
    ReviewScore,
)
from app.analytics.models import AnalyticsDirtyDay, AnalyticsRefresh, AssignmentDay, CriterionDay, TurnaroundDay

__all__ = [
    "AnalyticsDirtyDay", "AnalyticsRefresh", "ApiToken", "Artifact", "Assignment", "AssignmentDay", "AuditEvent", "Award",
    "AwardDocument", "AwardVisibility", "CalibrationAttempt", "CalibrationExemplar", "Collection", "CollectionItem",
    "Competency", "Credential", "Criterion", "CriterionDay", "Decision", "DecisionPolicy", "EmailAddress",
    "TurnaroundDay",
    "Enrollment", "ExemplarLevel", "Framework", "ImpactMeasure", "InviteCode", "Level", "Module",
    "ModuleSection", "Notification", "Organization", "OutboxMessage", "PortfolioProfile", "Qualification", "Requirement", "Review",
    "ReviewScore", "Role", "Rubric", "School", "SectionProgress", "SigningKey", "StackComponent",
    "Submission", "User", "UserRole",
]
