"""The JSON API: tokens, the error envelope, the catalog, the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.auth import hash_token
from app.accounts.models import ApiToken, Role
from app.db import utcnow
from app.extensions import db
from tests import factories
from tests.factories import PASSWORD


def _token(client, email, password=PASSWORD, **extra):
    return client.post("/api/v1/tokens", json={"email": email, "password": password, **extra})


def _assert_envelope(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_token_is_issued_and_stored_hashed(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    response = _token(client, "t@example.org")
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("mc_") and body["expires_at"]
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hash_token(body["token"]) and body["token"] not in stored.token_hash
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["email"] == "t@example.org"


def test_wrong_password_gets_401_envelope(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    _assert_envelope(_token(client, "t@example.org", "wrong-password"), 401, "unauthorized")


def test_missing_fields_get_422_with_fields(client):
    error = _assert_envelope(client.post("/api/v1/tokens", json={"email": "x@example.org"}), 422, "validation_error")
    assert "password" in error["fields"]


def test_unknown_fields_are_refused(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    error = _assert_envelope(_token(client, "t@example.org", is_admin=True), 422, "validation_error")
    assert "is_admin" in error["fields"]


def test_malformed_json_gets_envelope(client):
    response = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert response.status_code in {400, 422}
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_unknown_api_route_and_wrong_method(client):
    _assert_envelope(client.get("/api/v1/nope"), 404, "not_found")
    _assert_envelope(client.get("/api/v1/tokens"), 405, "method_not_allowed")


def test_expired_and_revoked_tokens_are_refused(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    secret = _token(client, "t@example.org").get_json()["token"]
    token = db.session.scalar(select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _assert_envelope(client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}), 401, "unauthorized")
    token.expires_at = utcnow() + timedelta(days=1)
    token.revoked_at = utcnow()
    db.session.commit()
    _assert_envelope(client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}), 401, "unauthorized")


def test_verify_scope_is_for_hr_only(client, user_with_role):
    user_with_role(Role.TEACHER, email="t@example.org")
    user_with_role(Role.HR, email="hr@example.org")
    _assert_envelope(_token(client, "t@example.org", scopes=["verify"]), 422, "validation_error")
    assert _token(client, "hr@example.org", scopes=["verify"]).get_json()["scopes"] == ["verify"]


def test_token_endpoint_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, TOKEN_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        for _ in range(2):
            _token(client, "x@example.org", "wrong-password")
        _assert_envelope(_token(client, "x@example.org", "wrong-password"), 429, "rate_limited")


def test_catalog_lists_only_published_newest_versions(client, org):
    fw = factories.framework(org)
    old = factories.micro_credential(org, slug="routines", version=1, competencies=[fw.competencies[0]])
    new = factories.micro_credential(org, slug="routines", version=2, name="Routines v2",
                                     competencies=[fw.competencies[0]])
    factories.micro_credential(org, slug="draft-one", published=False)
    items = client.get("/api/v1/credentials").get_json()["items"]
    assert [i["id"] for i in items] == [new.id]
    assert items[0]["competencies"][0]["code"] == fw.competencies[0].code
    assert old.id != new.id


def test_catalog_filters(client, org):
    fw = factories.framework(org)
    a = factories.micro_credential(org, competencies=[fw.competencies[0]], name="Alpha routines")
    b = factories.micro_credential(org, competencies=[fw.competencies[1]], name="Beta data")
    stack = factories.stack_credential(org, [a, b])
    ids = lambda **q: {i["id"] for i in client.get("/api/v1/credentials", query_string=q).get_json()["items"]}  # noqa: E731
    assert ids(q="alpha") == {a.id}
    assert ids(competency=fw.competencies[1].id) == {b.id}
    assert ids(kind="stack") == {stack.id}
    assert ids(domain="Domain A") == {a.id}
    _assert_envelope(client.get("/api/v1/credentials?kind=bogus"), 422, "validation_error")


def test_credential_detail_has_requirements_and_rubric(client, org):
    credential = factories.micro_credential(org)
    body = client.get(f"/api/v1/credentials/{credential.id}").get_json()
    assert [r["kind"] for r in body["requirements"]] == ["text", "file", "data"]
    criteria = body["rubric"]["criteria"]
    assert len(criteria) == 3
    assert [lv["label"] for lv in criteria[0]["levels"]] == ["Not yet", "Developing", "Proficient", "Exemplary"]
    assert [lv["is_pass"] for lv in criteria[0]["levels"]] == [False, False, True, False]
    assert body["policy"]["peer_reviews"] == 2


def test_unpublished_credential_is_404(client, org):
    draft = factories.micro_credential(org, published=False)
    _assert_envelope(client.get(f"/api/v1/credentials/{draft.id}"), 404, "not_found")


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ["/api/v1/tokens", "/api/v1/credentials", "/api/v1/credentials/{credential_id}", "/api/v1/me"]:
        assert path in spec["paths"], path
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_committed_openapi_document_is_current(app):
    """docs/openapi.json is regenerated with `flask openapi write docs/openapi.json`."""
    import json
    from pathlib import Path

    from app.extensions import api

    committed = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(api.spec.to_dict())), (
        "docs/openapi.json is stale: run .venv/bin/flask --app wsgi openapi write docs/openapi.json"
    )
