"""Round trips: framework CSV and CASE (import, export, compare), and one credential's JSON
document exported here and imported into a fresh database."""

from __future__ import annotations

import csv
import io
import json

from app.accounts.models import Role
from app.credentials.authoring import services as svc
from app.credentials.authoring.document import parse_document
from app.db import Base
from app.extensions import db
from tests import factories

CSV_TEXT = (
    "code,name,description,domain,parent_code,external_url,identifier,uri,retired\n"
    "1,Know your learners,Uses data about learners,Essential practice,,,,,\n"
    "1.1,Gather data,Collects evidence of learning,Essential practice,1,https://example.org/std/1.1,id-11,"
    "https://example.org/case/id-11,\n"
    "1.2,Group flexibly,Forms groups from data,Essential practice,1,,,,yes\n"
    "2,Plan pathways,Designs pathways,Pathways,,,,,\n"
)

CASE_PACKAGE = {
    "CFDocument": {"identifier": "doc-1", "uri": "https://case.example.org/uri/doc-1", "title": "State Teaching Standards",
                   "description": "The state's standards.", "creator": "State Agency"},
    "CFItems": [
        {"identifier": "item-b", "uri": "https://case.example.org/uri/item-b", "humanCodingScheme": "S.2",
         "fullStatement": "Plans for every learner.", "abbreviatedStatement": "Planning", "CFItemType": "Standard"},
        {"identifier": "item-a", "uri": "https://case.example.org/uri/item-a", "humanCodingScheme": "S.1",
         "fullStatement": "Knows the learners.", "abbreviatedStatement": "Learners", "conceptKeywords": ["Core"]},
        {"identifier": "item-a1", "uri": "https://case.example.org/uri/item-a1", "humanCodingScheme": "S.1.1",
         "fullStatement": "Gathers evidence of learning.", "abbreviatedStatement": "Evidence"},
    ],
    "CFAssociations": [
        {"identifier": "as-1", "associationType": "isChildOf", "sequenceNumber": 2,
         "originNodeURI": {"identifier": "item-b", "uri": "https://case.example.org/uri/item-b"},
         "destinationNodeURI": {"identifier": "doc-1", "uri": "https://case.example.org/uri/doc-1"}},
        {"identifier": "as-2", "associationType": "isChildOf", "sequenceNumber": 1,
         "originNodeURI": {"identifier": "item-a", "uri": "https://case.example.org/uri/item-a"},
         "destinationNodeURI": {"identifier": "doc-1", "uri": "https://case.example.org/uri/doc-1"}},
        {"identifier": "as-3", "associationType": "isChildOf", "sequenceNumber": 1,
         "originNodeURI": {"identifier": "item-a1", "uri": "https://case.example.org/uri/item-a1"},
         "destinationNodeURI": {"identifier": "item-a", "uri": "https://case.example.org/uri/item-a"}},
        {"identifier": "as-4", "associationType": "exactMatchOf",
         "originNodeURI": {"identifier": "item-a1"}, "destinationNodeURI": {"identifier": "elsewhere"}},
    ],
}


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_import_then_export_gives_the_same_rows(designer):
    framework = svc.import_framework_csv(author=designer, name="District Framework", text=CSV_TEXT)
    db.session.commit()
    assert [c.code for c in framework.competencies] == ["1", "1.1", "1.2", "2"]
    gathered = framework.competencies[1]
    assert gathered.parent.code == "1" and gathered.source_identifier == "id-11"
    assert gathered.source_uri == "https://example.org/case/id-11"
    assert framework.competencies[2].retired_at is not None
    assert _rows(svc.export_framework_csv(framework)) == _rows(CSV_TEXT)


def test_csv_errors_name_the_row(designer):
    import pytest

    from app.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        svc.import_framework_csv(author=designer, name="Broken", text="code,name\n1,One\n1,Again\n")
    assert exc.value.field == "file" and "appears twice" in exc.value.message
    with pytest.raises(ValidationError):
        svc.import_framework_csv(author=designer, name="Broken", text="colour,size\nred,big\n")


