"""Signing keys: created on first use, encrypted at rest, rotated with old badges still verifying."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from app.audit import AuditEvent
from app.credentials.models import KeyAlgorithm, SigningKey
from app.credentials.openbadges import keys, ob2, publishing
from app.extensions import db
from tests.credentials.openbadges.conftest import issue


def test_keys_are_created_on_first_use_and_encrypted_at_rest(app, org):
    assert db.session.scalars(select(SigningKey)).all() == []
    rsa_key = keys.active_key(org, KeyAlgorithm.RSA)
    ed_key = keys.active_key(org, KeyAlgorithm.ED25519)
    db.session.commit()
    assert keys.active_key(org, KeyAlgorithm.RSA).id == rsa_key.id  # not a second one
    for key in (rsa_key, ed_key):
        assert b"PRIVATE KEY" not in key.private_encrypted
        assert key.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
        private = keys.private_key(key)
        public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        assert public.decode() == key.public_pem
    # Bound to its row: the ciphertext of one key does not decrypt as another.
    with pytest.raises(InvalidTag):
        keys.decrypt_private(rsa_key.private_encrypted, ed_key.kid)


def test_another_key_encryption_key_cannot_read_the_keys(make_app, org):
    key = keys.active_key(org, KeyAlgorithm.RSA)
    db.session.commit()
    other = make_app(KEY_ENCRYPTION_KEY="a-different-secret")
    with other.app_context(), pytest.raises(InvalidTag):
        keys.decrypt_private(key.private_encrypted, key.kid)


def test_rotation_keeps_old_badges_verifying(client, runner, org, teacher, credential):
    old_award = issue(teacher, credential)
    old_jws = publishing.document(old_award, "ob2_jws").body
    old_kid = publishing.document(old_award, "ob2_jws").signing_key.kid

    result = runner.invoke(args=["keys", "rotate", "--org", org.slug])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(SigningKey).where(SigningKey.kid == old_kid)).retired_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "keys.rotated")) is not None

    new_award = issue(teacher, credential)
    new_row = publishing.document(new_award, "ob2_jws")
    assert new_row.signing_key.kid != old_kid

    issuer = client.get(f"/ob/issuers/{org.id}").get_json()
    published = [url.rsplit("/", 1)[-1] for url in issuer["publicKey"]]
    assert old_kid in published and new_row.signing_key.kid in published

    # The old badge still verifies with the retired key fetched from its creator URL.
    payload = ob2.verify_jws(old_jws, _key_from(client, old_kid))
    assert payload["verification"]["creator"].endswith(f"/ob/keys/{old_kid}")
    assert publishing.document(old_award, "ob2_jws").body == old_jws  # never re-signed
    with pytest.raises(ValueError):
        ob2.verify_jws(old_jws, _key_from(client, new_row.signing_key.kid))
    did = client.get(f"/ob/issuers/{org.id}/did.json").get_json()
    assert {m["id"].rsplit("#", 1)[-1] for m in did["verificationMethod"]} >= {old_kid, new_row.signing_key.kid}


def _key_from(client, kid):
    node = client.get(f"/ob/keys/{kid}").get_json()
    assert node["type"] == "CryptographicKey"
    return serialization.load_pem_public_key(node["publicKeyPem"].encode())


def test_rotate_rejects_an_unknown_organization(runner, org):
    result = runner.invoke(args=["keys", "rotate", "--org", "no-such-org"])
    assert result.exit_code != 0 and "no organization" in result.output


def test_base58_round_trip():
    for data in [b"", b"\0\0abc", bytes(range(40))]:
        assert keys.base58btc_decode(keys.base58btc(data)) == data
