"""Portfolio fixtures: a teacher holding awards made through award_credential, evidence files in storage."""

from __future__ import annotations

import io
import os

import pytest

from app.accounts.models import Role
from app.credentials.models import RequirementKind
from app.evidence.models import Artifact
from app.extensions import db
from app.storage import get_storage
from tests import factories
from tests.credentials.openbadges.conftest import count_queries, issue  # noqa: F401  (fixture, helper)
from tests.support.awards import admin, award, credential  # noqa: F401  (fixtures)

RECIPIENT = "Rosa.Park@Example.org"


@pytest.fixture
def teacher(org):
    return factories.user(roles={Role.TEACHER}, organization=org, email=RECIPIENT, name="Rosa Park")


@pytest.fixture
def other_teacher(org):
    return factories.user(roles={Role.TEACHER}, organization=org, name="Ola Other")


def evidence_file(award, name: str, data: bytes | None = None, *, content_type: str = "application/pdf"):
    """A stored file artifact on the award's passed submission; returns (artifact, bytes)."""
    data = data if data is not None else os.urandom(2048)
    requirement = next(r for r in award.credential.requirements if r.kind is RequirementKind.FILE)
    stored = get_storage().save(io.BytesIO(data), key_prefix=f"evidence/{award.submission_id}", max_bytes=10**9)
    artifact = Artifact(submission_id=award.submission_id, requirement_id=requirement.id, kind=RequirementKind.FILE,
                        storage_backend=stored.backend, storage_key=stored.key, original_name=name,
                        content_type=content_type, size=stored.size, sha256=stored.sha256)
    db.session.add(artifact)
    db.session.commit()
    return artifact, data
