"""Issuer signing keys: RSA (OB 2.0 JWS, OB 3.0 VC-JWT) and Ed25519 (eddsa-rdfc-2022).

Each issuer gets one active key per algorithm, created on first use. Private
halves are stored encrypted with AES-256-GCM under a key derived (HKDF-SHA256)
from ``KEY_ENCRYPTION_KEY``; the key id is bound as associated data, so a
ciphertext moved to another row does not decrypt. Rotating retires the active
keys (they stay published, so everything signed with them still verifies) and
the next signature creates fresh ones.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select

from app.accounts.models import Organization, User
from app.audit import record_event
from app.credentials.models import KeyAlgorithm, SigningKey
from app.db import utcnow
from app.extensions import db

_NONCE = 12
_lock = threading.Lock()


@lru_cache(maxsize=8)
def _kek(secret: str) -> bytes:
    if not secret:
        raise RuntimeError("KEY_ENCRYPTION_KEY must be set to sign badges (any long random string).")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"signing-keys", info=b"aes-256-gcm").derive(
        secret.encode("utf-8")
    )


def _aead() -> AESGCM:
    return AESGCM(_kek(current_app.config.get("KEY_ENCRYPTION_KEY") or ""))


def encrypt_private(pem: bytes, kid: str) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + _aead().encrypt(nonce, pem, kid.encode())


def decrypt_private(blob: bytes, kid: str) -> bytes:
    return _aead().decrypt(blob[:_NONCE], blob[_NONCE:], kid.encode())


def _new_key(organization: Organization, algorithm: KeyAlgorithm) -> SigningKey:
    if algorithm is KeyAlgorithm.RSA:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = "rsa-" + secrets.token_hex(8)
    else:
        private = ed25519.Ed25519PrivateKey.generate()
        kid = "ed25519-" + secrets.token_hex(8)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    key = SigningKey(
        organization=organization, algorithm=algorithm, kid=kid, public_pem=public_pem,
        private_encrypted=encrypt_private(private_pem, kid),
    )
    db.session.add(key)
    db.session.flush()
    return key


def active_key(organization: Organization, algorithm: KeyAlgorithm) -> SigningKey:
    """The issuer's current key for ``algorithm``, created (and flushed) on first use."""
    key = db.session.scalar(
        select(SigningKey)
        .where(SigningKey.organization_id == organization.id, SigningKey.algorithm == algorithm,
               SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        .limit(1)
    )
    return key if key is not None else _new_key(organization, algorithm)


def published_keys(organization_id: int, algorithm: KeyAlgorithm | None = None) -> list[SigningKey]:
    """Every key of the issuer, active and retired, oldest first (retired keys stay published)."""
    query = select(SigningKey).where(SigningKey.organization_id == organization_id)
    if algorithm is not None:
        query = query.where(SigningKey.algorithm == algorithm)
    return list(db.session.scalars(query.order_by(SigningKey.created_at, SigningKey.id)))


def rotate_keys(organization: Organization, *, actor: User | None) -> list[SigningKey]:
    """Retire the issuer's active keys and create new ones (flushed). Old keys stay published."""
    now = utcnow()
    retired = [
        key for key in published_keys(organization.id) if key.retired_at is None
    ]
    for key in retired:
        key.retired_at = now
    db.session.flush()
    created = [_new_key(organization, algorithm) for algorithm in KeyAlgorithm]
    record_event(
        actor=actor, action="keys.rotated", object_type="organization", object_id=organization.id,
        retired=[k.kid for k in retired], created=[k.kid for k in created],
    )
    return created


_private_cache: dict[str, object] = {}


def private_key(key: SigningKey):
    """The decrypted private key object (kept in memory per process: decryption is not free)."""
    cached = _private_cache.get(key.kid)
    if cached is None:
        with _lock:
            cached = serialization.load_pem_private_key(decrypt_private(key.private_encrypted, key.kid), None)
            _private_cache[key.kid] = cached
    return cached


def public_key(key: SigningKey):
    return serialization.load_pem_public_key(key.public_pem.encode("ascii"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    """Bitcoin-alphabet base58 (leading zero bytes become '1')."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def ed25519_multikey(public: ed25519.Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase``: 'z' + base58btc(0xed01 + raw key)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc(b"\xed\x01" + raw)


def public_jwk(key: SigningKey) -> dict:
    """The public key as a JWK carrying its ``kid``."""
    public = public_key(key)
    if key.algorithm is KeyAlgorithm.RSA:
        numbers = public.public_numbers()
        return {
            "kty": "RSA", "kid": key.kid, "alg": "RS256", "use": "sig",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "kid": key.kid, "x": b64url(raw)}


def platform_key() -> ed25519.Ed25519PrivateKey:
    """The platform's own Ed25519 key (verification receipts), derived with HKDF-SHA256 from
    ``KEY_ENCRYPTION_KEY``: every process and host of one deployment has the same key without a
    stored row, and it lasts as long as that secret (which the issuer keys depend on already)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"platform-key", info=b"ed25519 receipts").derive(
        (current_app.config.get("KEY_ENCRYPTION_KEY") or "").encode("utf-8") or _kek("")
    )
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def platform_kid() -> str:
    """The platform key's id: ``platform-`` + 16 hex digits of the sha256 of its public key."""
    import hashlib

    raw = platform_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "platform-" + hashlib.sha256(raw).hexdigest()[:16]


__all__ = [
    "active_key", "b64url", "platform_key", "platform_kid", "b64url_decode", "base58btc", "base58btc_decode", "ed25519_multikey",
    "private_key", "public_jwk", "public_key", "published_keys", "rotate_keys",
]
