"""Fixtures for the authoring tests: a district with a designer, a complete draft, a framework."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.credentials.authoring import services as svc
from app.credentials.models import CredentialKind, RequirementKind
from app.extensions import db
from app.learning.models import SectionKind
from tests import factories


@pytest.fixture
def designer(org):
    return factories.user(roles={Role.DESIGNER}, organization=org, name="Dana Designer")


@pytest.fixture
def other_org(app):
    return factories.organization(name="Other District")


@pytest.fixture
def other_designer(other_org):
    return factories.user(roles={Role.DESIGNER}, organization=other_org, name="Olly Other")


def build_draft(designer, *, name: str = "Small Groups", criteria: int = 2):
    """A draft micro credential with a module, two parts and a ``criteria``-criterion rubric."""
    credential = svc.create_credential(author=designer, kind=CredentialKind.MICRO, name=name)
    module = svc.create_module(author=designer, title=f"{name} module", estimated_hours=3, sections=[
        svc.SectionData(kind=SectionKind.KEY_METHOD, title="The method", body_md="Do **this**."),
    ])
    svc.update_credential(author=designer, credential=credential, data=svc.CredentialData(
        name=name, summary="Run small groups.", criteria_md="Shows **small groups** in action.",
        tags=["groups"], estimated_hours=4, validity_months=24, module_id=module.id,
    ))
    plan = svc.add_requirement(author=designer, credential=credential, data=svc.RequirementData(
        kind=RequirementKind.TEXT, title="Plan", prompt="Describe your plan."))
    video = svc.add_requirement(author=designer, credential=credential, data=svc.RequirementData(
        kind=RequirementKind.FILE, title="Video", prompt="Upload a clip.", accepted_types=["video", "image"]))
    for i in range(criteria):
        svc.save_criterion(author=designer, credential=credential, data=svc.CriterionData(
            name=f"Criterion {i + 1}", requirement_ids=[plan.id] if i % 2 == 0 else [video.id],
            levels=[svc.LevelData("Not yet", 1, "Missing."), svc.LevelData("Proficient", 3, "Clear.", True),
                    svc.LevelData("Exemplary", 4, "Outstanding.")],
        ))
    db.session.commit()
    return credential


@pytest.fixture
def draft(designer):
    return build_draft(designer)
