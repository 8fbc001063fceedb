"""Fixtures shared by the suites that start from one issued award (portfolio, verification):
a micro-credential, an admin, and the award of the suite's own ``teacher`` fixture.

Import them into a conftest: ``from tests.support.awards import admin, award, credential``.
"""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests import factories
from tests.credentials.openbadges.conftest import issue


@pytest.fixture
def credential(org):
    return factories.micro_credential(org, name="Station Rotation")


@pytest.fixture
def admin(org):
    return factories.user(roles={Role.ADMIN}, organization=org, name="Ada Admin")


@pytest.fixture
def award(teacher, credential):
    return issue(teacher, credential)
