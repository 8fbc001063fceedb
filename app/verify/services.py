"""Verification: one answer for anything an HR officer can hand us, and rosters in bulk.

``verify_credential`` takes pasted text (a URL, an award id, OB 2.0 JSON, a
compact JWS, a VC-JWT, OB 3.0 JSON with its Data Integrity proof, or a receipt
of this platform) or the bytes of a baked PNG or SVG, detects what it is, and
answers with a status and every check made. Awards of this platform are
checked against the database (one award lookup; no request to ourselves):
signatures with the issuer's published keys (retired ones included),
revocation, expiry, and the presented document against what was issued.
Foreign OB 2.0 badges are checked by fetching their nodes through
``app.verify.fetch`` (guarded against request forgery).

``verify_roster`` checks many inputs at once with a bounded number of queries:
awards are loaded by uuid in chunks as plain rows, their credentials and
issuers once per distinct id, earner names and verified addresses once for the
whole roster.

Status, from the first failed check in this order: ``malformed``,
``signature_invalid``, ``not_issued_here``, ``unknown_issuer``,
``unverifiable`` (a foreign node could not be fetched), ``revoked``,
``expired``, ``recipient_mismatch``; otherwise ``valid``.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import current_app, g
from sqlalchemy import Row, select
from sqlalchemy.orm import selectinload

from app.accounts import services as accounts_services
from app.accounts.models import Organization, Role, User
from app.credentials.awards import identity_hash
from app.credentials.models import Award, Credential, KeyAlgorithm, SigningKey
from app.credentials.openbadges import baking, keys, ob2, ob3, urls
from app.db import utcnow
from app.errors import PermissionDenied, ValidationError
from app.extensions import db
from app.portfolio import services as portfolio_services
from app.verify import receipts
from app.verify.fetch import FetchError, fetch_json

STATUS_ORDER = (
    "malformed", "signature_invalid", "not_issued_here", "unknown_issuer", "unverifiable", "revoked", "expired",
    "recipient_mismatch",
)
STATUS_LABELS = {
    "valid": "Valid",
    "expired": "Expired",
    "revoked": "Revoked",
    "signature_invalid": "Signature invalid",
    "not_issued_here": "Not issued here",
    "unknown_issuer": "Unknown issuer",
    "unverifiable": "Could not be verified",
    "recipient_mismatch": "Recipient does not match",
    "malformed": "Not a badge we can read",
}
#: Check name -> the status its failure gives.
FAILS_AS = {
    "parsed": "malformed",
    "signature": "signature_invalid",
    "issued_here": "not_issued_here",
    "document_matches": "not_issued_here",
    "issuer_known": "unknown_issuer",
    "key_owner": "unknown_issuer",
    "hosted_origin": "unknown_issuer",
    "not_revoked": "revoked",
    "not_expired": "expired",
    "recipient": "recipient_mismatch",
    "receipt_signature": "signature_invalid",
}
CHECK_LABELS = {
    "parsed": "Read the input",
    "issuer_known": "Issuer known",
    "issued_here": "Issued by this platform",
    "signature": "Signature",
    "key_owner": "Key belongs to the issuer",
    "hosted_origin": "Hosted on the issuer's domain",
    "document_matches": "Matches what was issued",
    "not_revoked": "Not revoked",
    "not_expired": "Not expired",
    "recipient": "Recipient",
    "receipt_signature": "Receipt signed by this platform",
    "fetch_scheme": "Address scheme allowed",
    "fetch_address": "Address allowed",
    "fetch_timeout": "Answered in time",
    "fetch_size": "Within the size limit",
    "fetch_redirects": "Redirects within the limit",
    "fetch_failed": "Fetched",
    "fetch_json": "Answered with JSON",
}
MAX_TEXT = 8 * 1024 * 1024  # a roster receipt of 10,000 rows is about 2 MB
CHUNK = 500
_UUID = re.compile(r"^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.I)
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_ASSERTION_PATH = re.compile(
    r"^/ob/assertions/([0-9a-f-]{36})(?:/(?:hosted|signed|ob3)\.(?:png|svg)|/signed\.jws|/credential\.(?:json|jwt))?/?$",
    re.I,
)


# --- the answer -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Check:
    name: str
    passed: bool | None  # None: not checked (for example no e-mail given)
    message: str

    @property
    def label(self) -> str:
        return CHECK_LABELS.get(self.name, self.name.replace("_", " ").capitalize())

    def as_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "message": self.message}


@dataclass(slots=True)
class Answer:
    """Everything a verification found. ``award`` and ``recipient`` are internal (not published).

    ``award`` is the Award, or in a roster its row of ``AWARD_FACTS`` (the same attribute names)."""

    kind: str = "unknown"
    checks: list[Check] = field(default_factory=list)
    credential: str | None = None
    issuer: str | None = None
    earner: str | None = None
    issued_on: datetime | None = None
    expires: datetime | None = None
    revocation_reason: str | None = None
    assertion: str | None = None
    input_digest: str = ""
    checked_at: datetime = field(default_factory=utcnow)
    receipt_payload: dict | None = None
    award: Award | Row | None = None
    foreign_recipient: dict | None = None

    _status: str | None = None

    def check(self, name: str, passed: bool | None, message: str) -> bool | None:
        self.checks.append(Check(name, passed, message))
        self._status = None
        return passed

    @property
    def status(self) -> str:
        if self._status is None:
            failed = {FAILS_AS.get(c.name, "unverifiable") for c in self.checks if c.passed is False}
            self._status = next((status for status in STATUS_ORDER if status in failed), "valid")
        return self._status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def message(self) -> str:
        status = self.status
        if status == "valid":
            if self.receipt_payload is not None:
                return "This receipt was signed by this platform."
            return f"{self.credential or 'This credential'} was issued by {self.issuer or 'its issuer'} and is valid."
        if status == "revoked" and self.revocation_reason:
            return f"Revoked by the issuer: {self.revocation_reason}"
        failed = next(c for c in self.checks if c.passed is False and FAILS_AS.get(c.name, "unverifiable") == status)
        return failed.message

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if c.passed is False]

    def as_dict(self) -> dict:
        return {
            "status": self.status, "label": self.label, "message": self.message, "kind": self.kind,
            "checks": [c.as_dict() for c in self.checks],
            "credential": self.credential, "issuer": self.issuer, "earner": self.earner,
            "issued_on": _iso(self.issued_on), "expires": _iso(self.expires),
            "revocation_reason": self.revocation_reason, "assertion": self.assertion,
            "input_digest": self.input_digest, "checked_at": _iso(self.checked_at),
            **({"receipt_contents": self.receipt_payload} if self.receipt_payload is not None else {}),
        }


def _iso(moment: datetime | None) -> str | None:
    return ob2.iso(moment) if moment is not None else None


# --- earner and identity (one query each, for one answer or a whole roster) ---------------------------


def public_earner_names(award_ids: list[int]) -> dict[int, str]:
    """award id -> the earner's name, only where the earner made it public: the award is
    visible on her enabled public profile (the portfolio owns the rule; one query)."""
    return portfolio_services.public_earner_names(award_ids)


def verified_addresses(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """user id -> the earner's login e-mail and every verified further address (one query)."""
    return accounts_services.verified_addresses(user_ids)


