"""Fixtures for the evidence tests: a credential whose parts cover every kind, a teacher,
her draft, and sample files made on the fly."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.accounts.models import Role
from app.credentials.models import Requirement, RequirementKind
from app.extensions import db
from tests import factories

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
)
HTML_PAGE = b"<!DOCTYPE html>\n<html><body><script>fetch('/api/v1/me')</script></body></html>\n"


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class Parts:
    """The credential's requirements by kind: text, file, data (required), link (optional)."""

    def __init__(self, requirements: list[Requirement]):
        by_kind = {r.kind: r for r in requirements}
        self.text = by_kind[RequirementKind.TEXT]
        self.file = by_kind[RequirementKind.FILE]
        self.data = by_kind[RequirementKind.DATA]
        self.link = by_kind[RequirementKind.LINK]


@pytest.fixture
def credential(org):
    """A published micro credential: text, file (images and PDF, up to 3), data, and an optional link part."""
    credential = factories.micro_credential(org)
    credential.requirements[1].max_files = 3
    credential.requirements.append(
        Requirement(position=3, kind=RequirementKind.LINK, title="Part 4", prompt="Prompt 4", required=False, max_files=2)
    )
    db.session.commit()
    return credential


@pytest.fixture
def parts(credential) -> Parts:
    return Parts(credential.requirements)


@pytest.fixture
def teacher(org):
    return factories.user(roles={Role.TEACHER}, organization=org, name="Ana Teacher")


@pytest.fixture
def draft(teacher, credential):
    from app.evidence import services

    submission = services.start_attempt(teacher=teacher, credential=credential)
    db.session.commit()
    return submission


@pytest.fixture
def storage(app):
    from app.storage import get_storage

    return get_storage()


def fill_required(teacher, submission, parts: Parts) -> None:
    """Give every required part evidence (and commit)."""
    from app.evidence import services

    services.save_text(teacher=teacher, submission=submission, requirement=parts.text, text="My class and goal.")
    services.add_file(
        teacher=teacher, submission=submission, requirement=parts.file, filename="board.png", stream=io.BytesIO(png_bytes())
    )
    services.save_data_table(
        teacher=teacher, submission=submission, requirement=parts.data,
        rows=[{"measure": "Exit ticket", "unit": "%", "before": "55", "after": "72", "students": "24",
               "period_start": "2025-01-06", "period_end": "2025-02-14"}],
    )
    db.session.commit()
