"""Open Badges 3.0: the OpenBadgeCredential of an award, its two proofs, the DID documents
and the BitstringStatusListCredential.

* VC-JWT: compact JWS, RS256, header ``kid`` = a verification method of the
  issuer's DID document (a JWK); payload = the credential plus ``iss``,
  ``jti``, ``nbf``, ``sub`` and (with ``validUntil``) ``exp``.
* Data Integrity ``eddsa-rdfc-2022``: Ed25519 over sha256(canonical proof
  options) + sha256(canonical credential), RDFC-1.0 by PyLD with the vendored
  contexts; ``proofValue`` is multibase base58btc.

Rubric results come from the submission's decision (``decision.levels``:
criterion id -> level id), read through the table by name so credentials
never imports the reviewers package; with no decision, no ``result``.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Organization
from app.credentials.models import Award, Credential, Criterion, KeyAlgorithm, Rubric, SigningKey
from app.credentials.openbadges import keys, ob2, urls
from app.credentials.openbadges.jsonld import CREDENTIALS_V2, OB_V3, canonize
from app.db import utcnow
from app.extensions import db

CONTEXT = [CREDENTIALS_V2, OB_V3]
SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
#: Bits in a status list: at least 16 KB (131,072 entries) for herd privacy.
STATUS_LIST_BITS = 131_072


# --- rubric results ---------------------------------------------------------------------------


def decision_levels(submission_id: int | None) -> dict[int, int] | None:
    """criterion id -> level id of the decision on ``submission_id``, or None."""
    if submission_id is None:
        return None
    table = db.metadata.tables.get("decision")
    if table is None:
        return None
    levels = db.session.scalar(select(table.c.levels).where(table.c.submission_id == submission_id))
    if not levels:
        return None
    return {int(criterion): int(level) for criterion, level in levels.items()}


def rubric_criteria(credential: Credential) -> list[Criterion]:
    rubric = db.session.scalar(
        select(Rubric).where(Rubric.credential_id == credential.id)
        .options(selectinload(Rubric.criteria).selectinload(Criterion.levels))
    )
    return list(rubric.criteria) if rubric else []


def _result_description_id(credential_id: int, criterion_id: int) -> str:
    return f"{urls.badge_class_url(credential_id)}#criterion-{criterion_id}"


def _level_id(credential_id: int, level_id: int) -> str:
    return f"{urls.badge_class_url(credential_id)}#level-{level_id}"


def result_descriptions(credential: Credential, criteria: list[Criterion]) -> list[dict]:
    out = []
    for criterion in criteria:
        item = {
            "id": _result_description_id(credential.id, criterion.id),
            "type": ["ResultDescription"],
            "name": criterion.name,
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {"id": _level_id(credential.id, level.id), "type": ["RubricCriterionLevel"],
                 "name": level.label, "description": level.descriptor or level.label, "points": str(level.points)}
                for level in criterion.levels
            ],
        }
        if criterion.pass_level is not None:
            item["requiredLevel"] = _level_id(credential.id, criterion.pass_level.id)
        out.append(item)
    return out


# --- the credential -------------------------------------------------------------------------------


def profile(org: Organization) -> dict:
    return {"id": urls.issuer_did(org.id), "type": ["Profile"], "name": org.name, "url": org.url, "email": org.email}


def achievement(credential: Credential, criteria: list[Criterion]) -> dict:
    document = {
        "id": urls.badge_class_url(credential.id),
        "type": ["Achievement"],
        "achievementType": "Badge" if credential.is_stack else "MicroCredential",
        "name": credential.name,
        "description": credential.description or credential.summary or credential.name,
        "criteria": {"id": urls.absolute("credentials.detail", slug=credential.slug),
                     "narrative": ob2.criteria_narrative(credential)},
        "image": {"id": urls.absolute("openbadges.badge_image", credential_id=credential.id, fmt="png"),
                  "type": "Image"},
        "creator": profile(credential.issuer),
        "tag": list(credential.tags or []),
    }
    alignments = [
        {"type": ["Alignment"], **ob2.alignment(c)} for c in credential.competencies
    ]
    if alignments:
        document["alignment"] = alignments
    if criteria:
        document["resultDescription"] = result_descriptions(credential, criteria)
    return document


def credential_status(award: Award, org_id: int) -> dict:
    url = urls.status_list_url(org_id)
    return {"id": f"{url}#{award.id}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(award.id), "statusListCredential": url}


def credential_document(award: Award) -> dict:
    """The unsigned OpenBadgeCredential of ``award``."""
    credential = award.credential
    criteria = rubric_criteria(credential) if not credential.is_stack else []
    levels = decision_levels(award.submission_id)
    subject: dict = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityHash": award.identity_hash,
                        "identityType": "emailAddress", "hashed": True, "salt": award.salt}],
        "achievement": achievement(credential, criteria),
    }
    if levels and criteria:
        by_id = {c.id: c for c in criteria}
        subject["result"] = [
            {"type": ["Result"], "resultDescription": _result_description_id(credential.id, cid),
             "achievedLevel": _level_id(credential.id, lid)}
            for cid, lid in levels.items() if cid in by_id and any(lv.id == lid for lv in by_id[cid].levels)
        ]
        if not subject["result"]:
            del subject["result"]
    document = {
        "@context": list(CONTEXT),
        "id": f"urn:uuid:{award.uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile(credential.issuer),
        "validFrom": ob2.iso(award.issued_at),
        "name": credential.name,
        "credentialSubject": subject,
        "evidence": [{"type": ["Evidence"], **item} for item in ob2.evidence(award)],
        "credentialStatus": credential_status(award, credential.issuer_id),
        "credentialSchema": [{"id": SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if award.expires_at is not None:
        document["validUntil"] = ob2.iso(award.expires_at)
    return document


# --- Data Integrity eddsa-rdfc-2022 ------------------------------------------------------------------


def _hash_data(document: dict, options: dict) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    proof_options = {k: v for k, v in options.items() if k != "proofValue"}
    proof_options["@context"] = unsigned["@context"]
    return hashlib.sha256(canonize(proof_options).encode()).digest() + hashlib.sha256(
        canonize(unsigned).encode()).digest()


def add_data_integrity_proof(document: dict, private: ed25519.Ed25519PrivateKey, verification_method: str,
                             *, created: datetime | str | None = None) -> dict:
    """A copy of ``document`` with an ``eddsa-rdfc-2022`` DataIntegrityProof."""
    created_text = created if isinstance(created, str) else ob2.iso(created or utcnow())
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": created_text,
               "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    signature = private.sign(_hash_data(document, options))
    signed = copy.deepcopy(document)
    signed["proof"] = {**options, "proofValue": "z" + keys.base58btc(signature)}
    return signed


def verify_data_integrity_proof(document: dict, public: ed25519.Ed25519PublicKey) -> bool:
    """Whether ``document``'s eddsa-rdfc-2022 proof is valid for ``public``."""
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != "eddsa-rdfc-2022":
        return False
    value = proof.get("proofValue", "")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        public.verify(keys.base58btc_decode(value[1:]), _hash_data(document, proof))
    except (InvalidSignature, ValueError):
        return False
    except Exception:  # noqa: BLE001 - a document that cannot be canonicalized does not verify
        return False
    return True