# --- detection and dispatch -------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _is_local(url: str) -> bool:
    base = _base_url()
    return url == base or url.startswith(base + "/")


def _local_path(url: str) -> str:
    return urlsplit(url).path


def _b64json(part: str):
    return json.loads(keys.b64url_decode(part))


def _types(document: dict) -> set[str]:
    value = document.get("type", [])
    return {value} if isinstance(value, str) else {t for t in value if isinstance(t, str)} if isinstance(value, list) else set()


def verify_credential(*, text: str | None = None, data: bytes | None = None, email: str | None = None) -> Answer:
    """Verify one input (``text`` pasted, or ``data`` of an uploaded file); never raises for bad input.

    ``email`` (optional) is checked against the recipient: the award's salted hash,
    or any verified address of its earner.
    """
    raw = data if data is not None else (text or "").encode("utf-8")
    answer = Answer(input_digest=receipts.input_digest(raw))
    if data is not None:
        _dispatch_file(answer, data)
    else:
        _dispatch_text(answer, text or "")
    _finish([answer], [email])
    return answer


def _dispatch_file(answer: Answer, data: bytes) -> None:
    if data.startswith(baking.PNG_SIGNATURE):
        try:
            payload = baking.unbake_png(data)
            ob3_payload = None if payload is not None else baking.unbake_png(data, keyword=baking.OB3_KEYWORD)
        except (baking.BakingError, ValueError, UnicodeDecodeError) as exc:
            answer.kind = "png"
            answer.check("parsed", False, f"The PNG image could not be read: {exc}.")
            return
        if payload is None and ob3_payload is None:
            answer.kind = "png"
            answer.check("parsed", False, "This PNG image carries no badge (no openbadges or openbadgecredential chunk).")
            return
        answer.kind = "png"
        _dispatch_text(answer, payload if payload is not None else ob3_payload, baked=True)
        return
    head = data[:4096].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        try:
            baked = baking.unbake_svg(data)
        except (ValueError, UnicodeDecodeError):
            baked = None
        if baked is None:
            answer.kind = "svg"
            answer.check("parsed", False, "This SVG image carries no badge (no openbadges:assertion or credential).")
            return
        answer.kind = "svg"
        # Hosted and OB 3.0 SVGs embed the JSON; signed ones carry the JWS in ``verify``.
        _dispatch_text(answer, baked["text"] or baked["verify"], baked=True)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        answer.kind = "file"
        answer.check("parsed", False, "This file is not a baked PNG or SVG badge, nor text we can read.")
        return
    _dispatch_text(answer, text)


def _dispatch_text(answer: Answer, text: str, *, baked: bool = False) -> None:
    text = (text or "").strip()
    prefix = answer.kind + "/" if baked else ""

    def kind(name: str) -> None:
        answer.kind = prefix + name if baked else name

    if not text:
        kind("empty")
        answer.check("parsed", False, "There is nothing to verify: paste a link, an id, JSON or a JWS, or choose an image.")
        return
    if len(text) > MAX_TEXT:
        kind("text")
        answer.check("parsed", False, "That is too long to be a badge.")
        return
    if receipts.receipt_header(text) is not None:
        kind("receipt")
        _verify_receipt(answer, text)
        return
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as exc:
            kind("json")
            answer.check("parsed", False, f"This is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).")
            return
        if not isinstance(document, dict):
            kind("json")
            answer.check("parsed", False, "This JSON is not an Open Badges document.")
            return
        types = _types(document)
        if types & {"VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"}:
            kind("ob3-json")
            _verify_ob3_json(answer, document)
        elif "Assertion" in types:
            kind("ob2-json")
            _verify_ob2_json(answer, document)
        else:
            kind("json")
            answer.check("parsed", False, "This JSON is neither an Open Badges 2.0 assertion nor an OB 3.0 credential.")
        return
    if _COMPACT.match(text):
        try:
            header, payload = _b64json(text.split(".")[0]), _b64json(text.split(".")[1])
        except (ValueError, UnicodeDecodeError, TypeError):
            kind("jws")
            answer.check("parsed", False, "This looks like a JWS but its header or payload is not base64url JSON.")
            return
        if not isinstance(header, dict) or not isinstance(payload, dict):
            kind("jws")
            answer.check("parsed", False, "This JWS does not carry an Open Badges document.")
            return
        is_vc = header.get("typ") == "JWT" or bool(_types(payload) & {"VerifiableCredential", "OpenBadgeCredential"})
        if is_vc:
            kind("vc-jwt")
            _verify_vc_jwt(answer, text, header, payload)
        else:
            kind("jws")
            _verify_ob2_jws(answer, text, header, payload)
        return
    if re.match(r"^https?://", text, re.I):
        kind("url")
        _verify_url(answer, text)
        return
    if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.I) and not _UUID.match(text):
        kind("url")
        answer.check("parsed", False, "Only http and https addresses can be verified.")
        return
    match = _UUID.match(text)
    if match:
        kind("award-id")
        answer.check("parsed", True, "Read an award id.")
        _check_local(answer, _award_by_uuid(match.group(1).lower()), presented=None, fmt="id")
        return
    kind("text")
    answer.check("parsed", False, "This is not a badge address, an award id, JSON, a JWS or a VC-JWT.")


