"""Rosters: the HR page and POST /api/v1/verify/bulk, 10,000 rows in a bounded number of queries."""

from __future__ import annotations

import csv
import gc
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.credentials.models import Award
from app.credentials.openbadges import keys, services as badge_services
from app.db import utcnow
from app.extensions import db
from app.verify import services
from tests import factories
from tests.verify.conftest import EMAIL, many_awards

ROWS = 10_000
#: One statement per CHUNK awards, one for their credentials and issuers, one each for the earners'
#: names and addresses, and the session or token: never one per row.
MAX_STATEMENTS = ROWS // services.CHUNK + 10


def _upload(client, text: str):
    return client.post("/verify/rosters", data={"file": (io.BytesIO(text.encode()), "roster.csv")},
                       content_type="multipart/form-data")


def test_a_10000_row_roster_on_the_page_in_bounded_queries(app, hr, credential, teacher, count_queries):
    uuids = many_awards(credential, teacher, ROWS)
    lines = ["award,email"] + [f"http://localhost/ob/assertions/{u},{EMAIL}" if i % 2 else u
                               for i, u in enumerate(uuids)]
    lines[5] = "not-a-badge"
    lines[7] = f"{uuids[6]},not-an-address"
    client = app.test_client(user=hr)
    with count_queries() as statements:
        response = _upload(client, "\n".join(lines) + "\n")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert len(statements) <= MAX_STATEMENTS, len(statements)
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-status="valid"' in text and "9,998" in text and "Page 1 of 100" in text
    problems = client.get(response.headers["Location"] + "?only=problems").get_data(as_text=True)
    assert "Row 8:" in problems and "not-a-badge" in problems
    results = list(csv.DictReader(io.StringIO(client.get(response.headers["Location"] + ".csv").get_data(as_text=True))))
    assert len(results) == ROWS
    by_row = {int(r["row"]): r for r in results}
    assert by_row[2]["status"] == "valid" and by_row[6]["status"] == "malformed" and by_row[8]["status"] == "error"
    assert by_row[3]["failed_checks"] == ""
    receipt = client.get(response.headers["Location"] + "/receipt.jws").get_data(as_text=True)
    checked = client.post("/api/v1/verify", json={"input": receipt}).get_json()
    assert checked["status"] == "valid" and checked["receipt_contents"]["summary"]["valid"] == ROWS - 2


def test_a_10000_row_roster_through_the_api_in_bounded_queries(client, credential, teacher, verify_token, count_queries):
    uuids = many_awards(credential, teacher, ROWS)
    items = [{"input": u, "email": EMAIL} for u in uuids]
    items[3] = {"input": ""}
    with count_queries() as statements:
        response = client.post("/api/v1/verify/bulk", json={"items": items},
                               headers={"Authorization": f"Bearer {verify_token}"})
    assert response.status_code == 200, response.get_json()
    assert len(statements) <= MAX_STATEMENTS, len(statements)
    body = response.get_json()
    assert body["summary"] == {"valid": ROWS - 1, "error": 1}
    assert body["items"][3]["error"] == "Row 4: no award address or id."
    assert all(item["checks"][-1] == {"name": "recipient", "passed": True,
                                      "message": "The e-mail address matches the recipient (salted sha256 hash)."}
               for item in body["items"] if item["status"] == "valid")


def test_a_roster_answers_every_row_as_verifying_it_alone_would(app, hr, org, credential, teacher, count_queries):
    """Rows of two issuers' credentials, revoked, expired and expiring, with and without e-mail:
    each row's answer is the one-input answer (only the first check, which names what was read,
    says "roster"), in a statement count that does not grow with the distinct credentials."""
    other = factories.micro_credential(factories.organization(name="Other District"), name="Other Badge")
    third = factories.micro_credential(org, name="Third Badge")
    uuids = many_awards(credential, teacher, 4) + many_awards(other, teacher, 3) + many_awards(third, teacher, 2)
    db.session.execute(update(Award).where(Award.uuid == uuids[1]).values(revoked_at=utcnow(), revocation_reason="Duplicate."))
    db.session.execute(update(Award).where(Award.uuid == uuids[4]).values(revoked_at=utcnow()))
    db.session.execute(update(Award).where(Award.uuid == uuids[5]).values(expires_at=utcnow() - timedelta(days=3)))
    db.session.execute(update(Award).where(Award.uuid == uuids[7]).values(expires_at=utcnow() + timedelta(days=30)))
    db.session.commit()
    inputs = [(u if i % 2 else f"http://localhost/ob/assertions/{u}", [EMAIL, "", "someone@example.org"][i % 3])
              for i, u in enumerate(uuids)] + [("00000000-0000-0000-0000-000000000000", EMAIL)]
    items = [services.RosterItem(number, value, email) for number, (value, email) in enumerate(inputs, start=1)]
    assert hr.has_role(Role.HR)  # the verifier and her roles loaded before counting
    with count_queries() as statements:
        roster = services.verify_roster(verifier=hr, items=items)
    # Awards, their credentials and issuers, the public names, the verified addresses.
    assert len(statements) == 4, [s[:60] for s in statements]
    assert {row.answer.issuer for row in roster.rows} == {"Other District", credential.issuer.name, None}
    assert roster.summary == {"valid": 4, "recipient_mismatch": 2, "revoked": 2, "expired": 1, "not_issued_here": 1}
    for row in roster.rows:
        alone = services.verify_credential(text=row.input, email=row.email).as_dict()
        got = row.answer.as_dict()
        assert got["checks"][1:] == alone["checks"][1:], row.input
        assert {k: v for k, v in got.items() if k not in ("checks", "checked_at")} == \
            {k: v for k, v in alone.items() if k not in ("checks", "checked_at")}, row.input


