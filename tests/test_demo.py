"""The demo catalog: ``load_demo`` is idempotent and complete, and the CLI prints working logins."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.services import authenticate
from app.credentials.models import Credential, CredentialKind, StackRule
from app.db import Base
from app.demo import catalog
from app.demo.loader import COUNT_KEYS, demo_accounts, load_demo
from app.extensions import db
from app.learning.models import SectionKind
from app.reviewers.models import Qualification, ReviewerRole


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def _published(kind: CredentialKind) -> list[Credential]:
    return list(
        db.session.scalars(
            select(Credential).where(Credential.kind == kind, Credential.published.is_(True)).order_by(Credential.id)
        )
    )


@pytest.fixture
def demo(app):
    counts = load_demo()
    db.session.commit()
    return counts


def test_load_twice_creates_nothing_the_second_time(demo):
    assert demo["organizations"] == 1
    assert demo["micros"] >= 6
    before = _row_counts()

    again = load_demo()
    db.session.commit()

    assert again == {key: 0 for key in COUNT_KEYS}
    assert _row_counts() == before


def test_load_records_one_audit_event(demo):
    from app.audit import AuditEvent

    load_demo()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "demo.loaded")).all()
    assert len(events) == 1
    assert events[0].data["created"]["micros"] == demo["micros"]


def test_framework_has_two_domains_of_competencies(demo):
    from app.credentials.models import Framework

    framework = db.session.scalar(select(Framework).where(Framework.slug == catalog.FRAMEWORK.slug))
    assert framework is not None
    assert len(framework.competencies) >= 12
    domains = {competency.domain for competency in framework.competencies}
    assert domains == {"Essential practice", "Practice in innovative classrooms"}
    assert len({competency.code for competency in framework.competencies}) == len(framework.competencies)


def test_micros_are_complete_and_published(demo):
    micros = _published(CredentialKind.MICRO)
    assert len(micros) >= 6
    for micro in micros:
        assert micro.published_at is not None
        assert 1 <= len(micro.competencies) <= 2, micro.slug
        assert 3 <= len(micro.requirements) <= 4, micro.slug

        assert micro.rubric is not None
        assert 3 <= len(micro.rubric.criteria) <= 4, micro.slug
        scored = {requirement.id for criterion in micro.rubric.criteria for requirement in criterion.requirements}
        assert scored == {requirement.id for requirement in micro.requirements}, micro.slug
        for criterion in micro.rubric.criteria:
            assert [level.label for level in criterion.levels] == ["Not yet", "Developing", "Proficient", "Exemplary"]
            assert [level.points for level in criterion.levels] == [1, 2, 3, 4]
            assert [level.label for level in criterion.levels if level.is_pass] == ["Proficient"]
            assert all(level.descriptor for level in criterion.levels)

        assert micro.policy is not None
        assert micro.policy.peer_reviews >= 1 and micro.policy.exclude_same_school

        assert micro.module is not None
        assert [section.kind for section in micro.module.sections] == [
            SectionKind.KEY_METHOD, SectionKind.RESEARCH, SectionKind.RESOURCES, SectionKind.PRACTICE,
        ]
        assert all(len(section.body_md.split()) >= 120 for section in micro.module.sections), micro.slug


def test_exemplars_score_every_criterion(demo):
    with_exemplars = [micro for micro in _published(CredentialKind.MICRO) if micro.exemplars]
    assert len(with_exemplars) >= 2
    for micro in with_exemplars:
        for exemplar in micro.exemplars:
            assert {ref.criterion_id for ref in exemplar.reference_levels} == {c.id for c in micro.rubric.criteria}
            assert all(ref.level.criterion_id == ref.criterion_id for ref in exemplar.reference_levels)


def test_stacks_are_built_from_micros(demo):
    stacks = {stack.slug: stack for stack in _published(CredentialKind.STACK)}
    assert len(stacks) == 2
    for stack in stacks.values():
        components = [row.component for row in stack.stack_components]
        assert len(components) == 3
        assert all(component.kind is CredentialKind.MICRO for component in components)
    assert stacks["blended-learning-foundations"].stack_rule is StackRule.ALL
    personalization = stacks["data-driven-personalization"]
    assert personalization.stack_rule is StackRule.N_OF
    assert personalization.stack_required_count == 2


def test_every_role_has_a_demo_user(demo):
    users = db.session.scalars(select(User).where(User.email.endswith("@riverbend.example.org"))).all()
    held = {role for user in users for role in user.roles}
    assert held == set(Role)


def test_learners_have_enough_reviewers_outside_their_school(demo):
    learners = [db.session.scalar(select(User).where(User.email == email)) for email in catalog.learner_emails()]
    assert len(learners) >= 2
    assert len({learner.school_id for learner in learners}) >= 2

    for micro in _published(CredentialKind.MICRO):
        for learner in learners:
            assert not db.session.scalars(select(Qualification).where(Qualification.user_id == learner.id)).all()
            peers = db.session.scalars(
                select(User)
                .join(Qualification, Qualification.user_id == User.id)
                .where(
                    Qualification.credential_id == micro.id,
                    Qualification.role == ReviewerRole.PEER,
                    Qualification.active.is_(True),
                    Qualification.calibrated_at.is_not(None),
                    User.id != learner.id,
                    User.school_id != learner.school_id,
                )
            ).all()
            assert len(peers) >= max(micro.policy.peer_reviews, 2), (micro.slug, learner.email)
        coaches = db.session.scalars(
            select(Qualification).where(
                Qualification.credential_id == micro.id, Qualification.role == ReviewerRole.COACH
            )
        ).all()
        assert coaches, micro.slug
        assert all(Role.COACH in q.user.roles for q in coaches)


def test_cli_load_then_accounts_json_logins_work(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "nothing to create" in again.output

    result = runner.invoke(args=["demo", "accounts", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    assert accounts == demo_accounts()
    assert {role for account in accounts for role in account["roles"]} == {role.value for role in Role}
    for account in accounts:
        assert set(account) == {"email", "password", "roles"}
        user = authenticate(email=account["email"], password=account["password"])
        assert sorted(role.value for role in user.roles) == account["roles"]


def test_cli_accounts_table_shows_the_password(runner):
    result = runner.invoke(args=["demo", "accounts"])
    assert result.exit_code == 0, result.output
    assert catalog.DEMO_PASSWORD in result.output
    assert "teacher.cedar@riverbend.example.org" in result.output


def test_cli_load_if_empty_loads_a_fresh_database_only(app, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    micros = len(_published(CredentialKind.MICRO))
    assert micros >= 6

    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert len(_published(CredentialKind.MICRO)) == micros


def test_cli_load_if_empty_leaves_a_database_with_users_alone(app, runner, user_with_role):
    user_with_role(Role.ADMIN)
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert _published(CredentialKind.MICRO) == []
