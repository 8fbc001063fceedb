"""OB 3.0: the 1EdTech eddsa-rdfc-2022 vector, VC-JWT and Data Integrity proofs, required fields,
rubric results from the decision, the DID documents and the status list."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from app.credentials.models import KeyAlgorithm
from app.credentials.openbadges import keys, ob2, ob3, publishing, services
from app.credentials.openbadges.jsonld import UnknownContext, canonize, offline_loader
from app.extensions import db

# The vector is copied into the repository (tests/.../data) so tests never depend on files outside it.
DATA = Path(__file__).with_name("data")


@pytest.fixture(scope="module")
def vector():
    return json.loads((DATA / "vector.json").read_text())


def _proof_options(vector):
    return {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": vector["created"],
            "verificationMethod": vector["verification_method"], "proofPurpose": "assertionMethod"}


def test_the_1edtech_vector_is_reproduced_byte_for_byte(vector):
    document = vector["unsigned_credential"]
    expected = vector["expected"]
    document_canon = canonize(document)
    proof_canon = canonize({**_proof_options(vector), "@context": document["@context"]})
    assert document_canon == (DATA / "document-canon.txt").read_text()
    assert proof_canon == (DATA / "proof-canon.txt").read_text()
    assert hashlib.sha256(document_canon.encode()).hexdigest() == expected["doc_hash"]
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == expected["proof_hash"]

    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret_key_hex"])[:32])
    signed = ob3.add_data_integrity_proof(document, private, vector["verification_method"], created=vector["created"])
    assert keys.base58btc_decode(signed["proof"]["proofValue"][1:]).hex() == expected["sig"]
    assert signed["proof"]["proofValue"] == expected["proofValue"]
    assert keys.ed25519_multikey(private.public_key()) == expected["multikey"]
    assert ob3.verify_data_integrity_proof(signed, private.public_key())


def test_the_document_loader_is_offline_and_refuses_other_contexts():
    assert offline_loader(ob3.CREDENTIALS_V2)["document"]["@context"]
    with pytest.raises(UnknownContext):
        offline_loader("https://example.org/evil-context.json")
    with pytest.raises(Exception):
        canonize({"@context": "https://example.org/evil-context.json", "name": "x"})


def _did_methods(client, org_id):
    document = client.get(f"/ob/issuers/{org_id}/did.json").get_json()
    return document, {m["id"]: m for m in document["verificationMethod"]}


def _jwk_public(jwk):
    n = int.from_bytes(keys.b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(keys.b64url_decode(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def test_vc_jwt_verifies_with_the_published_jwk_and_fails_when_any_byte_changes(client, award, org):
    token = client.get(f"/ob/assertions/{award.uuid}/credential.jwt").get_data(as_text=True)
    header = json.loads(keys.b64url_decode(token.split(".")[0]))
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    document, methods = _did_methods(client, org.id)
    assert header["kid"].startswith(document["id"] + "#") and header["kid"] in document["assertionMethod"]
    public = _jwk_public(methods[header["kid"]]["publicKeyJwk"])
    claims = ob2.verify_jws(token, public)
    assert claims["iss"] == document["id"] and claims["jti"] == f"urn:uuid:{award.uuid}"
    assert claims["nbf"] == int(award.issued_at.timestamp()) and claims["exp"] == int(award.expires_at.timestamp())
    assert claims["sub"] == award.identity_hash and claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position, char in enumerate(token):
        if char == ".":
            continue
        changed = token[:position] + alphabet[(alphabet.index(char) + 1) % 64] + token[position + 1:]
        with pytest.raises(ValueError):
            ob2.verify_jws(changed, public)


def test_data_integrity_proof_verifies_and_fails_when_the_credential_changes(client, award, org):
    signed = client.get(f"/ob/assertions/{award.uuid}/credential.json").get_json()
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    document, methods = _did_methods(client, org.id)
    method = methods[proof["verificationMethod"]]
    assert method["type"] == "Multikey"
    raw = keys.base58btc_decode(method["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01"
    public = ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
    assert ob3.verify_data_integrity_proof(signed, public)

    for change in (
        lambda d: d.__setitem__("name", d["name"] + "!"),
        lambda d: d["credentialSubject"]["identifier"][0].__setitem__("salt", "0" * 32),
        lambda d: d.__setitem__("validFrom", "2001-01-01T00:00:00Z"),
        lambda d: d["credentialSubject"]["achievement"].__setitem__("description", "Other."),
        lambda d: d["proof"].__setitem__("created", "2001-01-01T00:00:00Z"),
    ):
        tampered = json.loads(json.dumps(signed))
        change(tampered)
        assert not ob3.verify_data_integrity_proof(tampered, public)
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    assert not ob3.verify_data_integrity_proof(signed, other)


# The "required" lists of the OB 3.0 JSON schemas (ob_v3p0_achievementcredential_schema.json and the
# definitions it references), checked by hand against the 3.0.3 specification.
REQUIRED = {
    "credential": ["@context", "type", "id", "issuer", "validFrom", "name", "credentialSubject"],
    "issuer": ["id", "type"],
    "credentialSubject": ["type", "achievement"],
    "identifier": ["type", "identityHash", "identityType", "hashed"],
    "achievement": ["id", "type", "criteria", "description", "name"],
    "image": ["id", "type"],
    "alignment": ["type", "targetName", "targetUrl"],
    "resultDescription": ["id", "type", "name", "resultType"],
    "rubricCriterionLevel": ["id", "type", "name"],
    "result": ["type"],
    "evidence": ["type"],
    "credentialStatus": ["id", "type"],
    "credentialSchema": ["id", "type"],
    "proof": ["type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"],
}


def _missing(node: dict, kind: str) -> list[str]:
    return [f"{kind}.{name}" for name in REQUIRED[kind] if name not in node]


def test_the_credential_has_every_required_field(app, award, teacher, credential):
    from app.reviewers.models import Decision, DecisionBasis, Outcome

    criteria = credential.rubric.criteria
    levels = {str(c.id): c.pass_level.id for c in criteria}
    db.session.add(Decision(submission_id=award.submission_id, outcome=Outcome.PASSED, basis=DecisionBasis.COACH,
                            levels=levels))
    db.session.commit()
    document = ob3.sign_data_integrity(award, keys.active_key(credential.issuer, KeyAlgorithm.ED25519))
    subject = document["credentialSubject"]
    achievement = subject["achievement"]
    missing = _missing(document, "credential") + _missing(document["issuer"], "issuer") \
        + _missing(subject, "credentialSubject") + _missing(subject["identifier"][0], "identifier") \
        + _missing(achievement, "achievement") + _missing(achievement["image"], "image") \
        + _missing(document["credentialStatus"], "credentialStatus") + _missing(document["proof"], "proof")
    for item in achievement["alignment"]:
        missing += _missing(item, "alignment")
    for item in achievement["resultDescription"]:
        missing += _missing(item, "resultDescription")
        for level in item["rubricCriterionLevel"]:
            missing += _missing(level, "rubricCriterionLevel")
    for item in subject["result"]:
        missing += _missing(item, "result")
    for item in document["evidence"]:
        missing += _missing(item, "evidence")
    for item in document["credentialSchema"]:
        missing += _missing(item, "credentialSchema")
    assert missing == []
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["@context"] == [ob3.CREDENTIALS_V2, ob3.OB_V3]
    assert subject["identifier"][0]["identityType"] == "emailAddress" and subject["identifier"][0]["hashed"] is True
    # Rubric results: one per criterion, each naming the level the decision recorded.
    assert len(subject["result"]) == len(criteria)
    by_description = {r["resultDescription"]: r["achievedLevel"] for r in subject["result"]}
    for item in achievement["resultDescription"]:
        assert by_description[item["id"]] == item["requiredLevel"]
    assert document["validUntil"].endswith("Z")
    canonize({k: v for k, v in document.items() if k != "proof"})  # every term is defined by the contexts


def test_without_a_decision_there_is_no_result(award, credential):
    assert "result" not in ob3.credential_document(award)["credentialSubject"]
    assert ob3.credential_document(award)["credentialSubject"]["achievement"]["resultDescription"]


def test_status_list_reflects_revocation(client, award, admin, org):
    entry = client.get(f"/ob/assertions/{award.uuid}/credential.json").get_json()["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    path = entry["statusListCredential"].replace("http://localhost", "")

    def bit():
        status = client.get(path).get_json()
        assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert status["credentialSubject"]["type"] == "BitstringStatusList"
        _document, methods = _did_methods(client, org.id)
        raw = keys.base58btc_decode(methods[status["proof"]["verificationMethod"]]["publicKeyMultibase"][1:])
        assert ob3.verify_data_integrity_proof(status, ed25519.Ed25519PublicKey.from_public_bytes(raw[2:]))
        encoded = status["credentialSubject"]["encodedList"]
        assert len(ob3.decode_status_list(encoded)) * 8 >= ob3.STATUS_LIST_BITS
        return ob3.status_bit(encoded, int(entry["statusListIndex"]))

    assert bit() is False
    services.revoke_award(admin=admin, award=award, reason="Issued in error.")
    db.session.commit()
    assert bit() is True


def test_platform_did_document_lists_every_issuer_key(client, award, org):
    document = client.get("/.well-known/did.json").get_json()
    assert document["id"] == "did:web:localhost"
    types = {m["type"] for m in document["verificationMethod"]}
    assert types == {"JsonWebKey", "Multikey"}
    assert f"did:web:localhost:ob:issuers:{org.id}" in document["alsoKnownAs"]


def test_ob3_baked_images_carry_the_credential(client, award):
    from app.credentials.openbadges import baking

    png = client.get(f"/ob/assertions/{award.uuid}/ob3.png").data
    assert json.loads(baking.unbake_png(png, keyword="openbadgecredential"))["proof"]["proofValue"]
    svg = client.get(f"/ob/assertions/{award.uuid}/ob3.svg").data
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg
    assert json.loads(baking.unbake_svg(svg)["text"])["id"] == f"urn:uuid:{award.uuid}"
    assert publishing.document(award, "ob3_json").body == client.get(
        f"/ob/assertions/{award.uuid}/credential.json").get_data(as_text=True)
