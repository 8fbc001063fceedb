"""Verification receipts: what was checked, when, the answer and the input's digest, signed
by the platform.

A receipt is a compact JWS (``alg`` ``EdDSA``, ``typ`` ``verification-receipt+jws``)
whose payload is the JSON receipt. The key is the platform's Ed25519 key
(``keys.platform_key``), published as a verification method of the platform
DID document ``/.well-known/did.json``; the header's ``kid`` is that method's
id, so anyone can check a receipt with the DID document alone. Pasting a
receipt into ``/verify`` (or ``POST /api/v1/verify``) checks it here.
"""

from __future__ import annotations

import hashlib
import json
import re

from cryptography.exceptions import InvalidSignature

from app.credentials.openbadges import keys, urls

TYPE = "verification-receipt+jws"
_COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def input_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def platform_method() -> str:
    return f"{urls.platform_did()}#{keys.platform_kid()}"


def _dumps(document) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")


def sign_receipt(payload: dict) -> str:
    """The compact JWS of ``payload`` signed with the platform key."""
    header = {"alg": "EdDSA", "typ": TYPE, "kid": platform_method()}
    signing_input = keys.b64url(_dumps(header)) + "." + keys.b64url(_dumps(payload))
    signature = keys.platform_key().sign(signing_input.encode("ascii"))
    return signing_input + "." + keys.b64url(signature)


def receipt_header(token: str) -> dict | None:
    """The protected header when ``token`` looks like a receipt of this platform, else None."""
    token = token.strip()
    if not _COMPACT.match(token):
        return None
    try:
        header = json.loads(keys.b64url_decode(token.split(".")[0]))
    except (ValueError, UnicodeDecodeError):
        return None
    return header if isinstance(header, dict) and header.get("typ") == TYPE else None


def open_receipt(token: str) -> dict:
    """The payload of a receipt signed by this platform's key; ValueError otherwise."""
    header = receipt_header(token)
    if header is None:
        raise ValueError("not a verification receipt")
    if header.get("alg") != "EdDSA" or header.get("kid") != platform_method():
        raise ValueError("the receipt names a key that is not this platform's")
    head, body, signature = token.strip().split(".")
    for part in (head, body, signature):
        if keys.b64url(keys.b64url_decode(part)) != part:
            raise ValueError("non-canonical base64url")
    try:
        keys.platform_key().public_key().verify(keys.b64url_decode(signature), f"{head}.{body}".encode("ascii"))
    except InvalidSignature:
        raise ValueError("the signature does not match the receipt") from None
    try:
        payload = json.loads(keys.b64url_decode(body))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the receipt's payload is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("the receipt's payload is not a JSON object")
    return payload