def test_case_import_keeps_identifiers_uris_and_hierarchy_and_exports_them_again(designer):
    framework = svc.import_framework_case(author=designer, text=json.dumps(CASE_PACKAGE))
    db.session.commit()
    assert framework.name == "State Teaching Standards"
    assert (framework.source_identifier, framework.source_uri) == ("doc-1", "https://case.example.org/uri/doc-1")
    assert [c.code for c in framework.competencies] == ["S.1", "S.1.1", "S.2"]  # by sequence, parents first
    by_code = {c.code: c for c in framework.competencies}
    assert by_code["S.1.1"].parent is by_code["S.1"] and by_code["S.1"].domain == "Core"
    assert by_code["S.2"].source_identifier == "item-b"

    exported = svc.export_framework_case(framework)
    assert exported["CFDocument"]["identifier"] == "doc-1" and exported["CFDocument"]["uri"].endswith("doc-1")
    source_items = {i["identifier"]: i for i in CASE_PACKAGE["CFItems"]}
    for item in exported["CFItems"]:
        original = source_items[item["identifier"]]
        assert (item["uri"], item["humanCodingScheme"], item["fullStatement"]) == (
            original["uri"], original["humanCodingScheme"], original["fullStatement"])
    parents = {a["originNodeURI"]["identifier"]: a["destinationNodeURI"]["identifier"] for a in exported["CFAssociations"]}
    assert parents == {"item-a": "doc-1", "item-a1": "item-a", "item-b": "doc-1"}

    # And a second import of the export builds the same framework.
    again = svc.import_framework_case(author=designer, text=json.dumps(exported), slug="state-standards-copy")
    assert [(c.code, c.name, c.source_identifier, c.source_uri, c.parent.code if c.parent else None)
            for c in again.competencies] == [
        (c.code, c.name, c.source_identifier, c.source_uri, c.parent.code if c.parent else None)
        for c in framework.competencies]


def test_case_import_refuses_what_is_not_a_package(designer):
    import pytest

    from app.errors import ValidationError

    for text in ("not json", "[]", json.dumps({"CFItems": []})):
        with pytest.raises(ValidationError) as exc:
            svc.import_framework_case(author=designer, text=text)
        assert exc.value.field == "file"


def _comparable(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in {"issuer", "version"}}


def test_json_export_imports_into_a_fresh_database_identically(app, designer, draft, make_app, new_database):
    framework = factories.framework(designer.organization, competencies=3)
    svc.update_credential(author=designer, credential=draft, data=svc.CredentialData(
        name=draft.name, summary=draft.summary, criteria_md=draft.criteria_md, tags=["groups", "data"],
        estimated_hours=4, validity_months=24, module_id=draft.module_id,
        competency_ids=[framework.competencies[0].id, framework.competencies[2].id]))
    svc.save_policy(author=designer, credential=draft, data=svc.PolicyData(
        peer_reviews=1, coach_rule=svc.CoachRule.ALWAYS, review_days=10, max_attempts=2, exclude_same_school=False,
        allow_cross_organization=True, calibration_exact_share=0.5, calibration_max_gap=2, calibration_retry_hours=48))
    svc.save_exemplar(author=designer, credential=draft, data=svc.ExemplarData(
        title="A strong sample", body_md="We grouped by **data**.",
        levels={c.id: (c.levels[2].id, f"Shows {c.name}") for c in draft.rubric.criteria}))
    db.session.commit()
    exported = json.loads(json.dumps(svc.export_document(svc.load_credential(draft.id))))

    fresh = make_app(SQLALCHEMY_DATABASE_URI=new_database("authoring_fresh"))
    with fresh.app_context():
        Base.metadata.create_all(db.engine)
        try:
            district = factories.organization(name="Faraway District")
            importer = factories.user(roles={Role.DESIGNER}, organization=district)
            imported = svc.create_from_document(author=importer, doc=parse_document(exported))
            db.session.commit()
            again = svc.export_document(svc.load_credential(imported.id))
            assert imported.issuer_id == district.id and not imported.published
            assert svc.publish_problems(imported) == []
        finally:
            db.session.remove()
            db.engine.dispose()
    assert _comparable(again) == _comparable(exported)
    assert again["rubric"]["criteria"][0]["levels"][1]["is_pass"] is True
    assert len(again["competencies"]) == 2 and again["module"]["sections"][0]["title"] == "The method"


def test_a_malformed_document_is_refused_with_fields():
    import pytest

    from app.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        parse_document({"name": "X", "requirements": [{"key": "r1", "kind": "smell"}], "owner": "me"})
    assert "owner" in exc.value.fields and any(k.startswith("requirements.0") for k in exc.value.fields)