def sign_data_integrity(award: Award, key: SigningKey) -> dict:
    return add_data_integrity_proof(credential_document(award), keys.private_key(key),
                                    urls.verification_method(key.organization_id, key.kid))


# --- VC-JWT -------------------------------------------------------------------------------------------


def sign_vc_jwt(award: Award, key: SigningKey) -> str:
    document = credential_document(award)
    claims = {
        **document,
        "iss": document["issuer"]["id"],
        "jti": document["id"],
        "nbf": int(award.issued_at.timestamp()),
        "sub": award.identity_hash,
    }
    if award.expires_at is not None:
        claims["exp"] = int(award.expires_at.timestamp())
    header = {"typ": "JWT", "kid": urls.verification_method(key.organization_id, key.kid)}
    return ob2.sign_jws(claims, key, header=header)


# --- DID documents and the status list ---------------------------------------------------------------------


def did_document(did: str, signing_keys: list[SigningKey], *, method_base: str | None = None) -> dict:
    """A DID document listing ``signing_keys`` (RSA as JsonWebKey, Ed25519 as Multikey)."""
    methods = []
    for key in signing_keys:
        method_id = f"{method_base or did}#{key.kid}"
        if key.algorithm is KeyAlgorithm.RSA:
            methods.append({"id": method_id, "type": "JsonWebKey", "controller": did,
                            "publicKeyJwk": keys.public_jwk(key)})
        else:
            methods.append({"id": method_id, "type": "Multikey", "controller": did,
                            "publicKeyMultibase": keys.ed25519_multikey(keys.public_key(key))})
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                     "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def multikey(key: SigningKey) -> dict:
    """An Ed25519 key as a Multikey node (``/ob/keys/<kid>``)."""
    return {"@context": "https://w3id.org/security/multikey/v1", "id": urls.key_url(key.kid), "type": "Multikey",
            "controller": urls.issuer_did(key.organization_id),
            "publicKeyMultibase": keys.ed25519_multikey(keys.public_key(key))}


def issuer_did_document(org: Organization) -> dict:
    return did_document(urls.issuer_did(org.id), keys.published_keys(org.id))


def platform_did_document(orgs: list[Organization]) -> dict:
    """``/.well-known/did.json``: every issuer's keys, each method id also valid under the issuer's DID."""
    document = did_document(urls.platform_did(), [])
    platform = urls.platform_did()
    document["verificationMethod"].append({
        "id": f"{platform}#{keys.platform_kid()}", "type": "Multikey", "controller": platform,
        "publicKeyMultibase": keys.ed25519_multikey(keys.platform_key().public_key()),
    })  # the platform's own key: it signs verification receipts
    for org in orgs:
        part = did_document(urls.issuer_did(org.id), keys.published_keys(org.id))
        document["verificationMethod"].extend(part["verificationMethod"])
    document["assertionMethod"] = [m["id"] for m in document["verificationMethod"]]
    document["authentication"] = list(document["assertionMethod"])
    document["alsoKnownAs"] = [urls.issuer_did(org.id) for org in orgs]
    return document


def encoded_status_list(revoked_indexes: list[int]) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring, bit 0 the first bit."""
    size = max(STATUS_LIST_BITS, ((max(revoked_indexes, default=0) // 8) + 1) * 8)
    bits = bytearray(size // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode("ascii")


def decode_status_list(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def status_bit(encoded: str, index: int) -> bool:
    return bool(decode_status_list(encoded)[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(org: Organization) -> dict:
    """The issuer's BitstringStatusListCredential, signed with eddsa-rdfc-2022."""
    revoked = list(db.session.scalars(
        select(Award.id).join(Credential, Credential.id == Award.credential_id)
        .where(Credential.issuer_id == org.id, Award.revoked_at.is_not(None))
    ))
    url = urls.status_list_url(org.id)
    document = {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": urls.issuer_did(org.id),
        "validFrom": ob2.iso(utcnow()),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encoded_status_list(revoked)},
    }
    from app.credentials.openbadges.keys import active_key

    key = active_key(org, KeyAlgorithm.ED25519)
    return add_data_integrity_proof(document, keys.private_key(key), urls.verification_method(org.id, key.kid))


def dumps(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