# --- this platform's awards ------------------------------------------------------------------------


def _award_query():
    return select(Award).options(selectinload(Award.credential).selectinload(Credential.issuer))


def _award_by_uuid(uuid: str) -> Award | None:
    return db.session.scalar(_award_query().where(Award.uuid == uuid))


#: What a roster reads of each award: plain rows, not Award objects (building 10,000 of them
#: cost more than their checks); ``_check_local`` and ``_finish`` use only these attributes.
AWARD_FACTS = (Award.id, Award.uuid, Award.credential_id, Award.recipient_id, Award.salt, Award.identity_hash,
               Award.issued_at, Award.expires_at, Award.revoked_at, Award.revocation_reason)


def _award_rows(uuids: list[str]) -> tuple[dict[str, Row], dict[int, tuple[str, str]]]:
    """uuid -> the award's row of ``AWARD_FACTS``, and credential id -> (credential name, issuer
    name) once per distinct credential: one query per ``CHUNK`` uuids or credential ids."""
    awards: dict[str, Row] = {}
    for start in range(0, len(uuids), CHUNK):
        rows = db.session.execute(select(*AWARD_FACTS).where(Award.uuid.in_(uuids[start:start + CHUNK])))
        awards.update((row.uuid, row) for row in rows)
    credential_ids = sorted({row.credential_id for row in awards.values()})
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(credential_ids), CHUNK):
        rows = db.session.execute(
            select(Credential.id, Credential.name, Organization.name)
            .join(Organization, Organization.id == Credential.issuer_id)
            .where(Credential.id.in_(credential_ids[start:start + CHUNK])))
        names.update((credential_id, (credential, issuer)) for credential_id, credential, issuer in rows)
    return awards, names


def _verify_url(answer: Answer, url: str) -> None:
    if not _is_local(url):
        answer.check("parsed", True, "Read an address on another platform: fetching its Open Badges 2.0 nodes.")
        _verify_foreign_hosted(answer, url)
        return
    match = _ASSERTION_PATH.match(_local_path(url))
    if match is None:
        answer.check("parsed", True, "Read an address on this platform.")
        answer.check("issued_here", False, "This address on this platform is not a badge.")
        return
    answer.check("parsed", True, "Read a badge address on this platform.")
    _check_local(answer, _award_by_uuid(match.group(1).lower()), presented=None, fmt="url")


def _uuid_from(value) -> str | None:
    if not isinstance(value, str):
        return None
    match = _UUID.match(value)
    if match:
        return match.group(1).lower()
    if _is_local(value):
        path_match = _ASSERTION_PATH.match(_local_path(value))
        return path_match.group(1).lower() if path_match else None
    return None


def _key_by_kid(kid: str) -> SigningKey | None:
    return db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))


def _verify_ob2_json(answer: Answer, document: dict) -> None:
    assertion_id = document.get("id")
    if not isinstance(assertion_id, str):
        answer.check("parsed", False, "The assertion has no id, so it cannot be checked.")
        return
    answer.check("parsed", True, "Read an Open Badges 2.0 assertion (JSON).")
    if _is_local(assertion_id):
        _check_local(answer, _award_by_uuid(_uuid_from(assertion_id) or ""), presented=document, fmt="ob2")
    else:
        _verify_foreign_hosted(answer, assertion_id, presented=document)


def _verify_ob2_jws(answer: Answer, token: str, header: dict, payload: dict) -> None:
    verification = payload.get("verification") if isinstance(payload.get("verification"), dict) else {}
    creator = verification.get("creator")
    if header.get("alg") != "RS256" or not isinstance(creator, str) or "Assertion" not in _types(payload):
        answer.check("parsed", False, "This JWS is not an Open Badges 2.0 signed assertion (RS256 with a creator key).")
        return
    answer.check("parsed", True, "Read an Open Badges 2.0 signed assertion (JWS).")
    if not _is_local(creator):
        _verify_foreign_signed(answer, token, payload, creator)
        return
    kid = _local_path(creator).rsplit("/", 1)[-1]
    key = _key_by_kid(kid) if _local_path(creator).startswith("/ob/keys/") else None
    if key is None or key.algorithm is not KeyAlgorithm.RSA:
        answer.check("issuer_known", False, "The signing key it names is not published by any issuer here.")
        return
    try:
        ob2.verify_jws(token, keys.public_key(key))
    except ValueError:
        answer.check("signature", False, "The signature does not match: the assertion was changed or signed by another key.")
        return
    answer.check("signature", True, f"Signed (RS256) with the published key {key.kid}"
                 + (" (retired, still published)." if key.retired_at else "."))
    award = _award_by_uuid(_uuid_from(payload.get("id")) or "")
    if award is not None and key.organization_id != award.credential.issuer_id:
        answer.check("key_owner", False, "The key belongs to another issuer than the badge's.")
        return
    _check_local(answer, award, presented=payload, fmt="ob2")


