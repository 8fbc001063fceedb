"""Every authoring route x every kind of visitor: designers and admins of the organization
may author; teachers, coaches and HR get 403; anonymous visitors go to the login page;
the API answers only bearer tokens (a browser session gets 401)."""

from __future__ import annotations

import pytest

from app.credentials.authoring import services as svc
from app.extensions import db
from tests import factories
from tests.credentials.authoring.conftest import build_draft
from tests.support.access import AUTHOR, TOKEN, VISITORS, check_access

MATRIX = [
    ("GET", "/author/", AUTHOR, "authoring.index"),
    ("POST", "/author/preview", AUTHOR, "authoring.preview_markdown"),
    ("GET", "/author/frameworks/new", AUTHOR, "authoring.framework_new"),
    ("GET", "/author/frameworks/import", AUTHOR, "authoring.framework_import"),
    ("GET", "/author/frameworks/{framework}", AUTHOR, "authoring.framework"),
    ("POST", "/author/frameworks/{framework}/retire", AUTHOR, "authoring.framework_retire"),
    ("GET", "/author/frameworks/{framework}/export.csv", AUTHOR, "authoring.framework_export_csv"),
    ("GET", "/author/frameworks/{framework}/export.json", AUTHOR, "authoring.framework_export_case"),
    ("GET", "/author/frameworks/{framework}/competencies/new", AUTHOR, "authoring.competency_new"),
    ("GET", "/author/competencies/{competency}", AUTHOR, "authoring.competency"),
    ("POST", "/author/competencies/{competency}/move", AUTHOR, "authoring.competency_move"),
    ("POST", "/author/competencies/{competency}/retire", AUTHOR, "authoring.competency_retire"),
    ("GET", "/author/modules/new", AUTHOR, "authoring.module_new"),
    ("GET", "/author/modules/{module}", AUTHOR, "authoring.module"),
    ("GET", "/author/modules/{module}/sections/new", AUTHOR, "authoring.section_new"),
    ("GET", "/author/sections/{section}", AUTHOR, "authoring.section"),
    ("POST", "/author/sections/{section}/move", AUTHOR, "authoring.section_move"),
    ("POST", "/author/sections/{section}/delete", AUTHOR, "authoring.section_delete"),
    ("GET", "/author/credentials/new", AUTHOR, "authoring.credential_new"),
    ("GET", "/author/credentials/import", AUTHOR, "authoring.credential_import"),
    ("GET", "/author/credentials/{credential}", AUTHOR, "authoring.credential"),
    ("POST", "/author/credentials/{credential}/new-version", AUTHOR, "authoring.credential_new_version"),
    ("POST", "/author/credentials/{credential}/publish", AUTHOR, "authoring.credential_publish"),
    ("POST", "/author/credentials/{credential}/unpublish", AUTHOR, "authoring.credential_unpublish"),
    ("GET", "/author/credentials/{credential}/history", AUTHOR, "authoring.credential_history"),
    ("GET", "/author/credentials/{credential}/export.json", AUTHOR, "authoring.credential_export"),
    ("GET", "/author/credentials/{credential}/preview/teacher", AUTHOR, "authoring.preview_teacher"),
    ("GET", "/author/credentials/{credential}/preview/reviewer", AUTHOR, "authoring.preview_reviewer"),
    ("GET", "/author/credentials/{credential}/requirements/new", AUTHOR, "authoring.requirement_new"),
    ("GET", "/author/requirements/{requirement}", AUTHOR, "authoring.requirement"),
    ("POST", "/author/requirements/{requirement}/move", AUTHOR, "authoring.requirement_move"),
    ("POST", "/author/requirements/{requirement}/delete", AUTHOR, "authoring.requirement_delete"),
    ("GET", "/author/credentials/{credential}/criteria/new", AUTHOR, "authoring.criterion_new"),
    ("GET", "/author/criteria/{criterion}", AUTHOR, "authoring.criterion"),
    ("POST", "/author/criteria/{criterion}/move", AUTHOR, "authoring.criterion_move"),
    ("POST", "/author/criteria/{criterion}/delete", AUTHOR, "authoring.criterion_delete"),
    ("GET", "/author/credentials/{credential}/policy", AUTHOR, "authoring.policy"),
    ("GET", "/author/credentials/{credential}/exemplars/new", AUTHOR, "authoring.exemplar_new"),
    ("GET", "/author/exemplars/{exemplar}", AUTHOR, "authoring.exemplar"),
    ("POST", "/author/exemplars/{exemplar}/delete", AUTHOR, "authoring.exemplar_delete"),
    ("GET", "/author/credentials/{stack}/stack", AUTHOR, "authoring.stack"),
    ("POST", "/author/credentials/{credential}/offer", AUTHOR, "authoring.credential_offer"),
    ("GET", "/author/shared", AUTHOR, "authoring.shared"),
    ("POST", "/author/shared/{foreign}/adopt", AUTHOR, "authoring.credential_adopt"),
    ("POST", "/author/shared/{foreign}/drop", AUTHOR, "authoring.credential_drop"),
    ("POST", "/author/shared/{foreign}/copy", AUTHOR, "authoring.credential_copy"),
    ("GET", "/api/v1/author/frameworks", TOKEN, "api.author_list_frameworks"),
    ("POST", "/api/v1/author/frameworks", TOKEN, "api.author_create_framework"),
    ("POST", "/api/v1/author/frameworks/import", TOKEN, "api.author_import_framework"),
    ("GET", "/api/v1/author/frameworks/{framework}", TOKEN, "api.author_get_framework"),
    ("PATCH", "/api/v1/author/frameworks/{framework}", TOKEN, "api.author_update_framework"),
    ("POST", "/api/v1/author/frameworks/{framework}/retire", TOKEN, "api.author_retire_framework"),
    ("GET", "/api/v1/author/frameworks/{framework}/case", TOKEN, "api.author_export_framework_case"),
    ("GET", "/api/v1/author/frameworks/{framework}/csv", TOKEN, "api.author_export_framework_csv"),
    ("POST", "/api/v1/author/frameworks/{framework}/competencies", TOKEN, "api.author_create_competency"),
    ("PUT", "/api/v1/author/frameworks/{framework}/competencies/order", TOKEN, "api.author_order_competencies"),
    ("PATCH", "/api/v1/author/competencies/{competency}", TOKEN, "api.author_update_competency"),
    ("POST", "/api/v1/author/competencies/{competency}/retire", TOKEN, "api.author_retire_competency"),
    ("GET", "/api/v1/author/modules", TOKEN, "api.author_list_modules"),
    ("POST", "/api/v1/author/modules", TOKEN, "api.author_create_module"),
    ("GET", "/api/v1/author/modules/{module}", TOKEN, "api.author_get_module"),
    ("PUT", "/api/v1/author/modules/{module}", TOKEN, "api.author_update_module"),
    ("GET", "/api/v1/author/credentials", TOKEN, "api.author_list_credentials"),
    ("POST", "/api/v1/author/credentials", TOKEN, "api.author_create_credential"),
    ("GET", "/api/v1/author/credentials/{credential}", TOKEN, "api.author_get_credential"),
    ("PUT", "/api/v1/author/credentials/{credential}", TOKEN, "api.author_update_credential"),
    ("PUT", "/api/v1/author/credentials/{stack}/stack", TOKEN, "api.author_update_stack"),
    ("POST", "/api/v1/author/credentials/{credential}/publish", TOKEN, "api.author_publish_credential"),
    ("POST", "/api/v1/author/credentials/{credential}/unpublish", TOKEN, "api.author_unpublish_credential"),
    ("POST", "/api/v1/author/credentials/{credential}/versions", TOKEN, "api.author_new_version"),
    ("GET", "/api/v1/author/credentials/{credential}/history", TOKEN, "api.author_credential_history"),
    ("GET", "/api/v1/author/credentials/{credential}/export", TOKEN, "api.author_export_credential"),
    ("POST", "/api/v1/author/credentials/{credential}/offer", TOKEN, "api.author_offer_credential"),
    ("GET", "/api/v1/author/shared", TOKEN, "api.author_list_offers"),
    ("POST", "/api/v1/author/shared/{foreign}/adopt", TOKEN, "api.author_adopt_credential"),
    ("POST", "/api/v1/author/shared/{foreign}/copy", TOKEN, "api.author_copy_credential"),
]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("method,url,access,endpoint", MATRIX, ids=[m[3] for m in MATRIX])
def test_authoring_access(app, org, designer, visitor, method, url, access, endpoint):
    credential = build_draft(designer)
    criterion = credential.rubric.criteria[0]
    exemplar = svc.save_exemplar(author=designer, credential=credential, data=svc.ExemplarData(
        title="Sample", body_md="A sample.", levels={c.id: (c.levels[1].id, "Clear") for c in credential.rubric.criteria}))
    stack = svc.create_credential(author=designer, kind=svc.CredentialKind.STACK, name="A stack")
    framework = factories.framework(org)
    other = factories.organization()
    foreign = factories.micro_credential(other)
    foreign.offered_at = foreign.created_at
    db.session.commit()
    url = url.format(
        framework=framework.id, competency=framework.competencies[0].id, module=credential.module_id,
        section=credential.module.sections[0].id, credential=credential.id, requirement=credential.requirements[0].id,
        criterion=criterion.id, exemplar=exemplar.id, stack=stack.id, foreign=foreign.id,
    )
    check_access(app, org, visitor, method, url, access, factories)
