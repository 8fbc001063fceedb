"""Credential definitions, awards and signing keys."""

from app.credentials.models.award import Award, stack_award_component
from app.credentials.models.credential import (
    Credential,
    CredentialAdoption,
    CredentialKind,
    Requirement,
    RequirementKind,
    StackComponent,
    StackRule,
    credential_competency,
)
from app.credentials.models.framework import Competency, Framework
from app.credentials.models.keys import KeyAlgorithm, SigningKey
from app.credentials.models.publication import AwardDocument
from app.credentials.models.rubric import (
    CalibrationExemplar,
    CoachRule,
    Criterion,
    DecisionPolicy,
    ExemplarLevel,
    Level,
    Rubric,
    criterion_requirement,
)

__all__ = [
    "Award",
    "AwardDocument",
    "CalibrationExemplar",
    "CoachRule",
    "Competency",
    "Credential",
    "CredentialAdoption",
    "CredentialKind",
    "Criterion",
    "DecisionPolicy",
    "ExemplarLevel",
    "Framework",
    "KeyAlgorithm",
    "Level",
    "Requirement",
    "RequirementKind",
    "Rubric",
    "SigningKey",
    "StackComponent",
    "StackRule",
    "credential_competency",
    "criterion_requirement",
    "stack_award_component",
]
