"""Stacks are awarded the moment their rule is met; revoking a component flags them, never cascades."""

from __future__ import annotations

from sqlalchemy import select

from app.audit import AuditEvent
from app.credentials.models import Award
from app.credentials.openbadges import ob2, services
from app.extensions import db
from tests import factories
from tests.credentials.openbadges.conftest import issue


def _stack_awards(teacher, stack):
    return db.session.scalars(select(Award).where(Award.recipient_id == teacher.id,
                                                  Award.credential_id == stack.id)).all()


def test_all_of_stack_is_awarded_with_the_last_component(org, teacher):
    micros = [factories.micro_credential(org) for _ in range(3)]
    stack = factories.stack_credential(org, micros)
    first, second = issue(teacher, micros[0]), issue(teacher, micros[1])
    assert _stack_awards(teacher, stack) == []
    third = issue(teacher, micros[2])
    [award] = _stack_awards(teacher, stack)
    assert {a.id for a in award.components} == {first.id, second.id, third.id}
    assert award.submission_id is None and award.recipient_id == teacher.id
    evidence = ob2.assertion(award)["evidence"]
    assert sorted(e["id"] for e in evidence) == sorted(ob2.urls.assertion_url(a.uuid) for a in (first, second, third))
    # A fourth micro of the same slug (another attempt) does not award the stack twice.
    issue(teacher, micros[2])
    assert len(_stack_awards(teacher, stack)) == 1


def test_n_of_stack(org, teacher):
    micros = [factories.micro_credential(org) for _ in range(3)]
    stack = factories.stack_credential(org, micros, required=2)
    issue(teacher, micros[2])
    assert _stack_awards(teacher, stack) == []
    issue(teacher, micros[0])
    [award] = _stack_awards(teacher, stack)
    assert len(award.components) == 2


def test_revoked_or_expired_components_do_not_count(org, teacher, admin):
    from datetime import UTC, datetime

    micros = [factories.micro_credential(org) for _ in range(2)]
    stack = factories.stack_credential(org, micros)
    micros[0].validity_months = 1
    db.session.commit()
    issue(teacher, micros[0], decided_at=datetime(2020, 1, 1, tzinfo=UTC))  # long expired
    issue(teacher, micros[1])
    assert _stack_awards(teacher, stack) == []


def test_revoking_a_component_flags_the_stack_and_does_not_cascade(org, teacher, admin, client, designer_client):
    micros = [factories.micro_credential(org) for _ in range(2)]
    stack = factories.stack_credential(org, micros)
    component = issue(teacher, micros[0])
    issue(teacher, micros[1])
    [stack_award] = _stack_awards(teacher, stack)

    services.revoke_award(admin=admin, award=component, reason="Evidence was copied.")
    db.session.commit()
    db.session.refresh(stack_award)
    assert stack_award.revoked_at is None
    assert stack_award.flagged_at is not None and "Evidence was copied." in stack_award.flag_reason
    assert client.get(f"/ob/assertions/{stack_award.uuid}").status_code == 200  # still valid
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.flagged")).object_id == stack_award.id

    page = designer_client.get("/credentials/manage/flagged-awards")
    assert page.status_code == 200 and stack.name in page.get_data(as_text=True)
    kept = designer_client.post(f"/credentials/manage/flagged-awards/{stack_award.id}/keep", data={"note": "Other work suffices."})
    assert kept.status_code == 302
    db.session.refresh(stack_award)
    assert stack_award.flagged_at is None and stack_award.revoked_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.flag_resolved"))
    assert event.data["note"] == "Other work suffices."


def test_a_designer_of_another_organization_cannot_resolve(org, teacher, admin, app):
    from app.accounts.models import Role

    micros = [factories.micro_credential(org)]
    factories.stack_credential(org, micros)
    component = issue(teacher, micros[0])
    services.revoke_award(admin=admin, award=component, reason="x")
    db.session.commit()
    stack_award = db.session.scalar(select(Award).where(Award.flagged_at.is_not(None)))
    outsider = factories.user(roles={Role.DESIGNER}, organization=factories.organization())
    response = app.test_client(user=outsider).post(f"/credentials/manage/flagged-awards/{stack_award.id}/keep")
    assert response.status_code == 403
