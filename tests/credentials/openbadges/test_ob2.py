"""OB 2.0 documents as served: issuer, badge class, hosted assertion, negotiation, 410, expiry, evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.credentials.awards import identity_hash
from app.credentials.openbadges import services
from app.extensions import db
from tests.credentials.openbadges.conftest import issue


def get_json(client, path, status=200):
    response = client.get(path, headers={"Accept": "application/ld+json, application/json"})
    assert response.status_code == status, (path, response.status_code, response.data[:300])
    return response.get_json(force=True)


def test_hosted_assertion_has_every_field(client, award, teacher):
    doc = get_json(client, f"/ob/assertions/{award.uuid}")
    assert doc["@context"] == "https://w3id.org/openbadges/v2"
    assert doc["type"] == "Assertion"
    assert doc["id"] == f"http://localhost/ob/assertions/{award.uuid}"
    assert doc["recipient"] == {"type": "email", "hashed": True, "salt": award.salt,
                                "identity": identity_hash(teacher.email, award.salt)}
    assert doc["badge"] == f"http://localhost/ob/badges/{award.credential_id}"
    assert doc["verification"] == {"type": "hosted"}
    assert doc["issuedOn"].endswith("Z") and doc["expires"].endswith("Z")
    assert datetime.fromisoformat(doc["expires"]) > datetime.fromisoformat(doc["issuedOn"])
    assert doc["evidence"][0]["narrative"] and "id" not in doc["evidence"][0]


def test_badge_class_and_issuer(client, award, org, credential):
    badge = get_json(client, f"/ob/badges/{credential.id}")
    assert badge["type"] == "BadgeClass" and badge["name"] == "Station Rotation"
    assert badge["criteria"]["id"].endswith(f"/credentials/{credential.slug}") and badge["criteria"]["narrative"]
    assert badge["issuer"] == f"http://localhost/ob/issuers/{org.id}"
    assert badge["tags"] == ["demo"]
    first = badge["alignment"][0]
    assert first["targetUrl"] == "https://standards.example.org/c1" and first["targetCode"]
    assert first["targetFramework"] and first["targetDescription"] == "Plans station rotations."
    assert "?competency=" in badge["alignment"][1]["targetUrl"]
    image = client.get(badge["image"].replace("http://localhost", ""))
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")

    issuer = get_json(client, f"/ob/issuers/{org.id}")
    assert issuer["type"] == "Issuer" and issuer["email"] == org.email and issuer["url"] == org.url
    assert issuer["revocationList"].endswith(f"/ob/issuers/{org.id}/revocations")
    key = get_json(client, issuer["publicKey"][0].replace("http://localhost", ""))
    assert key["type"] == "CryptographicKey" and key["owner"] == issuer["id"]
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_a_browser_gets_the_verification_page(client, award):
    response = client.get(f"/ob/assertions/{award.uuid}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Valid." in html and "Station Rotation" in html and award.recipient_email not in html


def test_revoked_hosted_assertion_answers_410(client, award, admin, org):
    services.revoke_award(admin=admin, award=award, reason="Plagiarised evidence.")
    db.session.commit()
    body = get_json(client, f"/ob/assertions/{award.uuid}", status=410)
    assert body == {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
                    "id": f"http://localhost/ob/assertions/{award.uuid}", "revoked": True,
                    "revocationReason": "Plagiarised evidence."}
    listing = get_json(client, f"/ob/issuers/{org.id}/revocations")
    assert listing["revokedAssertions"] == [{"id": body["id"], "revocationReason": "Plagiarised evidence."}]
    for variant in ["hosted.png", "signed.png", "hosted.svg", "signed.svg", "ob3.png", "signed.jws"]:
        downloaded = client.get(f"/ob/assertions/{award.uuid}/{variant}")
        assert downloaded.status_code == 410 and downloaded.get_json()["revoked"] is True, variant
    page = client.get(f"/ob/assertions/{award.uuid}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Revoked" in page.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.revoked"))
    assert event.object_id == award.id and event.actor_id == admin.id and event.data["reason"] == "Plagiarised evidence."


def test_revoking_twice_or_without_reason_is_refused(award, admin, teacher):
    from app.errors import Conflict, PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as missing:
        services.revoke_award(admin=admin, award=award, reason="   ")
    assert missing.value.field == "reason"
    with pytest.raises(PermissionDenied):
        services.revoke_award(admin=teacher, award=award, reason="no")
    services.revoke_award(admin=admin, award=award, reason="Wrong person.")
    with pytest.raises(Conflict):
        services.revoke_award(admin=admin, award=award, reason="Again.")


def test_expiry_comes_from_the_validity_period_and_shows(client, teacher, credential):
    credential.validity_months = 12
    db.session.commit()
    issued = datetime(2024, 1, 31, 9, 30, tzinfo=UTC)
    award = issue(teacher, credential, decided_at=issued)
    doc = get_json(client, f"/ob/assertions/{award.uuid}")
    assert doc["issuedOn"] == "2024-01-31T09:30:00Z" and doc["expires"] == "2025-01-31T09:30:00Z"
    html = client.get(f"/ob/assertions/{award.uuid}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Expired" in html
    credential.validity_months = None
    db.session.commit()
    other = issue(teacher, credential)
    assert "expires" not in get_json(client, f"/ob/assertions/{other.uuid}")


def test_evidence_page_only_with_consent(client, award, teacher, admin):
    assert client.get(f"/ob/assertions/{award.uuid}/evidence").status_code == 404
    from app.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_evidence_consent(award, admin, True)
    services.set_evidence_consent(award, teacher, True)
    db.session.commit()
    doc = get_json(client, f"/ob/assertions/{award.uuid}")
    assert doc["evidence"][0]["id"] == f"http://localhost/ob/assertions/{award.uuid}/evidence"
    page = client.get(f"/ob/assertions/{award.uuid}/evidence")
    assert page.status_code == 200 and award.narrative in page.get_data(as_text=True)
    services.set_evidence_consent(award, teacher, False)
    db.session.commit()
    assert client.get(f"/ob/assertions/{award.uuid}/evidence").status_code == 404
    assert "id" not in get_json(client, f"/ob/assertions/{award.uuid}")["evidence"][0]


def test_unknown_addresses_are_404(client, award):
    assert client.get("/ob/assertions/not-a-uuid").status_code == 404
    assert client.get("/ob/badges/999999").status_code == 404
    assert client.get("/ob/keys/nope").status_code == 404
    assert client.get("/ob/issuers/999999").status_code == 404


def test_draft_badge_classes_are_not_public(client, org):
    from tests import factories

    draft = factories.micro_credential(org, published=False)
    assert client.get(f"/ob/badges/{draft.id}").status_code == 404


def test_hosted_assertion_runs_one_query(client, award, count_queries):
    with count_queries() as statements:
        assert client.get(f"/ob/assertions/{award.uuid}").status_code == 200
    assert len(statements) <= 2, statements


def test_assertion_json_is_stable_between_requests(client, award):
    first = client.get(f"/ob/assertions/{award.uuid}").data
    assert json.loads(first) == json.loads(client.get(f"/ob/assertions/{award.uuid}").data)


def test_cached_assertions_are_replayed_and_dropped_on_change(client, award, admin, teacher, count_queries):
    first = client.get(f"/ob/assertions/{award.uuid}")
    with count_queries() as statements:
        again = client.get(f"/ob/assertions/{award.uuid}")
    assert statements == []  # replayed from the cache, no database work
    assert again.data == first.data and again.headers == first.headers
    assert "X-OB-Cache" not in first.headers
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    html = client.get(f"/ob/assertions/{award.uuid}", headers={"Accept": "text/html"})
    assert html.mimetype == "text/html"  # browsers always reach the page

    services.set_evidence_consent(award, teacher, True)
    db.session.commit()
    assert "id" in client.get(f"/ob/assertions/{award.uuid}").get_json()["evidence"][0]
    services.revoke_award(admin=admin, award=award, reason="Issued in error.")
    db.session.commit()
    assert client.get(f"/ob/assertions/{award.uuid}").status_code == 410


def test_the_cache_can_be_turned_off(make_app, award, count_queries):
    app = make_app(OB_ASSERTION_CACHE_SECONDS=0)
    client = app.test_client()
    client.get(f"/ob/assertions/{award.uuid}")
    with app.app_context(), count_queries() as statements:
        assert client.get(f"/ob/assertions/{award.uuid}").status_code == 200
    assert statements
