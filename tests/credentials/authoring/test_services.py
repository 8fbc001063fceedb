"""Authoring rules without HTTP: editor validation, publishing, versions, scoping, sharing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.credentials import services as catalog
from app.credentials.authoring import services as svc
from app.credentials.awards import award_credential
from app.credentials.models import Award, Credential, CredentialAdoption, CredentialKind, StackRule
from app.errors import Conflict, PermissionDenied, ValidationError
from app.evidence import services as evidence
from app.evidence.models import Submission, SubmissionStatus
from app.extensions import db
from tests import factories
from tests.credentials.authoring.conftest import build_draft

LEVELS = [svc.LevelData("Not yet", 1), svc.LevelData("Proficient", 3, is_pass=True)]


# --- editor validation ------------------------------------------------------------------------


def test_a_criterion_without_a_pass_level_is_refused(designer, draft):
    with pytest.raises(ValidationError) as exc:
        svc.save_criterion(author=designer, credential=draft, data=svc.CriterionData(
            name="Clarity", requirement_ids=[draft.requirements[0].id],
            levels=[svc.LevelData("Not yet", 1), svc.LevelData("Proficient", 3)]))
    assert exc.value.field == "pass_level"


def test_a_criterion_with_two_pass_levels_is_refused(designer, draft):
    with pytest.raises(ValidationError) as exc:
        svc.save_criterion(author=designer, credential=draft, data=svc.CriterionData(
            name="Clarity", levels=[svc.LevelData("A", 1, is_pass=True), svc.LevelData("B", 2, is_pass=True)]))
    assert exc.value.field == "pass_level"


def test_a_criterion_with_no_levels_is_refused(designer, draft):
    with pytest.raises(ValidationError) as exc:
        svc.save_criterion(author=designer, credential=draft, data=svc.CriterionData(name="Clarity", levels=[]))
    assert exc.value.field == "levels" and "levels" in exc.value.message


def test_blank_level_columns_are_ignored_and_levels_update_in_place(designer, draft):
    criterion = draft.rubric.criteria[0]
    level_ids = [lv.id for lv in criterion.levels]
    svc.save_criterion(author=designer, credential=draft, criterion=criterion, data=svc.CriterionData(
        name="Renamed", requirement_ids=[draft.requirements[0].id],
        levels=[svc.LevelData("Beginning", 0), svc.LevelData("Solid", 2), svc.LevelData("Strong", 5, is_pass=True),
                svc.LevelData("", 0)]))
    db.session.commit()
    db.session.refresh(criterion)
    assert [lv.label for lv in criterion.levels] == ["Beginning", "Solid", "Strong"]
    assert [lv.id for lv in criterion.levels] == level_ids  # kept rows, so exemplar references survive
    assert criterion.pass_level.label == "Strong"


def test_a_stack_of_unpublished_parts_is_refused(designer, draft):
    other = build_draft(designer, name="Station Rotation")
    stack = svc.create_credential(author=designer, kind=CredentialKind.STACK, name="Blended Stack")
    with pytest.raises(ValidationError) as exc:
        svc.save_stack(author=designer, credential=stack, data=svc.StackData(
            rule=StackRule.ALL, component_ids=[draft.id, other.id]))
    assert exc.value.field == "component_ids" and "Publish these first" in exc.value.message


def test_a_stack_n_of_rule_needs_a_sane_count(designer, draft):
    other = build_draft(designer, name="Station Rotation")
    for c in (draft, other):
        svc.publish_credential(author=designer, credential=c)
    stack = svc.create_credential(author=designer, kind=CredentialKind.STACK, name="Blended Stack")
    with pytest.raises(ValidationError) as exc:
        svc.save_stack(author=designer, credential=stack, data=svc.StackData(
            rule=StackRule.N_OF, component_ids=[draft.id, other.id], required_count=3))
    assert exc.value.field == "required_count"
    svc.save_stack(author=designer, credential=stack, data=svc.StackData(
        rule=StackRule.N_OF, component_ids=[draft.id, other.id], required_count=1))
    svc.update_credential(author=designer, credential=stack, data=svc.CredentialData(
        name="Blended Stack", criteria_md="Earn one."))
    assert svc.publish_credential(author=designer, credential=stack).published


def test_policy_with_no_peers_needs_a_coach(designer, draft):
    with pytest.raises(ValidationError) as exc:
        svc.save_policy(author=designer, credential=draft, data=svc.PolicyData(peer_reviews=0))
    assert exc.value.field == "coach_rule"


def test_file_parts_need_accepted_types(designer, draft):
    with pytest.raises(ValidationError) as exc:
        svc.add_requirement(author=designer, credential=draft, data=svc.RequirementData(
            kind=svc.RequirementKind.FILE, title="Photo", prompt="A photo"))
    assert exc.value.field == "accepted_types"


def test_exemplar_needs_a_level_for_every_criterion(designer, draft):
    first = draft.rubric.criteria[0]
    with pytest.raises(ValidationError) as exc:
        svc.save_exemplar(author=designer, credential=draft, data=svc.ExemplarData(
            title="Sample", body_md="text", levels={first.id: (first.levels[1].id, "why")}))
    assert exc.value.field == "levels" and "Criterion 2" in exc.value.message


# --- publishing -------------------------------------------------------------------------------


def test_publish_names_everything_missing(designer):
    credential = svc.create_credential(author=designer, kind=CredentialKind.MICRO, name="Empty")
    with pytest.raises(svc.IncompleteCredential) as exc:
        svc.publish_credential(author=designer, credential=credential)
    parts = {p.part for p in exc.value.problems}
    assert {"basics", "requirements", "rubric"} <= parts
    assert exc.value.fields["rubric"]


def test_publish_needs_a_criterion_for_every_required_part(designer, draft):
    svc.add_requirement(author=designer, credential=draft, data=svc.RequirementData(
        kind=svc.RequirementKind.LINK, title="Reflection link", prompt="Link it"))
    problems = svc.publish_problems(draft)
    assert [p.message for p in problems] == ["Required part “Reflection link” has no criterion judging it."]


def test_publish_makes_it_startable_and_unpublish_hides_it_without_stranding_work(designer, draft, org):
    svc.publish_credential(author=designer, credential=draft)
    db.session.commit()
    assert catalog.get_published_credential(draft.slug).id == draft.id
    teacher = factories.user(organization=org)
    attempt = evidence.start_attempt(teacher=teacher, credential=draft)
    evidence.save_text(teacher=teacher, submission=attempt, requirement=draft.requirements[0], text="My plan")
    db.session.commit()

    svc.unpublish_credential(author=designer, credential=draft)
    db.session.commit()
    assert draft.slug not in {c.slug for c in db.session.scalars(catalog.catalog_query())}
    newcomer = factories.user(organization=org)
    with pytest.raises(Exception):
        evidence.start_attempt(teacher=newcomer, credential=draft)
    db.session.rollback()
    # Her draft carries on: she can still save and submit it.
    evidence.save_text(teacher=teacher, submission=attempt, requirement=draft.requirements[0], text="Final plan")
    requirement = draft.requirements[1]
    from tests.evidence.conftest import png_bytes
    import io

    evidence.add_file(teacher=teacher, submission=attempt, requirement=requirement, filename="a.png",
                      stream=io.BytesIO(png_bytes()))
    evidence.submit_attempt(teacher=teacher, submission=attempt)
    db.session.commit()
    assert attempt.status is SubmissionStatus.SUBMITTED


# --- versions ---------------------------------------------------------------------------------


def test_editing_a_published_version_needs_a_new_version(designer, draft):
    svc.publish_credential(author=designer, credential=draft)
    with pytest.raises(Conflict):
        svc.update_credential(author=designer, credential=draft, data=svc.CredentialData(name="Changed"))


def test_new_version_is_a_deep_copy_with_the_same_slug(designer, draft):
    svc.save_exemplar(author=designer, credential=draft, data=svc.ExemplarData(
        title="Sample", body_md="A sample.", levels={c.id: (c.levels[2].id, "Strong") for c in draft.rubric.criteria}))
    svc.publish_credential(author=designer, credential=draft)
    v2 = svc.start_new_version(author=designer, credential=draft)
    db.session.commit()
    assert (v2.slug, v2.version, v2.published) == (draft.slug, 2, False)
    assert v2.module_id == draft.module_id
    assert {r.id for r in v2.requirements}.isdisjoint({r.id for r in draft.requirements})
    v1_doc, v2_doc = svc.export_document(draft), svc.export_document(v2)
    assert {**v1_doc, "version": 0} == {**v2_doc, "version": 0}
    assert svc.start_new_version(author=designer, credential=draft).id == v2.id  # idempotent


def test_attempt_on_v1_keeps_v1_rubric_and_awards_point_at_their_version(designer, draft, org):
    svc.publish_credential(author=designer, credential=draft)
    db.session.commit()
    teacher = factories.user(organization=org)
    on_v1 = factories.submission(teacher, draft, status=SubmissionStatus.IN_REVIEW)
    v1_criteria = [(c.id, c.name, [lv.label for lv in c.levels]) for c in draft.rubric.criteria]

    v2 = svc.start_new_version(author=designer, credential=draft)
    svc.save_criterion(author=designer, credential=v2, criterion=v2.rubric.criteria[0], data=svc.CriterionData(
        name="Sharper criterion", requirement_ids=[v2.requirements[0].id],
        levels=[svc.LevelData("Emerging", 0), svc.LevelData("Meets", 2, is_pass=True)]))
    svc.publish_credential(author=designer, credential=v2)
    db.session.commit()
    db.session.expire_all()

    assert catalog.get_published_credential(draft.slug).id == v2.id  # the catalog shows the newest
    reviewed = db.session.get(Submission, on_v1.id)
    assert reviewed.credential.version == 1
    assert [(c.id, c.name, [lv.label for lv in c.levels]) for c in reviewed.credential.rubric.criteria] == v1_criteria
    reviewed.status = SubmissionStatus.PASSED
    award = award_credential(reviewed)
    db.session.commit()
    assert db.session.get(Award, award.id).credential_id == draft.id
    assert db.session.get(Credential, draft.id).published  # v1's badge class stays published


def test_history_lists_changes_across_versions(designer, draft):
    svc.publish_credential(author=designer, credential=draft)
    v2 = svc.start_new_version(author=designer, credential=draft)
    svc.update_credential(author=designer, credential=v2, data=svc.CredentialData(
        name="Small Groups, revised", criteria_md=v2.criteria_md, module_id=v2.module_id))
    db.session.commit()
    entries = svc.credential_history(author=designer, credential=v2)
    actions = [e.event.action for e in entries]
    assert actions[:3] == ["credential.updated", "credential.version_started", "credential.published"]
    assert entries[0].event.actor.id == designer.id and entries[0].version == 2
    assert entries[0].event.data["changes"]["name"] == ["Small Groups", "Small Groups, revised"]


# --- organization scoping ---------------------------------------------------------------------


def test_a_designer_of_another_district_cannot_edit(draft, other_designer):
    with pytest.raises(PermissionDenied):
        svc.get_credential(other_designer, draft.id)
    with pytest.raises(PermissionDenied):
        svc.update_credential(author=other_designer, credential=draft, data=svc.CredentialData(name="Mine now"))
    with pytest.raises(PermissionDenied):
        svc.publish_credential(author=other_designer, credential=draft)
    with pytest.raises(PermissionDenied):
        svc.get_module(other_designer, draft.module_id)
    assert svc.list_credentials(other_designer) == []


def test_a_teacher_cannot_author(org, draft):
    teacher = factories.user(organization=org)
    with pytest.raises(PermissionDenied):
        svc.create_credential(author=teacher, kind=CredentialKind.MICRO, name="Nope")


# --- sharing ----------------------------------------------------------------------------------


def test_adopt_needs_an_offer_and_keeps_the_issuer(designer, draft, other_designer):
    svc.publish_credential(author=designer, credential=draft)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        svc.adopt_credential(author=other_designer, credential=draft)
    db.session.rollback()
    svc.set_offered(author=designer, credential=draft, offered=True)
    adoption = svc.adopt_credential(author=other_designer, credential=draft)
    assert svc.adopt_credential(author=other_designer, credential=draft).id == adoption.id
    db.session.commit()
    assert [o.adopted for o in svc.list_offers(other_designer)] == [True]
    assert [c.id for c in svc.list_adopted(other_designer)] == [draft.id]
    assert draft.issuer_id == designer.organization_id
    # Her stacks may count it now.
    assert draft.id in {c.id for c in svc.stack_candidates(other_designer)}
    assert db.session.scalar(select(CredentialAdoption.organization_id)) == other_designer.organization_id


def test_copy_to_adapt_creates_a_credited_draft_under_her_issuer(designer, draft, other_designer):
    svc.publish_credential(author=designer, credential=draft)
    svc.set_offered(author=designer, credential=draft, offered=True)
    copy = svc.copy_credential(author=other_designer, credential=draft, name="Our Small Groups")
    db.session.commit()
    assert copy.issuer_id == other_designer.organization_id and copy.slug != draft.slug
    assert copy.source_credential_id == draft.id and "Small Groups" in copy.source_credit
    assert copy.module_id != draft.module_id and copy.module.organization_id == other_designer.organization_id
    assert [c.name for c in copy.rubric.criteria] == [c.name for c in draft.rubric.criteria]
    assert not copy.published