def test_collection_is_paused_for_the_last_roster_in_progress_only():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), services.collection_paused():
        with services.collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer roster is still in progress
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with services.collection_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_bulk_takes_a_csv_too_and_reports_revocations(client, award, admin, verify_token):
    badge_services.revoke_award(admin=admin, award=award, reason="Duplicate.")
    db.session.commit()
    text = f"{award.uuid}\n\nhttps://example.org/x.png,bad email\n"
    response = client.post("/api/v1/verify/bulk", data={"file": (io.BytesIO(text.encode()), "r.csv")},
                           content_type="multipart/form-data", headers={"Authorization": f"Bearer {verify_token}"})
    body = response.get_json()
    assert [(i["row"], i["status"]) for i in body["items"]] == [(1, "revoked"), (3, "error")]
    assert body["items"][0]["revocation_reason"] == "Duplicate."
    assert "Row 3:" in body["items"][1]["error"]


def test_bulk_needs_a_token_with_the_verify_scope(client, hr):
    assert client.post("/api/v1/verify/bulk", json={"items": [{"input": "x"}]}).status_code == 401
    token = client.post("/api/v1/tokens", json={"email": hr.email, "password": factories.PASSWORD,
                                                "scopes": ["read"]}).get_json()["token"]
    response = client.post("/api/v1/verify/bulk", json={"items": [{"input": "x"}]},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_too_many_rows_is_a_clear_error(make_app, hr):
    app = make_app(VERIFY_MAX_ROWS=3)
    with app.app_context():
        user = factories.user(roles={hr.roles.pop()}, organization=None, email="hr2@example.org")
        response = _upload(app.test_client(user=user), "a\nb\nc\nd\n")
        assert response.status_code == 422
        assert "the limit is 3" in response.get_data(as_text=True)


@pytest.mark.parametrize("content,message", [
    (b"\xff\xfe\x00bad", "UTF-8"),
    (b"\n\n", "empty"),
])
def test_unreadable_rosters_are_errors_next_to_the_field(app, hr, content, message):
    response = app.test_client(user=hr).post("/verify/rosters", data={"file": (io.BytesIO(content), "r.csv")},
                                             content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page and message in page


def test_header_detection(app):
    from app.verify.services import parse_roster_csv

    items, errors = parse_roster_csv(b"Email,Award URL\nana@example.org,http://localhost/ob/assertions/x\n")
    assert [(i.row, i.input, i.email) for i in items] == [(2, "http://localhost/ob/assertions/x", "ana@example.org")]
    items, _ = parse_roster_csv(b"3f2c1d4e-0000-4000-8000-000000000000\n")
    assert items[0].row == 1


def test_roster_results_belong_to_whoever_uploaded_them(app, hr, org, award):
    response = _upload(app.test_client(user=hr), f"{award.uuid}\n")
    location = response.headers["Location"]
    other = factories.user(roles={hr.roles.pop()}, organization=org, email="other-hr@example.org")
    assert app.test_client(user=other).get(location).status_code == 404
    assert app.test_client(user=hr).get(location).status_code == 200


def test_formula_cells_are_neutralised_in_the_csv(app, hr):
    response = _upload(app.test_client(user=hr), "=HYPERLINK(\"http://evil\")\n")
    csv_text = app.test_client(user=hr).get(response.headers["Location"] + ".csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text


def test_anonymous_verification_is_rate_limited_and_verify_tokens_less_so(make_app, hr):
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute", VERIFY_TOKEN_RATE_LIMIT="5 per minute")
    with app.app_context():
        client = app.test_client()
        user = factories.user(roles={hr.roles.pop()}, email="hr3@example.org")
        token = client.post("/api/v1/tokens", json={"email": user.email, "password": factories.PASSWORD,
                                                    "scopes": ["verify"]}).get_json()["token"]
        statuses = [client.post("/api/v1/verify", json={"input": "x"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert [client.post("/verify", data={"text": "x"}).status_code for _ in range(4)] == [200, 200, 200, 429]
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [client.post("/api/v1/verify", json={"input": "x"}, headers=headers).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        assert client.post("/api/v1/verify", json={"input": "x"}).get_json()["error"]["code"] == "rate_limited"


def test_roster_results_are_kept_for_the_retention_period_then_refused_and_deleted(app, hr, award):
    from app.errors import NotFound
    from app.storage import get_storage

    client = app.test_client(user=hr)
    response = _upload(client, f"{award.uuid}\n")
    location = response.headers["Location"]
    token = location.rsplit("/", 1)[-1]
    page = client.get(location).get_data(as_text=True)
    assert "kept for 30 days" in page
    with app.test_request_context():
        assert services.load_roster(verifier=hr, token=token)["rows"][0]["status"] == "valid"
        # A month and a day later the same address answers 404 with the reason, and the file is gone.
        with pytest.raises(NotFound, match="kept for 30 days"):
            services.load_roster(verifier=hr, token=token, now=utcnow() + timedelta(days=31))
        assert list(get_storage().iter_keys(f"verify/rosters/{hr.id}")) == []
    assert client.get(location).status_code == 404


def test_purge_rosters_deletes_only_results_past_the_period(app, hr, award):
    from app.storage import get_storage

    client = app.test_client(user=hr)
    _upload(client, f"{award.uuid}\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify", "purge-rosters"])
    assert result.exit_code == 0 and "deleted 0 roster result(s) older than 30 days" in result.output
    app.config["VERIFY_ROSTER_DAYS"] = 0
    result = runner.invoke(args=["verify", "purge-rosters"])
    assert result.exit_code == 0 and "deleted 1 roster result(s)" in result.output
    with app.app_context():
        assert list(get_storage().iter_keys("verify/rosters")) == []
