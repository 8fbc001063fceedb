"""Foreign Open Badges 2.0 badges served by a local test server, and the request-forgery guard."""

from __future__ import annotations

import hashlib
import ipaddress
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.credentials.openbadges import keys
from app.verify import fetch
from tests.verify.conftest import hang
from tests.verify.helpers import CHANNELS, verify

CONTEXT = "https://w3id.org/openbadges/v2"
EARNER = "lee@elsewhere.example"
SALT = "pepper"


def _sign(payload: dict, private) -> str:
    head = keys.b64url(json.dumps({"alg": "RS256"}).encode())
    body = keys.b64url(json.dumps(payload).encode())
    signature = private.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{keys.b64url(signature)}"


def publish(foreign, *, signed: bool = False, revoked: list | None = None, expires: str | None = None,
            issuer_id: str | None = None) -> dict:
    """A foreign issuer, badge class and assertion on the test server; returns what a test needs."""
    base = foreign.base
    issuer = {"@context": CONTEXT, "type": "Issuer", "id": issuer_id or f"{base}/issuer", "name": "Elsewhere Academy",
              "url": base, "email": "badges@elsewhere.example"}
    result: dict = {}
    if signed:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        foreign.json("/key", {"@context": CONTEXT, "type": "CryptographicKey", "id": f"{base}/key",
                              "owner": issuer["id"], "publicKeyPem": pem})
        issuer["publicKey"] = [f"{base}/key"]
        issuer["revocationList"] = f"{base}/revocations"
        foreign.json("/revocations", {"@context": CONTEXT, "type": "RevocationList", "id": f"{base}/revocations",
                                      "issuer": issuer["id"], "revokedAssertions": revoked or []})
        result["private"] = private
    foreign.json("/issuer", issuer)
    foreign.json("/badge", {"@context": CONTEXT, "type": "BadgeClass", "id": f"{base}/badge", "name": "Soil Science",
                            "description": "Knows soil.", "image": f"{base}/badge.png",
                            "criteria": {"narrative": "Dig."}, "issuer": f"{base}/issuer"})
    assertion = {
        "@context": CONTEXT, "type": "Assertion", "id": f"{base}/assertions/1",
        "recipient": {"type": "email", "hashed": True, "salt": SALT,
                      "identity": "sha256$" + hashlib.sha256((EARNER + SALT).encode()).hexdigest()},
        "badge": f"{base}/badge", "issuedOn": "2026-01-02T03:04:05Z",
        "verification": {"type": "SignedBadge", "creator": f"{base}/key"} if signed else {"type": "hosted"},
    }
    if expires:
        assertion["expires"] = expires
    foreign.json("/assertions/1", assertion)
    result.update(assertion=assertion, url=assertion["id"])
    if signed:
        result["jws"] = _sign(assertion, result["private"])
    return result


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_foreign_hosted_badge_verifies(client, foreign, channel):
    badge = publish(foreign)
    status, checks, _ = verify(client, channel, text=badge["url"], email=EARNER)
    assert status == "valid", checks
    assert checks["issuer_known"] and checks["hosted_origin"] and checks["recipient"]
    assert verify(client, channel, text=json.dumps(badge["assertion"]))[0] == "valid"
    assert verify(client, channel, text=badge["url"], email="other@example.org")[0] == "recipient_mismatch"
    body = client.post("/api/v1/verify", json={"input": badge["url"]}).get_json()
    assert body["credential"] == "Soil Science" and body["issuer"] == "Elsewhere Academy"
    assert {"/assertions/1", "/badge", "/issuer"} <= set(foreign.hits)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_foreign_signed_badge_verifies_and_its_revocation_list_counts(client, foreign, channel):
    badge = publish(foreign, signed=True, revoked=[{"id": "urn:other", "revocationReason": "x"}])
    status, checks, _ = verify(client, channel, text=badge["jws"], email=EARNER)
    assert status == "valid", checks
    assert checks["signature"] and checks["key_owner"] and checks["not_revoked"]
    head, body, signature = badge["jws"].split(".")
    tampered = json.loads(keys.b64url_decode(body))
    tampered["issuedOn"] = "2020-01-01T00:00:00Z"
    assert verify(client, channel, text=f"{head}.{keys.b64url(json.dumps(tampered).encode())}.{signature}")[0] \
        == "signature_invalid"
    revoked = publish(foreign, signed=True, revoked=[
        {"id": "urn:other", "revocationReason": "x"}, {"id": badge["url"], "revocationReason": "Plagiarised."}])
    status, checks, message = verify(client, channel, text=revoked["jws"])
    assert status == "revoked" and "Plagiarised." in message


def test_a_key_not_owned_by_the_issuer_is_refused(client, foreign):
    badge = publish(foreign, signed=True)
    key = json.loads(foreign.routes["/key"][2])
    key["owner"] = "https://someone-else.example/issuer"
    foreign.json("/key", key)
    assert verify(client, "api", text=badge["jws"])[0] == "unknown_issuer"


def test_hosted_verification_rule_refuses_an_assertion_off_the_issuers_domain(client, foreign):
    badge = publish(foreign, issuer_id="https://issuer.elsewhere.example/profile")
    status, checks, _ = verify(client, "api", text=badge["url"])
    assert status == "unknown_issuer" and checks["hosted_origin"] is False


