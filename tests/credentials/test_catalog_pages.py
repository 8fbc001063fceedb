"""The public catalog and credential pages, read without logging in."""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from tests import factories


def test_catalog_lists_published_and_searches(client, org):
    fw = factories.framework(org)
    factories.micro_credential(org, name="Classroom Routines", competencies=[fw.competencies[0]])
    factories.micro_credential(org, name="Hidden Draft", published=False)
    html = client.get("/credentials").get_data(as_text=True)
    assert "Classroom Routines" in html and "Hidden Draft" not in html
    assert "Classroom Routines" not in client.get("/credentials?q=zzz").get_data(as_text=True)
    assert "Classroom Routines" in client.get(f"/credentials?competency={fw.competencies[0].id}").get_data(as_text=True)


def test_credential_page_shows_requirements_rubric_and_stacks(client, org):
    micro = factories.micro_credential(org, name="Data Conversations")
    other = factories.micro_credential(org)
    stack = factories.stack_credential(org, [micro, other])
    response = client.get(f"/credentials/{micro.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for requirement in micro.requirements:
        assert requirement.title in html and requirement.prompt in html
    for level in micro.rubric.criteria[0].levels:
        assert level.descriptor in html
    assert "<table" in html and "Pass level" in html
    assert stack.name in html
    assert "<strong>it</strong>" in html  # criteria narrative rendered from Markdown


def test_unknown_or_unpublished_credential_is_404(client, org):
    draft = factories.micro_credential(org, published=False)
    assert client.get(f"/credentials/{draft.slug}").status_code == 404
    assert client.get("/credentials/no-such-thing").status_code == 404


def test_credential_page_query_count_is_bounded(client, org):
    """The page loads in a fixed number of queries, however big the rubric."""
    micro = factories.micro_credential(org)
    factories.stack_credential(org, [micro])
    statements: list[str] = []

    def count(*_args, **_kwargs):
        statements.append("q")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/credentials/{micro.slug}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 15, len(statements)


def test_markdown_is_sanitized(client, org):
    micro = factories.micro_credential(org)
    micro.criteria_md = "<script>alert(1)</script> [x](javascript:alert(1)) **ok**"
    db.session.commit()
    html = client.get(f"/credentials/{micro.slug}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "href=\"javascript" not in html
    assert "<strong>ok</strong>" in html


def test_catalog_browses_stacks_and_filters_by_domain_and_kind(client, org):
    fw = factories.framework(org, competencies=2)  # Domain A and Domain B
    routines = factories.micro_credential(org, name="Classroom Routines", competencies=[fw.competencies[0]])
    groups = factories.micro_credential(org, name="Small Groups", competencies=[fw.competencies[1]])
    stack = factories.stack_credential(org, [routines, groups])
    stack.name = "Blended Foundations"
    db.session.commit()

    def names(query: str) -> set[str]:
        html = client.get(f"/credentials{query}").get_data(as_text=True)
        return {n for n in ("Classroom Routines", "Small Groups", "Blended Foundations") if n in html}

    assert names("") == {"Classroom Routines", "Small Groups", "Blended Foundations"}
    assert names("?domain=Domain+A") == {"Classroom Routines"}
    assert names("?domain=Domain+B") == {"Small Groups"}
    assert names(f"?competency={fw.competencies[1].id}") == {"Small Groups"}
    assert names("?kind=stack") == {"Blended Foundations"}
    assert names("?kind=micro&q=routines") == {"Classroom Routines"}
    html = client.get("/credentials").get_data(as_text=True)
    assert '<label for="domain">Domain</label>' in html and '<label for="competency">Competency</label>' in html
    assert client.get("/credentials?competency=abc&kind=nonsense").status_code == 200  # ignored, never a 500


def test_credential_page_shows_competencies_hours_and_a_start_button(client, org):
    fw = factories.framework(org)
    micro = factories.micro_credential(org, name="Data Conversations", competencies=[fw.competencies[0]])
    html = client.get(f"/credentials/{micro.slug}").get_data(as_text=True)
    assert fw.competencies[0].code in html and fw.competencies[0].name in html
    assert "About 5 hours" in html
    assert "Start this credential" in html and f"/register?next=/credentials/{micro.slug}" in html
    for criterion in micro.rubric.criteria:
        assert criterion.name in html
        for level in criterion.levels:
            assert level.label in html and level.descriptor in html
