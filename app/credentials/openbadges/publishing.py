"""Publishing an award: sign what must be signed and bake its images, once, when it is issued.

``publish_award`` runs as a receiver of ``award_issued`` inside the issuing
transaction: it signs the OB 2.0 JWS (RSA), the OB 3.0 VC-JWT (RSA) and the
OB 3.0 credential with an eddsa-rdfc-2022 proof (Ed25519) with the issuer's
active keys, bakes PNG and SVG images (OB 2.0 hosted and signed, OB 3.0) and
stores them, recording each as an ``AwardDocument``. What was handed out is
never re-signed: after a key rotation old badges keep their signature and the
retired key stays published. ``ensure_published`` repairs an award that has no
documents (issued before publishing existed, or a failed store).
"""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from app.credentials.awards import award_issued
from app.credentials.models import Award, AwardDocument, KeyAlgorithm
from app.credentials.openbadges import baking, images, keys, ob2, ob3, urls
from app.extensions import db
from app.storage import get_storage

SIGNED = ("ob2_jws", "ob3_jwt", "ob3_json")
BAKED = ("ob2_hosted_png", "ob2_hosted_svg", "ob2_signed_png", "ob2_signed_svg", "ob3_png", "ob3_svg")
#: URL variant + format -> document kind.
BAKED_KINDS = {
    ("hosted", "png"): "ob2_hosted_png", ("hosted", "svg"): "ob2_hosted_svg",
    ("signed", "png"): "ob2_signed_png", ("signed", "svg"): "ob2_signed_svg",
    ("ob3", "png"): "ob3_png", ("ob3", "svg"): "ob3_svg",
}
MAX_BAKED_BYTES = 8 * 1024 * 1024


def _documents(award: Award) -> dict[str, AwardDocument]:
    rows = db.session.scalars(select(AwardDocument).where(AwardDocument.award_id == award.id))
    return {row.kind: row for row in rows}


def bake_all(award: Award, *, jws: str, ob3_json: str) -> dict[str, bytes]:
    """Every baked image of ``award`` as bytes (nothing stored)."""
    png = images.badge_png(award.credential)
    svg = images.badge_svg(award.credential)
    hosted = json.dumps(ob2.assertion(award), separators=(",", ":"))
    url = urls.assertion_url(award.uuid)
    return {
        "ob2_hosted_png": baking.bake_png(png, hosted),
        "ob2_signed_png": baking.bake_png(png, jws),
        "ob2_hosted_svg": baking.bake_svg(svg, verify=url, embedded_json=hosted),
        "ob2_signed_svg": baking.bake_svg(svg, verify=jws),
        "ob3_png": baking.bake_png(png, ob3_json, keyword=baking.OB3_KEYWORD),
        "ob3_svg": baking.bake_svg(svg, verify=urls.absolute("openbadges.ob3_credential", uuid=award.uuid),
                                   embedded_json=ob3_json, ob3=True),
    }


def publish_award(award: Award) -> dict[str, AwardDocument]:
    """Sign and bake everything ``award`` is published as (flushed); existing documents are kept."""
    existing = _documents(award)
    org = award.credential.issuer
    rsa = keys.active_key(org, KeyAlgorithm.RSA)
    ed = keys.active_key(org, KeyAlgorithm.ED25519)
    made: dict[str, AwardDocument] = {}
    if "ob2_jws" not in existing:
        made["ob2_jws"] = AwardDocument(award_id=award.id, kind="ob2_jws", body=ob2.signed_assertion(award, rsa),
                                        signing_key_id=rsa.id)
    if "ob3_jwt" not in existing:
        made["ob3_jwt"] = AwardDocument(award_id=award.id, kind="ob3_jwt", body=ob3.sign_vc_jwt(award, rsa),
                                        signing_key_id=rsa.id)
    if "ob3_json" not in existing:
        made["ob3_json"] = AwardDocument(award_id=award.id, kind="ob3_json",
                                         body=ob3.dumps(ob3.sign_data_integrity(award, ed)), signing_key_id=ed.id)
    signed = {**existing, **made}
    if any(kind not in existing for kind in BAKED):
        storage = get_storage()
        baked = bake_all(award, jws=signed["ob2_jws"].body, ob3_json=signed["ob3_json"].body)
        for kind in BAKED:
            if kind in existing:
                continue
            stored = storage.save(io.BytesIO(baked[kind]), key_prefix=f"badges/baked/{award.id}",
                                  max_bytes=MAX_BAKED_BYTES)
            made[kind] = AwardDocument(award_id=award.id, kind=kind, storage_key=stored.key)
    db.session.add_all(made.values())
    db.session.flush()
    return {**existing, **made}


def ensure_published(award: Award) -> dict[str, AwardDocument]:
    """The award's documents, making any that are missing (flushed)."""
    documents = _documents(award)
    if all(kind in documents for kind in SIGNED + BAKED):
        return documents
    return publish_award(award)


def document(award: Award, kind: str) -> AwardDocument:
    """One document of ``award``, made first if missing (flushed)."""
    documents = _documents(award)
    if kind not in documents:
        documents = publish_award(award)
    return documents[kind]


def read_baked(row: AwardDocument) -> bytes:
    with get_storage().open(row.storage_key) as handle:
        return handle.read()


def _on_award_issued(award: Award, actor=None, **_extra) -> None:
    publish_award(award)


award_issued.connect(_on_award_issued)

__all__ = ["BAKED", "BAKED_KINDS", "SIGNED", "bake_all", "document", "ensure_published", "publish_award", "read_baked"]