def test_a_foreign_revoked_hosted_assertion_and_expiry(client, foreign):
    foreign.json("/assertions/9", {"@context": CONTEXT, "type": "Assertion", "id": f"{foreign.base}/assertions/9",
                                   "revoked": True, "revocationReason": "Issued in error."}, status=410)
    status, _, message = verify(client, "api", text=f"{foreign.base}/assertions/9")
    assert status == "revoked" and "Issued in error." in message
    badge = publish(foreign, expires="2026-02-01T00:00:00Z")
    assert verify(client, "api", text=badge["url"])[0] == "expired"


@pytest.mark.parametrize("address", [
    "10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.1", "192.168.1.1", "127.0.0.1", "127.8.9.10",
    "169.254.169.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "100.64.0.1", "::1", "::", "fe80::1", "fc00::1",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:0a00:0001::1",
])
def test_the_guard_refuses_non_public_addresses(address):
    assert fetch.forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_the_guard_lets_public_addresses_through(address):
    assert fetch.forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", [
    "http://10.0.0.5/assertion", "http://192.168.0.10/a", "http://172.20.1.1/a", "http://[::1]:8080/a",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/a", "http://[::ffff:127.0.0.2]/a",
    "http://localhost:1/a", "http://127.0.0.2/a",
])
def test_private_targets_are_refused_before_connecting(make_app, url):
    app = make_app(VERIFY_FETCH_ALLOW=[])
    with app.app_context():
        with pytest.raises(fetch.FetchError) as caught:
            fetch.fetch_json(url)
        assert caught.value.check == "fetch_address"
        body = app.test_client().post("/api/v1/verify", json={"input": url}).get_json()
        assert body["status"] == "unverifiable"
        assert any(c["name"] == "fetch_address" and c["passed"] is False for c in body["checks"])


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/a", "file:///etc/passwd", "gopher://127.0.0.1/", "data:,{}"])
def test_non_http_schemes_are_refused(app, url):
    with pytest.raises(fetch.FetchError) as caught:
        fetch.fetch_json(url)
    assert caught.value.check == "fetch_scheme"


def test_a_node_pointing_at_a_non_http_scheme_is_a_named_check(client, foreign):
    badge = publish(foreign)
    assertion = dict(badge["assertion"], badge="file:///etc/passwd")
    foreign.json("/assertions/1", assertion)
    body = client.post("/api/v1/verify", json={"input": badge["url"]}).get_json()
    assert body["status"] == "unverifiable"
    assert {"name": "fetch_scheme", "passed": False} == {k: body["checks"][-1][k] for k in ("name", "passed")}


def test_a_redirect_to_a_private_address_is_refused(client, foreign):
    for target in ("http://10.1.2.3/assertion", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x"):
        foreign.routes["/moved"] = (302, {"Location": target}, b"")
        body = client.post("/api/v1/verify", json={"input": f"{foreign.base}/moved"}).get_json()
        assert body["status"] == "unverifiable"
        assert body["checks"][-1]["name"] == "fetch_address", body["checks"]
    assert all(not hit.startswith("/latest") for hit in foreign.hits)


def test_redirects_are_followed_a_few_times_only(client, foreign):
    publish(foreign)
    foreign.routes["/hop"] = (301, {"Location": "/assertions/1"}, b"")
    assert fetch.fetch_json(f"{foreign.base}/hop").document["id"] == f"{foreign.base}/assertions/1"
    for i in range(6):
        foreign.routes[f"/loop{i}"] = (302, {"Location": f"/loop{i + 1}"}, b"")
    with pytest.raises(fetch.FetchError) as caught:
        fetch.fetch_json(f"{foreign.base}/loop0")
    assert caught.value.check == "fetch_redirects"


def test_an_oversized_body_is_abandoned(client, foreign):
    big = b'{"a": "' + b"x" * (200 * 1024) + b'"}'
    foreign.routes["/big"] = (200, {"Content-Type": "application/json"}, big)

    def streamed(handler) -> None:  # no Content-Length: the cap applies while streaming
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"x" * 8192)
        except OSError:
            pass

    foreign.routes["/stream"] = streamed
    for path in ("/big", "/stream"):
        with pytest.raises(fetch.FetchError) as caught:
            fetch.fetch_json(foreign.base + path)
        assert caught.value.check == "fetch_size"
    body = client.post("/api/v1/verify", json={"input": f"{foreign.base}/big"}).get_json()
    assert body["status"] == "unverifiable" and body["checks"][-1]["name"] == "fetch_size"


def test_a_server_that_never_answers_is_a_timeout_check(client, foreign):
    foreign.routes["/slow"] = hang(3)
    body = client.post("/api/v1/verify", json={"input": f"{foreign.base}/slow"}).get_json()
    assert body["status"] == "unverifiable"
    assert body["checks"][-1]["name"] == "fetch_timeout"


def test_the_allow_list_takes_cidrs(make_app, foreign):
    publish(foreign)
    app = make_app(VERIFY_FETCH_ALLOW=["127.0.0.0/8"])
    with app.app_context():
        assert fetch.fetch_json(f"{foreign.base}/issuer").document["name"] == "Elsewhere Academy"
    app = make_app(VERIFY_FETCH_ALLOW=[])
    with app.app_context():
        with pytest.raises(fetch.FetchError):
            fetch.fetch_json(f"{foreign.base}/issuer")
