"""Open Badges 2.0 documents: Issuer, BadgeClass, Assertion (hosted and signed), keys, revocation list.

Field choices follow what the reference validator enforces (see the project's
Open Badges notes): hashed e-mail recipients with a per-award salt, time zones
on every timestamp, ``creator`` on signed verification, SPKI PEM keys.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from app.accounts.models import Organization
from app.credentials.models import Award, Credential, KeyAlgorithm, SigningKey
from app.credentials.openbadges import keys, urls
from app.extensions import db

CONTEXT = "https://w3id.org/openbadges/v2"


def iso(moment: datetime) -> str:
    """An aware timestamp as ISO 8601 in UTC with ``Z`` (whole seconds); naive ones are refused."""
    if moment.tzinfo is None:
        raise ValueError("naive timestamps are not published")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer(org: Organization) -> dict:
    rsa_keys = keys.published_keys(org.id, KeyAlgorithm.RSA)
    document = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": urls.issuer_url(org.id),
        "name": org.name,
        "url": org.url,
        "email": org.email,
        "image": urls.absolute("openbadges.issuer_image", org_id=org.id),
        "publicKey": [urls.key_url(k.kid) for k in rsa_keys],
        "revocationList": urls.revocation_list_url(org.id),
    }
    if org.description:
        document["description"] = org.description
    return document


def crypto_key(key: SigningKey) -> dict:
    return {
        "@context": CONTEXT,
        "type": "CryptographicKey",
        "id": urls.key_url(key.kid),
        "owner": urls.issuer_url(key.organization_id),
        "publicKeyPem": key.public_pem,
    }


def alignment(competency) -> dict:
    item = {
        "targetName": competency.name,
        "targetUrl": competency.external_url
        or urls.absolute("credentials.catalog") + f"?competency={competency.id}",
        "targetCode": competency.code,
    }
    if competency.description:
        item["targetDescription"] = competency.description
    if competency.framework is not None:
        item["targetFramework"] = competency.framework.name
    return item


def criteria_narrative(credential: Credential) -> str:
    if credential.is_stack:
        names = ", ".join(c.component.name for c in credential.stack_components)
        rule = (f"any {credential.stack_required_count} of" if credential.stack_required_count
                else "all of")
        return credential.criteria_md or f"Earn {rule}: {names}."
    return credential.criteria_md or credential.summary or credential.name


def badge_class(credential: Credential) -> dict:
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": urls.badge_class_url(credential.id),
        "name": credential.name,
        "description": credential.description or credential.summary or credential.name,
        "image": urls.absolute("openbadges.badge_image", credential_id=credential.id, fmt="png"),
        "criteria": {
            "id": urls.absolute("credentials.detail", slug=credential.slug),
            "narrative": criteria_narrative(credential),
        },
        "issuer": urls.issuer_url(credential.issuer_id),
        "alignment": [alignment(c) for c in credential.competencies],
        "tags": list(credential.tags or []),
    }


def evidence(award: Award) -> list[dict]:
    """Evidence nodes: the component awards of a stack; for a micro, the public evidence
    page when the teacher consented, otherwise a narrative summary only."""
    if award.submission_id is None and award.components:  # only stack awards have components
        return [
            {"id": urls.assertion_url(c.uuid), "name": f"Component: {c.credential.name}",
             "narrative": f"Awarded {iso(c.issued_at)[:10]}."}
            for c in award.components
        ]
    item = {"name": "Classroom evidence", "narrative": award.narrative or "Evidence met every criterion of the rubric."}
    if award.evidence_public:
        item["id"] = urls.absolute("openbadges.evidence", uuid=award.uuid)
    return [item]


def assertion(award: Award, *, signed_with: SigningKey | None = None) -> dict:
    """The Assertion of ``award``: hosted (default) or signed by ``signed_with``."""
    document = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": urls.assertion_url(award.uuid),
        "recipient": {"type": "email", "hashed": True, "salt": award.salt, "identity": award.identity_hash},
        "badge": urls.badge_class_url(award.credential_id),
        "verification": {"type": "hosted"} if signed_with is None
        else {"type": "SignedBadge", "creator": urls.key_url(signed_with.kid)},
        "issuedOn": iso(award.issued_at),
        "evidence": evidence(award),
    }
    if award.narrative:
        document["narrative"] = award.narrative
    if award.expires_at is not None:
        document["expires"] = iso(award.expires_at)
    return document


def revoked_assertion(award: Award) -> dict:
    return {
        "@context": CONTEXT, "type": "Assertion", "id": urls.assertion_url(award.uuid),
        "revoked": True, "revocationReason": award.revocation_reason or "Revoked by the issuer.",
    }


def revocation_list(org: Organization) -> dict:
    revoked = db.session.execute(
        select(Award.uuid, Award.revocation_reason)
        .join(Credential, Credential.id == Award.credential_id)
        .where(Credential.issuer_id == org.id, Award.revoked_at.is_not(None))
        .order_by(Award.revoked_at, Award.id)
    ).all()
    return {
        "@context": CONTEXT,
        "type": "RevocationList",
        "id": urls.revocation_list_url(org.id),
        "issuer": urls.issuer_url(org.id),
        "revokedAssertions": [
            {"id": urls.assertion_url(uuid), "revocationReason": reason or "Revoked by the issuer."}
            for uuid, reason in revoked
        ],
    }


# --- compact JWS (RS256) ----------------------------------------------------------------------


def _json(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_jws(payload: dict, key: SigningKey, *, header: dict | None = None) -> str:
    """Compact JWS, RS256, of ``payload`` (JSON) with the RSA ``key``."""
    protected = {"alg": "RS256", **(header or {})}
    signing_input = keys.b64url(_json(protected)) + "." + keys.b64url(_json(payload))
    signature = keys.private_key(key).sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + keys.b64url(signature)


def verify_jws(token: str, public_key) -> dict:
    """The payload of an RS256 compact JWS if ``public_key`` signed it; raises ValueError otherwise."""
    from cryptography.exceptions import InvalidSignature

    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        for part in (header_b64, payload_b64, signature_b64):
            # Refuse non-canonical base64url (spare bits set), so no two strings carry one signature.
            if keys.b64url(keys.b64url_decode(part)) != part:
                raise ValueError("non-canonical base64url")
        header = json.loads(keys.b64url_decode(header_b64))
        if header.get("alg") != "RS256":
            raise ValueError("unexpected algorithm")
        public_key.verify(keys.b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode("ascii"),
                          padding.PKCS1v15(), hashes.SHA256())
        return json.loads(keys.b64url_decode(payload_b64))
    except InvalidSignature:
        raise ValueError("bad signature") from None
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed JWS: {exc}") from None


def signed_assertion(award: Award, key: SigningKey) -> str:
    return sign_jws(assertion(award, signed_with=key), key)