def _did_org(did: str) -> int | None:
    match = re.match(re.escape(urls.platform_did()) + r":ob:issuers:(\d+)$", did or "")
    return int(match.group(1)) if match else None


def _rsa_from_jwk(jwk: dict):
    n = int.from_bytes(keys.b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(keys.b64url_decode(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _method_key(answer: Answer, method, algorithm: KeyAlgorithm) -> SigningKey | None:
    """The published key a DID URL (``did:web:...:ob:issuers:N#kid``) names, with the checks it needs."""
    did, _, kid = (method or "").partition("#") if isinstance(method, str) else ("", "", "")
    org_id = _did_org(did)
    if org_id is None:
        answer.check("issued_here", False, "It was issued elsewhere: this verifier checks OB 3.0 credentials of this "
                     "platform and Open Badges 2.0 badges of any issuer.")
        return None
    key = _key_by_kid(kid)
    if key is None or key.organization_id != org_id or key.algorithm is not algorithm:
        answer.check("issuer_known", False, "The verification method it names is not a published key of its issuer.")
        return None
    return key


def _verify_vc_jwt(answer: Answer, token: str, header: dict, payload: dict) -> None:
    if header.get("alg") != "RS256":
        answer.check("parsed", False, "This VC-JWT does not use RS256, the algorithm this platform signs with.")
        return
    answer.check("parsed", True, "Read an Open Badges 3.0 credential (VC-JWT).")
    key = _method_key(answer, header.get("kid"), KeyAlgorithm.RSA)
    if key is None:
        return
    try:
        ob2.verify_jws(token, _rsa_from_jwk(keys.public_jwk(key)))
    except (ValueError, KeyError):
        answer.check("signature", False, "The signature does not match the published JWK: the credential was changed.")
        return
    answer.check("signature", True, f"Signed (RS256) with the published JWK {key.kid}.")
    issuer = payload.get("issuer", {})
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if payload.get("iss") != urls.issuer_did(key.organization_id) or issuer_id != payload.get("iss"):
        answer.check("key_owner", False, "The key's issuer is not the credential's issuer.")
        return
    _check_local(answer, _award_by_uuid(_uuid_from(payload.get("id")) or ""), presented=payload, fmt="ob3")


def _verify_ob3_json(answer: Answer, document: dict) -> None:
    proof = document.get("proof")
    if not isinstance(proof, dict):
        answer.check("parsed", False, "This OB 3.0 credential has no proof, so nothing says who issued it.")
        return
    answer.check("parsed", True, "Read an Open Badges 3.0 credential with a Data Integrity proof.")
    key = _method_key(answer, proof.get("verificationMethod"), KeyAlgorithm.ED25519)
    if key is None:
        return
    if not ob3.verify_data_integrity_proof(document, keys.public_key(key)):
        answer.check("signature", False, "The eddsa-rdfc-2022 proof does not match: the credential was changed.")
        return
    answer.check("signature", True, f"eddsa-rdfc-2022 proof made with the published key {key.kid}.")
    issuer = document.get("issuer", {})
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != urls.issuer_did(key.organization_id):
        answer.check("key_owner", False, "The key's issuer is not the credential's issuer.")
        return
    _check_local(answer, _award_by_uuid(_uuid_from(document.get("id")) or ""), presented=document, fmt="ob3")


def _differences(award: Award, presented: dict, fmt: str) -> list[str]:
    """Fields of ``presented`` that differ from what was issued for ``award``."""
    issued_on = ob2.iso(award.issued_at)
    expires = ob2.iso(award.expires_at) if award.expires_at else None
    if fmt == "ob2":
        recipient = presented.get("recipient") if isinstance(presented.get("recipient"), dict) else {}
        expected = {
            "id": (presented.get("id"), urls.assertion_url(award.uuid)),
            "badge": (presented.get("badge"), urls.badge_class_url(award.credential_id)),
            "recipient": ((recipient.get("identity"), recipient.get("salt")), (award.identity_hash, award.salt)),
            "issuedOn": (presented.get("issuedOn"), issued_on),
            "expires": (presented.get("expires"), expires),
        }
    else:
        subject = presented.get("credentialSubject") if isinstance(presented.get("credentialSubject"), dict) else {}
        identifiers = subject.get("identifier") if isinstance(subject.get("identifier"), list) else []
        hashes = {(i.get("identityHash"), i.get("salt")) for i in identifiers if isinstance(i, dict)}
        achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
        expected = {
            "id": (presented.get("id"), f"urn:uuid:{award.uuid}"),
            "achievement": (achievement.get("id"), urls.badge_class_url(award.credential_id)),
            "recipient": ((award.identity_hash, award.salt) in hashes, True),
            "validFrom": (presented.get("validFrom"), issued_on),
            "validUntil": (presented.get("validUntil"), expires),
        }
    return [name for name, (got, want) in expected.items() if got != want]


def _assertion_url(uuid: str) -> str:
    # Building a URL through the URL map costs more than a whole row's checks: build it once per request.
    prefix = g.get("verify_assertion_prefix")
    if prefix is None:
        prefix = g.verify_assertion_prefix = urls.assertion_url("0").removesuffix("0")
    return prefix + uuid


def _check_local(answer: Answer, award: Award | Row | None, *, presented: dict | None, fmt: str,
                 names: tuple[str, str] | None = None) -> None:
    """The checks of an award of this platform (``presented``: the document handed to us, if any;
    only with an Award). ``names``: (credential name, issuer name), read from the Award if not given."""
    if award is None:
        answer.check("issued_here", False, "No badge with this id was issued here.")
        return
    answer.award = award
    answer.credential, answer.issuer = names or (award.credential.name, award.credential.issuer.name)
    answer.issued_on, answer.expires = award.issued_at, award.expires_at
    answer.assertion = _assertion_url(award.uuid)
    answer.check("issuer_known", True, f"Issued by {answer.issuer}, an issuer of this platform.")
    answer.check("issued_here", True, "Found in this platform's records (award "
                 f"{award.uuid}).")
    if presented is not None:
        different = _differences(award, presented, fmt)
        if different:
            answer.check("document_matches", False, "It differs from what was issued: " + ", ".join(different) + ".")
            return
        answer.check("document_matches", True, "Every field checked matches what was issued.")
    if award.revoked_at is not None:
        answer.revocation_reason = award.revocation_reason or "Revoked by the issuer."
        where = "the OB 3.0 status list" if fmt == "ob3" else "the issuer's revocation list"
        answer.check("not_revoked", False, f"Revoked on {award.revoked_at:%-d %B %Y} (listed on {where}): "
                     f"{answer.revocation_reason}")
    else:
        where = f"status list entry {award.id} is not set" if fmt == "ob3" else "not on the issuer's revocation list"
        answer.check("not_revoked", True, f"Not revoked ({where}).")
    _check_expiry(answer, award.expires_at)


def _check_expiry(answer: Answer, expires: datetime | None) -> None:
    if expires is None:
        answer.check("not_expired", True, "It does not expire.")
    elif expires <= utcnow():
        answer.check("not_expired", False, f"Expired on {expires:%-d %B %Y}.")
    else:
        answer.check("not_expired", True, f"Valid until {expires:%-d %B %Y}.")


# --- foreign Open Badges 2.0 ------------------------------------------------------------------------


def _fetch(answer: Answer, url, what: str) -> dict | None:
    if isinstance(url, dict):
        return url  # an embedded node
    if not isinstance(url, str):
        answer.check("parsed", False, f"The {what} is neither an address nor an embedded node.")
        return None
    try:
        fetched = fetch_json(url)
    except FetchError as exc:
        answer.check(exc.check, False, f"The {what} at {url}: {exc.message}")
        return None
    if fetched.status == 410 and what == "assertion":
        return {**fetched.document, "revoked": True}
    if fetched.status >= 400:
        answer.check("fetch_failed", False, f"The {what} at {url} answered HTTP {fetched.status}.")
        return None
    return fetched.document


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _foreign_nodes(answer: Answer, assertion: dict) -> tuple[dict, dict] | None:
    if "Assertion" not in _types(assertion) or not isinstance(assertion.get("recipient"), dict) \
            or _parse_time(assertion.get("issuedOn")) is None:
        answer.check("parsed", False, "The assertion lacks its type, recipient or issue date.")
        return None
    badge = _fetch(answer, assertion.get("badge"), "badge class")
    if badge is None:
        return None
    issuer = _fetch(answer, badge.get("issuer"), "issuer profile")
    if issuer is None:
        return None
    if not _types(issuer) & {"Issuer", "Profile"} or not isinstance(issuer.get("id"), str):
        answer.check("issuer_known", False, "The badge class does not point at an issuer profile.")
        return None
    answer.credential = badge.get("name") if isinstance(badge.get("name"), str) else None
    answer.issuer = issuer.get("name") if isinstance(issuer.get("name"), str) else None
    answer.issued_on = _parse_time(assertion.get("issuedOn"))
    answer.expires = _parse_time(assertion.get("expires"))
    answer.assertion = assertion.get("id") if isinstance(assertion.get("id"), str) else None
    answer.foreign_recipient = assertion["recipient"]
    answer.check("issuer_known", True, f"Fetched the issuer profile of {answer.issuer or issuer['id']}.")
    return badge, issuer


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))


def _hosted_origin_ok(assertion_id: str, issuer: dict) -> bool:
    policy = issuer.get("verification") if isinstance(issuer.get("verification"), dict) else {}
    starts = policy.get("startsWith")
    if starts:
        starts = [starts] if isinstance(starts, str) else list(starts)
        return any(isinstance(s, str) and assertion_id.startswith(s) for s in starts)
    origins = policy.get("allowedOrigins")
    if origins:
        origins = [origins] if isinstance(origins, str) else list(origins)
        return urlsplit(assertion_id).hostname in origins
    return _host_port(assertion_id) == _host_port(issuer["id"])


def _verify_foreign_hosted(answer: Answer, url: str, presented: dict | None = None) -> None:
    assertion = _fetch(answer, url, "assertion")
    if assertion is None:
        return
    if assertion.get("revoked") is True:
        answer.assertion = url
        answer.revocation_reason = str(assertion.get("revocationReason") or "Revoked by the issuer.")
        answer.check("not_revoked", False, f"The issuer answers that it is revoked: {answer.revocation_reason}")
        return
    nodes = _foreign_nodes(answer, assertion)
    if nodes is None:
        return
    _badge, issuer = nodes
    assertion_id = assertion.get("id")
    if assertion_id != url:
        answer.check("hosted_origin", False, "The assertion's id is not the address it was fetched from.")
        return
    if not _hosted_origin_ok(assertion_id, issuer):
        answer.check("hosted_origin", False, "The assertion is not hosted on its issuer's domain (hosted verification).")
        return
    answer.check("hosted_origin", True, "Hosted on the issuer's domain, where the issuer still serves it.")
    if presented is not None:
        recipient = presented.get("recipient") if isinstance(presented.get("recipient"), dict) else {}
        same = (recipient.get("identity") == assertion["recipient"].get("identity")
                and presented.get("badge") == assertion.get("badge") and presented.get("issuedOn") == assertion.get("issuedOn"))
        if not answer.check("document_matches", same, "Matches what the issuer serves." if same
                            else "It differs from what the issuer serves at its address."):
            return
    answer.check("not_revoked", True, "Not revoked: the issuer still serves the assertion.")
    _check_expiry(answer, answer.expires)


def _verify_foreign_signed(answer: Answer, token: str, payload: dict, creator: str) -> None:
    key_node = _fetch(answer, creator, "signing key")
    if key_node is None:
        return
    pem = key_node.get("publicKeyPem")
    try:
        public = load_pem_public_key(pem.encode("ascii")) if isinstance(pem, str) else None
    except ValueError:
        public = None
    if not isinstance(public, rsa.RSAPublicKey):
        answer.check("issuer_known", False, "The signing key node has no RSA public key (publicKeyPem).")
        return
    try:
        ob2.verify_jws(token, public)
    except ValueError:
        answer.check("signature", False, "The signature does not match the issuer's key: the assertion was changed.")
        return
    answer.check("signature", True, f"Signed (RS256) with the key at {creator}.")
    nodes = _foreign_nodes(answer, payload)
    if nodes is None:
        return
    _badge, issuer = nodes
    listed = issuer.get("publicKey")
    listed = [listed] if isinstance(listed, (str, dict)) else listed if isinstance(listed, list) else []
    listed_ids = {item if isinstance(item, str) else item.get("id") for item in listed if isinstance(item, (str, dict))}
    if key_node.get("owner") != issuer["id"] or (listed_ids and creator not in listed_ids):
        answer.check("key_owner", False, "The signing key is not owned by the badge's issuer.")
        return
    answer.check("key_owner", True, "The signing key is owned by the issuer.")
    revocation_url = issuer.get("revocationList")
    if revocation_url is None:
        answer.check("not_revoked", True, "Not revoked (the issuer publishes no revocation list).")
    else:
        revocations = _fetch(answer, revocation_url, "revocation list")
        if revocations is None:
            return
        entries = revocations.get("revokedAssertions") if isinstance(revocations.get("revokedAssertions"), list) else []
        for entry in entries:
            entry_id = entry if isinstance(entry, str) else entry.get("id") if isinstance(entry, dict) else None
            if entry_id is not None and entry_id in (payload.get("id"), payload.get("uid")):
                answer.revocation_reason = (entry.get("revocationReason") if isinstance(entry, dict) else None) \
                    or "Revoked by the issuer."
                answer.check("not_revoked", False, f"On the issuer's revocation list: {answer.revocation_reason}")
                return
        answer.check("not_revoked", True, "Not on the issuer's revocation list.")
    _check_expiry(answer, answer.expires)


# --- receipts ------------------------------------------------------------------------------------------


def _verify_receipt(answer: Answer, token: str) -> None:
    try:
        payload = receipts.open_receipt(token)
    except ValueError as exc:
        answer.check("parsed", True, "Read a verification receipt.")
        answer.check("receipt_signature", False, f"Not a genuine receipt of this platform: {exc}.")
        return
    answer.check("parsed", True, "Read a verification receipt.")
    answer.receipt_payload = payload
    checked = payload.get("checked_at", "an unknown time")
    answer.check("receipt_signature", True, f"Signed by this platform's key; it records a verification made at {checked}.")


def receipt_for(answer: Answer) -> str:
    """A signed receipt of one answer."""
    return receipts.sign_receipt({
        "type": "VerificationReceipt", "issuer": urls.platform_did(), "verifier": _base_url() + "/verify",
        "checked_at": _iso(answer.checked_at), "input_digest": answer.input_digest,
        "answer": {k: v for k, v in answer.as_dict().items() if k not in ("receipt_contents", "input_digest", "checked_at")},
    })


# --- recipient, earner: the finishing pass of one answer or a roster --------------------------------------


def _finish(answers: list[Answer], emails: list[str | None]) -> None:
    """Earner names and recipient checks for ``answers`` (one query each for all of them)."""
    award_ids = [a.award.id for a in answers if a.award is not None]
    names = public_earner_names(award_ids) if award_ids else {}
    wanted = [a.award.recipient_id for a, e in zip(answers, emails) if a.award is not None and e]
    addresses = verified_addresses(wanted) if wanted else {}
    for answer, email in zip(answers, emails):
        if answer.award is not None:
            answer.earner = names.get(answer.award.id)
        if answer.kind.endswith("receipt") or (answer.award is None and answer.foreign_recipient is None):
            continue  # nothing identifies a recipient to check against
        _check_recipient(answer, (email or "").strip(), addresses)


def _check_recipient(answer: Answer, email: str, addresses: dict[int, set[str]]) -> None:
    if not email:
        answer.check("recipient", None, "Not checked: give the earner's e-mail address to check it.")
        return
    award = answer.award
    if award is not None:
        if identity_hash(email, award.salt) == award.identity_hash:
            answer.check("recipient", True, "The e-mail address matches the recipient (salted sha256 hash).")
        elif email.lower() in addresses.get(award.recipient_id, set()):
            answer.check("recipient", True, "The e-mail address is a verified address of the earner.")
        else:
            answer.check("recipient", False, "The e-mail address is not the recipient's.")
        return
    recipient = answer.foreign_recipient
    if recipient is None:
        return
    identity = str(recipient.get("identity") or "")
    if recipient.get("hashed"):
        algorithm, _, digest = identity.partition("$")
        if algorithm not in ("sha256", "md5"):
            answer.check("recipient", False, "The recipient is hashed with an algorithm this verifier does not know.")
            return
        computed = hashlib.new(algorithm, (email.lower() + str(recipient.get("salt") or "")).encode()).hexdigest()
        passed = computed == digest.lower()
    else:
        passed = identity.strip().lower() == email.lower()
    answer.check("recipient", passed, "The e-mail address matches the recipient." if passed
                 else "The e-mail address is not the recipient's.")


# --- rosters ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RosterItem:
    row: int
    input: str
    email: str = ""


@dataclass(slots=True)
class RosterRow:
    row: int
    input: str
    email: str
    answer: Answer | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else "error"

    def as_dict(self) -> dict:
        base = {"row": self.row, "input": self.input, "email": self.email or None, "error": self.error}
        if self.answer is None:
            return {**base, "status": "error", "label": "Row error", "message": self.error, "checks": []}
        return {**base, **self.answer.as_dict()}


@dataclass
class Roster:
    rows: list[RosterRow]
    input_digest: str
    checked_at: datetime = field(default_factory=utcnow)

    def as_dict(self) -> dict:
        return {"summary": self.summary, "items": [row.as_dict() for row in self.rows],
                "input_digest": self.input_digest, "checked_at": _iso(self.checked_at)}

    @property
    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


HEADER_NAMES = {"award", "award url", "award_url", "award id", "award_id", "url", "id", "badge", "assertion", "input",
                "link", "credential"}
MAX_CELL = 4000


def can_verify_rosters(user) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.active and user.has_role(Role.HR, Role.ADMIN)


def parse_roster_csv(data: bytes) -> tuple[list[RosterItem], list[RosterRow]]:
    """Rows of a roster CSV (award URL or id, optional e-mail) and the rows in error (with their number).

    The first row is a header when its first cell names a column ("award", "url",
    "id", ...); then the columns are found by name, else the first two are used.
    Raises ValidationError("file") when the file is not CSV text or has too many rows.
    """
    limit = current_app.config["VERIFY_MAX_ROWS"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("file", "The roster must be a CSV file in UTF-8.") from None
    try:
        # Row numbers are the file's line numbers (blank lines are skipped but counted).
        table = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
                 if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ValidationError("file", f"The roster is not valid CSV: {exc}.") from None
    if not table:
        raise ValidationError("file", "The roster is empty: put one award address or id per row.")
    input_col, email_col = 0, 1
    header = [cell.strip().lower() for cell in table[0][1]]
    if header[0] in HEADER_NAMES or (any(h in HEADER_NAMES for h in header)
                                     and not any(_UUID.match(h) or h.startswith("http") for h in header)):
        input_col = next((i for i, h in enumerate(header) if h in HEADER_NAMES), 0)
        email_col = next((i for i, h in enumerate(header) if "mail" in h), -1)
        table = table[1:]
    if len(table) > limit:
        raise ValidationError("file", f"The roster has {len(table):,} rows; the limit is {limit:,}. Split it.")
    items: list[RosterItem] = []
    errors: list[RosterRow] = []
    for number, cells in table:
        value = cells[input_col].strip() if input_col < len(cells) else ""
        email = cells[email_col].strip() if 0 <= email_col < len(cells) else ""
        problem = _row_problem(value, email)
        if problem:
            errors.append(RosterRow(number, value[:200], email[:200], error=f"Row {number}: {problem}"))
        else:
            items.append(RosterItem(number, value, email))
    return items, errors


def _row_problem(value: str, email: str) -> str | None:
    if not value:
        return "no award address or id."
    if len(value) > MAX_CELL or len(email) > 320:
        return "the cell is too long."
    if email and ("@" not in email or " " in email):
        return f"{email!r} is not an e-mail address."
    return None


def items_from_json(items: list[dict]) -> tuple[list[RosterItem], list[RosterRow]]:
    """Roster items from the API's ``[{input, email?}]`` (row numbers from 1)."""
    good, bad = [], []
    for number, item in enumerate(items, start=1):
        value, email = (item.get("input") or "").strip(), (item.get("email") or "").strip()
        problem = _row_problem(value, email)
        if problem:
            bad.append(RosterRow(number, value[:200], email[:200], error=f"Row {number}: {problem}"))
        else:
            good.append(RosterItem(number, value, email))
    return good, bad


def _local_uuid(value: str) -> str | None:
    value = value.strip()
    match = _UUID.match(value)
    if match:
        return match.group(1).lower()
    return _uuid_from(value) if value.startswith(("http://", "https://")) else None


def verify_roster(*, verifier: User, items: list[RosterItem], errors: list[RosterRow] | None = None,
                  input_digest: str = "") -> Roster:
    """Verify every row: awards of this platform in chunks of ``CHUNK`` (as rows, with their
    credential and issuer names once per credential), anything else through ``verify_credential``'s detection.

    The query count grows with rows / CHUNK, never with rows. Raises PermissionDenied
    unless ``verifier`` is HR or an admin (the API's verify scope is checked by the caller).
    """
    if not can_verify_rosters(verifier):
        raise PermissionDenied("Only HR officers and admins verify rosters.")
    limit = current_app.config["VERIFY_MAX_ROWS"]
    if len(items) + len(errors or []) > limit:
        raise ValidationError("items", f"At most {limit:,} rows at once.")
    uuids = {item.row: _local_uuid(item.input) for item in items}
    wanted = sorted({u for u in uuids.values() if u})
    awards, names = _award_rows(wanted)
    rows: list[RosterRow] = list(errors or [])
    answers, emails = [], []
    for item in items:
        uuid = uuids[item.row]
        if uuid is not None:
            answer = Answer(kind="award-id" if _UUID.match(item.input) else "url",
                            input_digest=receipts.input_digest(item.input.encode()))
            answer.check("parsed", True, "Read a badge address or id of this platform.")
            award = awards.get(uuid)
            _check_local(answer, award, presented=None, fmt="id",
                         names=names[award.credential_id] if award is not None else None)
        else:
            answer = Answer(input_digest=receipts.input_digest(item.input.encode()))
            _dispatch_text(answer, item.input)
        answers.append(answer)
        emails.append(item.email)
        rows.append(RosterRow(item.row, item.input, item.email, answer=answer))
    _finish(answers, emails)
    rows.sort(key=lambda r: r.row)
    return Roster(rows=rows, input_digest=input_digest)


_gc_lock = threading.Lock()
_gc_state = {"pauses": 0, "was_enabled": False}


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a roster is verified and answered.

    A roster of 10,000 rows builds some 120,000 objects that all live until the answer
    is sent: each automatic collection rescans them and frees nothing, which cost a third
    of the request. Reference counting still frees everything as usual; the collector is
    switched back on (if it was on) when the last roster in progress, in any thread, is done."""
    with _gc_lock:
        if _gc_state["pauses"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["pauses"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["pauses"] -= 1
            if _gc_state["pauses"] == 0 and _gc_state["was_enabled"]:
                gc.enable()


def roster_receipt(roster: Roster) -> str:
    """A signed receipt of a whole roster: per row its input, status and failed checks."""
    return receipts.sign_receipt({
        "type": "RosterVerificationReceipt", "issuer": urls.platform_did(), "verifier": _base_url() + "/verify/rosters",
        "checked_at": _iso(roster.checked_at), "input_digest": roster.input_digest, "summary": roster.summary,
        "rows": [{"row": r.row, "input": r.input, "status": r.status,
                  "failed": r.answer.failed_checks if r.answer else [], "error": r.error} for r in roster.rows],
    })


CSV_COLUMNS = ["row", "input", "email", "status", "message", "credential", "issuer", "earner", "issued_on", "expires",
               "revocation_reason", "failed_checks"]


def roster_csv(rows: list[dict]) -> str:
    """The results as CSV (one line per row), from ``RosterRow.as_dict`` documents."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        failed = [c["name"] for c in row.get("checks", []) if c.get("passed") is False]
        writer.writerow([_csv_safe(row.get(column) if column != "failed_checks" else " ".join(failed))
                         for column in CSV_COLUMNS])
    return out.getvalue()


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- stored roster results (so a large roster can be paged and downloaded) ---------------------------------------


ROSTERS_PREFIX = "verify/rosters"


def _roster_prefix(user: User) -> str:
    return f"{ROSTERS_PREFIX}/{user.id}"


def roster_retention() -> timedelta:
    """How long a roster's results are kept (``VERIFY_ROSTER_DAYS``)."""
    return timedelta(days=current_app.config["VERIFY_ROSTER_DAYS"])


def purge_rosters(*, verifier: User | None = None, now: datetime | None = None) -> int:
    """Delete the stored roster results older than the retention period, of one verifier or of
    everyone; returns how many were deleted."""
    from app.storage import get_storage

    storage = get_storage()
    cutoff = (now or utcnow()) - roster_retention()
    prefix = _roster_prefix(verifier) if verifier is not None else ROSTERS_PREFIX
    deleted = 0
    for key in list(storage.iter_keys(prefix, older_than=cutoff)):
        storage.delete(key)
        deleted += 1
    return deleted


def store_roster(*, verifier: User, roster: Roster) -> str:
    """Keep the roster's results for its verifier; returns the token of the results page. Her
    results past the retention period are deleted on the way (a listing failure keeps them for the
    next time: they are refused on reading anyway)."""
    from app.storage import StorageUnavailable, get_storage

    document = roster.as_dict()
    document["rows"] = document.pop("items")
    document["receipt"] = roster_receipt(roster)
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    stored = get_storage().save(io.BytesIO(body), key_prefix=_roster_prefix(verifier), max_bytes=len(body) + 1)
    try:
        purge_rosters(verifier=verifier)
    except StorageUnavailable:
        pass
    return stored.key.rsplit("/", 1)[-1]


def load_roster(*, verifier: User, token: str, now: datetime | None = None) -> dict:
    """The stored results ``token`` of ``verifier`` (NotFound for anyone else's, unknown ones, and
    those past the retention period, which are deleted then)."""
    from app.errors import NotFound
    from app.storage import get_storage

    if not can_verify_rosters(verifier):
        raise PermissionDenied("Only HR officers and admins verify rosters.")
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise NotFound("No roster results have that address.")
    storage, key = get_storage(), f"{_roster_prefix(verifier)}/{token}"
    try:
        with storage.open(key) as handle:
            results = json.loads(handle.read())
    except FileNotFoundError:
        raise NotFound("No roster results have that address (they belong to whoever uploaded the roster).") from None
    if datetime.fromisoformat(results["checked_at"]) < (now or utcnow()) - roster_retention():
        storage.delete(key)
        days = current_app.config["VERIFY_ROSTER_DAYS"]
        raise NotFound(f"Roster results are kept for {days} days, and these have been deleted. "
                       "Upload the roster again to check it today.")
    return results


__all__ = [
    "Answer", "Check", "Roster", "RosterItem", "RosterRow", "can_verify_rosters", "collection_paused", "items_from_json",
    "load_roster", "purge_rosters", "roster_retention",
    "parse_roster_csv", "public_earner_names", "receipt_for", "roster_csv", "roster_receipt", "store_roster",
    "verified_addresses", "verify_credential", "verify_roster",
]
