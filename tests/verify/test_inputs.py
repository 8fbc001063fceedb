"""Every input kind on /verify and POST /api/v1/verify: valid, tampered, revoked, expired, unknown,
not issued here, garbage; the recipient check; the earner shown only when public."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from app.credentials.openbadges import keys, services as badge_services
from app.db import utcnow
from app.extensions import db
from app.verify import services
from tests import factories
from tests.verify.conftest import EMAIL, issue
from tests.verify.helpers import CHANNELS, baked, document, verify

TEXT_KINDS = {
    "award-id": lambda a: a.uuid,
    "urn-uuid": lambda a: f"urn:uuid:{a.uuid}",
    "hosted-url": lambda a: f"http://localhost/ob/assertions/{a.uuid}",
    "download-url": lambda a: f"http://localhost/ob/assertions/{a.uuid}/signed.png",
    "ob2-json": lambda a: json.dumps(__import__("app.credentials.openbadges.ob2", fromlist=["x"]).assertion(a)),
    "jws": lambda a: document(a, "ob2_jws"),
    "vc-jwt": lambda a: document(a, "ob3_jwt"),
    "ob3-json": lambda a: document(a, "ob3_json"),
}
IMAGE_KINDS = {
    "hosted-png": ("ob2_hosted_png", "b.png"), "hosted-svg": ("ob2_hosted_svg", "b.svg"),
    "signed-png": ("ob2_signed_png", "b.png"), "signed-svg": ("ob2_signed_svg", "b.svg"),
    "ob3-png": ("ob3_png", "b.png"), "ob3-svg": ("ob3_svg", "b.svg"),
}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", list(TEXT_KINDS))
def test_each_text_kind_verifies(client, award, channel, kind):
    status, checks, _ = verify(client, channel, text=TEXT_KINDS[kind](award), email=EMAIL.upper())
    assert status == "valid"
    assert checks["issued_here"] and checks["not_revoked"] and checks["not_expired"] and checks["recipient"]
    if kind in ("jws", "vc-jwt", "ob3-json"):
        assert checks["signature"] and checks["document_matches"]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", list(IMAGE_KINDS))
def test_each_baked_image_verifies(client, award, channel, kind):
    document_kind, filename = IMAGE_KINDS[kind]
    status, checks, _ = verify(client, channel, data=baked(award, document_kind), filename=filename, email=EMAIL)
    assert status == "valid", checks
    assert checks["parsed"] and checks["recipient"]
    if kind.startswith(("signed", "ob3")):
        assert checks["signature"]


def _tamper_compact(token: str, change) -> str:
    head, body, signature = token.split(".")
    payload = json.loads(keys.b64url_decode(body))
    change(payload)
    return head + "." + keys.b64url(json.dumps(payload).encode()) + "." + signature


@pytest.mark.parametrize("channel", CHANNELS)
def test_tampered_signatures_are_signature_invalid(client, award, channel):
    later = "2031-01-01T00:00:00Z"
    jws = _tamper_compact(document(award, "ob2_jws"), lambda p: p.update(expires=later))
    jwt = _tamper_compact(document(award, "ob3_jwt"), lambda p: p.update(validUntil=later))
    credential = json.loads(document(award, "ob3_json"))
    credential["validUntil"] = later
    for text in (jws, jwt, json.dumps(credential)):
        status, checks, _ = verify(client, channel, text=text)
        assert status == "signature_invalid"
        assert checks["signature"] is False
    forged_signature = document(award, "ob2_jws").rsplit(".", 1)[0] + "." + keys.b64url(b"\0" * 256)
    assert verify(client, channel, text=forged_signature)[0] == "signature_invalid"


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_signed_document_that_differs_from_the_record_is_not_issued_here(client, award, channel, org):
    # Genuinely signed by the issuer's key, but not what the database says was issued.
    from app.credentials.models import KeyAlgorithm
    from app.credentials.openbadges import ob2

    assertion = ob2.assertion(award, signed_with=keys.active_key(org, KeyAlgorithm.RSA))
    assertion["issuedOn"] = "2020-01-01T00:00:00Z"
    token = ob2.sign_jws(assertion, keys.active_key(org, KeyAlgorithm.RSA))
    status, checks, _ = verify(client, channel, text=token)
    assert status == "not_issued_here" and checks["signature"] and checks["document_matches"] is False


@pytest.mark.parametrize("channel", CHANNELS)
def test_revoked_shows_the_reason_in_every_format(client, award, admin, channel):
    texts = [award.uuid, document(award, "ob2_jws"), document(award, "ob3_jwt"), document(award, "ob3_json")]
    images = [baked(award, "ob2_hosted_png"), baked(award, "ob3_svg")]
    badge_services.revoke_award(admin=admin, award=award, reason="Evidence was not her own.")
    db.session.commit()
    for text in texts:
        status, checks, message = verify(client, channel, text=text)
        assert status == "revoked" and checks["not_revoked"] is False
        assert "Evidence was not her own." in message
    for image in images:
        assert verify(client, channel, data=image)[0] == "revoked"


@pytest.mark.parametrize("channel", CHANNELS)
def test_expired(client, award, channel):
    award.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    status, checks, _ = verify(client, channel, text=award.uuid)
    assert status == "expired" and checks["not_expired"] is False


@pytest.mark.parametrize("channel", CHANNELS)
def test_unknown_issuer_and_not_issued_here(client, award, channel):
    # A JWS naming a key nobody here published.
    payload = json.loads(keys.b64url_decode(document(award, "ob2_jws").split(".")[1]))
    payload["verification"]["creator"] = "http://localhost/ob/keys/rsa-0000000000000000"
    head = keys.b64url(json.dumps({"alg": "RS256"}).encode())
    token = head + "." + keys.b64url(json.dumps(payload).encode()) + "." + keys.b64url(b"x" * 256)
    assert verify(client, channel, text=token)[0] == "unknown_issuer"
    # An OB 3.0 credential whose method is a DID of this platform with an unknown key.
    credential = json.loads(document(award, "ob3_json"))
    credential["proof"]["verificationMethod"] = credential["proof"]["verificationMethod"].split("#")[0] + "#ed25519-00"
    assert verify(client, channel, text=json.dumps(credential))[0] == "unknown_issuer"
    # Ids and addresses that were never issued here, and a credential of another platform.
    for text in ("3f2c1d4e-0000-4000-8000-000000000000", "http://localhost/ob/assertions/3f2c1d4e-0000-4000-8000-000000000000",
                 "http://localhost/credentials"):
        status, checks, _ = verify(client, channel, text=text)
        assert status == "not_issued_here" and checks["issued_here"] is False
    credential["proof"]["verificationMethod"] = "did:web:elsewhere.example#key-1"
    assert verify(client, channel, text=json.dumps(credential))[0] == "not_issued_here"


GARBAGE_TEXT = {
    "empty-ish": "   x   ",
    "json": '{"type": "Assertion", ',
    "json-other": '{"hello": "world"}',
    "jws": "abc.def.ghi",
    "scheme": "ftp://badges.example.org/a",
    "javascript": "javascript:alert(1)",
}
GARBAGE_FILES = {
    "png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "g.png"),
    "plain-png": (None, "p.png"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "g.svg"),
    "binary": (bytes(range(256)) * 4, "g.bin"),
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_garbage_of_each_kind_is_malformed_with_a_message(client, credential, channel):
    from app.credentials.openbadges import images

    for name, text in GARBAGE_TEXT.items():
        status, checks, message = verify(client, channel, text=text)
        assert status == "malformed", name
        assert checks["parsed"] is False and message, name
    for name, (data, filename) in GARBAGE_FILES.items():
        data = data if data is not None else images.badge_png(credential)
        status, checks, message = verify(client, channel, data=data, filename=filename)
        assert status == "malformed", name


@pytest.mark.parametrize("channel", CHANNELS)
def test_recipient_match_and_mismatch(client, award, channel):
    assert verify(client, channel, text=award.uuid, email="ana.teacher@example.org")[1]["recipient"] is True
    status, checks, _ = verify(client, channel, text=award.uuid, email="someone.else@example.org")
    assert status == "recipient_mismatch" and checks["recipient"] is False
    assert verify(client, channel, text=award.uuid)[1]["recipient"] is None  # not checked without an address


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_badge_issued_to_an_old_address_verifies_with_a_new_verified_one(client, award, teacher, channel):
    from app.accounts.models import EmailAddress

    # She moved school: her login changed and she added her personal address.
    teacher.email = "ana.new@district.example.org"
    db.session.add_all([
        EmailAddress(user_id=teacher.id, email="ana.personal@example.org", verified_at=utcnow()),
        EmailAddress(user_id=teacher.id, email="ana.unverified@example.org", verified_at=None),
    ])
    db.session.commit()
    assert verify(client, channel, text=award.uuid, email="Ana.Personal@example.org")[1]["recipient"] is True
    assert verify(client, channel, text=award.uuid, email="ana.new@district.example.org")[1]["recipient"] is True
    assert verify(client, channel, text=award.uuid, email=EMAIL)[1]["recipient"] is True  # the hash still matches
    status, checks, _ = verify(client, channel, text=award.uuid, email="ana.unverified@example.org")
    assert status == "recipient_mismatch" and checks["recipient"] is False


def test_earner_is_hidden_unless_public(client, award, monkeypatch):
    status, _, page = verify(client, "page", text=award.uuid)
    assert "Ana Teacher" not in page and "has not made their name public" in page
    body = client.post("/api/v1/verify", json={"input": award.uuid}).get_json()
    assert body["earner"] is None
    # Her public profile alone does not show her name: the award must be visible on it too.
    from app.portfolio import services as portfolio

    portfolio.update_profile(teacher=award.recipient, handle="ana-teacher", enabled=True)
    db.session.commit()
    assert client.post("/api/v1/verify", json={"input": award.uuid}).get_json()["earner"] is None
    portfolio.set_award_visibility(teacher=award.recipient, award=award, visible=True)
    db.session.commit()
    calls = []
    real = services.public_earner_names
    monkeypatch.setattr(services, "public_earner_names", lambda ids: calls.append(list(ids)) or real(ids))
    assert "Ana Teacher" in verify(client, "page", text=award.uuid)[2]
    assert client.post("/api/v1/verify", json={"input": award.uuid}).get_json()["earner"] == "Ana Teacher"
    assert calls == [[award.id], [award.id]]  # one call per answer


def test_retired_keys_still_verify(client, award, org, admin):
    keys.rotate_keys(org, actor=admin)
    db.session.commit()
    for text in (document(award, "ob2_jws"), document(award, "ob3_jwt"), document(award, "ob3_json")):
        assert verify(client, "api", text=text)[0] == "valid"


def test_one_award_lookup_for_a_local_badge(client, award, count_queries):
    uuid = award.uuid
    with count_queries() as statements:
        assert verify(client, "api", text=uuid, email=EMAIL)[0] == "valid"
    award_selects = [s for s in statements if "FROM award" in s and s.lstrip().upper().startswith("SELECT")
                     and "portfolio_profile" not in s]
    assert len(award_selects) == 1, award_selects
    # award, its credential and issuer, the recipient's addresses, whether her name is public:
    # nothing per check, no fetch
    assert len(statements) <= 5, statements


def test_page_form_errors_are_next_to_the_field(client):
    response = client.post("/verify", data={"text": "", "email": "not-an-address"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="text-error"' in page and 'id="email-error"' in page


def test_upload_over_the_limit_is_refused_next_to_the_field(make_app):
    app = make_app(VERIFY_MAX_INPUT_BYTES=1024)
    with app.app_context():
        import io

        response = app.test_client().post("/verify", data={"file": (io.BytesIO(b"x" * 2048), "big.png")},
                                          content_type="multipart/form-data")
        assert response.status_code == 422 and 'id="file-error"' in response.get_data(as_text=True)


def test_receipts_verify_and_tampered_receipts_fail(client, award):
    body = client.post("/api/v1/verify", json={"input": award.uuid}).get_json()
    receipt = body["receipt"]
    checked = client.post("/api/v1/verify", json={"input": receipt}).get_json()
    assert checked["status"] == "valid" and checked["kind"] == "receipt"
    contents = checked["receipt_contents"]
    assert contents["answer"]["status"] == "valid" and contents["input_digest"] == body["input_digest"]
    assert [c["name"] for c in contents["answer"]["checks"]] == [c["name"] for c in body["checks"]]
    head, payload, signature = receipt.split(".")
    document_ = json.loads(keys.b64url_decode(payload))
    document_["answer"]["status"] = "revoked"
    forged = head + "." + keys.b64url(json.dumps(document_).encode()) + "." + signature
    failed = client.post("/api/v1/verify", json={"input": forged}).get_json()
    assert failed["status"] == "signature_invalid" and failed["checks"][-1]["name"] == "receipt_signature"
    # The page shows a receipt check too, and offers the download of a genuine receipt only.
    status, checks, page = verify(client, "page", text=receipt)
    assert status == "valid" and checks["receipt_signature"] is True
    download = client.post("/verify/receipt", data={"receipt": receipt})
    assert download.status_code == 200 and download.get_data(as_text=True) == receipt
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.post("/verify/receipt", data={"receipt": forged}).status_code == 422


def test_the_receipt_key_is_published_in_the_platform_did_document(client, award):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    receipt = client.post("/api/v1/verify", json={"input": award.uuid}).get_json()["receipt"]
    header = json.loads(keys.b64url_decode(receipt.split(".")[0]))
    did = client.get("/.well-known/did.json").get_json()
    method = next(m for m in did["verificationMethod"] if m["id"] == header["kid"])
    raw = keys.base58btc_decode(method["publicKeyMultibase"][1:])[2:]
    head, payload, signature = receipt.split(".")
    ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(keys.b64url_decode(signature), f"{head}.{payload}".encode())


def test_api_needs_input(client):
    response = client.post("/api/v1/verify", json={})
    assert response.status_code == 422 and "input" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/verify", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["error"]["fields"]


def test_verifying_a_badge_from_before_the_page_existed_needs_no_fetch(client, award, monkeypatch):
    # Awards of this platform never go through the fetcher (no request to ourselves).
    from app.verify import fetch

    def boom(url):
        raise AssertionError(f"fetched {url}")

    monkeypatch.setattr(fetch, "fetch_json", boom)
    monkeypatch.setattr(services, "fetch_json", boom)
    for text in (award.uuid, f"http://localhost/ob/assertions/{award.uuid}", document(award, "ob2_jws")):
        assert verify(client, "api", text=text)[0] == "valid"
    data = base64.b64encode(baked(award, "ob2_hosted_png"))
    assert data  # the baked hosted PNG embeds the assertion: also no fetch
    assert verify(client, "api", data=baked(award, "ob2_hosted_png"))[0] == "valid"
