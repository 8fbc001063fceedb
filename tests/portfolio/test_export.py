"""The "Export everything" ZIP: every JSON parses, every baked OB 2.0 image unbakes with
openbadges-bakery and verifies with the reference validator (in .venv-ob2, against a live
server), OB 3.0 images carry a credential whose proof verifies, evidence files have her bytes,
and a big export does not build in memory."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

from app.credentials.models import KeyAlgorithm
from app.credentials.openbadges import baking, keys, ob3
from app.credentials.openbadges.services import revoke_award
from app.extensions import db
from app.portfolio import export
from tests import factories
from tests.browser.conftest import live_server  # noqa: F401  (fixture)
from tests.ob2_validator.test_reference_validator import _clean, validate
from tests.portfolio.conftest import evidence_file, issue

OB2_BAKED = ["ob2-hosted.png", "ob2-hosted.svg", "ob2-signed.png", "ob2-signed.svg"]


def _zip(client, path="/portfolio/export") -> zipfile.ZipFile:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_export_holds_every_form_of_every_badge_and_her_evidence(app, org, teacher, admin, award):
    other = issue(teacher, factories.micro_credential(org, name="Revoked Badge"))
    revoke_award(admin=admin, award=other, reason="Evidence was copied.")
    first, first_bytes = evidence_file(award, "../Lesson plan (v2).pdf")
    second, second_bytes = evidence_file(award, "../Lesson plan (v2).pdf")  # same name: both kept
    photo, photo_bytes = evidence_file(award, "", b"\x89PNG not really", content_type="image/png")
    db.session.commit()

    archive = _zip(app.test_client(user=teacher))
    names = set(archive.namelist())
    folder = f"badges/{award.credential.slug}-{award.id}"
    for name in ["assertion.json", "assertion.jws", "credential.json", "credential.jwt", *OB2_BAKED, "ob3.png",
                 "ob3.svg"]:
        assert f"{folder}/{name}" in names, name
    assert not any(n.startswith(f"badges/{other.credential.slug}-{other.id}/") for n in names)
    assert all(".." not in n and not n.startswith("/") for n in names)

    for name in names:
        if name.endswith(".json"):
            json.loads(archive.read(name))
    hosted = json.loads(archive.read(f"{folder}/assertion.json"))
    assert hosted["id"].endswith(f"/ob/assertions/{award.uuid}") and hosted["type"] == "Assertion"
    assert archive.read(f"{folder}/assertion.jws").count(b".") == 2
    assert archive.read(f"{folder}/credential.jwt").count(b".") == 2

    evidence = f"evidence/{award.credential.slug}/attempt-1"
    assert archive.read(f"{evidence}/Lesson_plan_v2.pdf") == first_bytes
    assert archive.read(f"{evidence}/Lesson_plan_v2-1.pdf") == second_bytes
    assert archive.read(f"{evidence}/file-{photo.id}") == photo_bytes

    manifest = json.loads(archive.read("manifest.json"))
    by_uuid = {a["uuid"]: a for a in manifest["awards"]}
    assert by_uuid[other.uuid]["status"] == "revoked" and by_uuid[other.uuid]["files"] == {}
    assert by_uuid[other.uuid]["revocation_reason"] == "Evidence was copied."
    assert by_uuid[award.uuid]["status"] == "valid"
    import hashlib

    for row in manifest["files"]:
        assert hashlib.sha256(archive.read(row["path"])).hexdigest() == row["sha256"], row["path"]
    assert {r["path"] for r in manifest["files"]} | {"manifest.json"} == names

    index = archive.read("index.html").decode()
    assert "<script" not in index.lower()
    assert f'href="{folder}/ob2-hosted.png"' in index and f'href="{evidence}/Lesson_plan_v2.pdf"' in index
    assert "Revoked Badge" in index and "Evidence was copied." in index
    assert 'href="/' not in index  # relative links only


def test_baked_images_unbake_and_verify_with_the_reference_validator(app, org, teacher, live_server, tmp_path):  # noqa: F811
    app.config["BASE_URL"] = live_server
    award = issue(teacher, factories.micro_credential(org, name="Station Rotation"))
    archive = _zip(app.test_client(user=teacher), "/portfolio/export")
    folder = f"badges/{award.credential.slug}-{award.id}"
    hosted_json = json.loads(archive.read(f"{folder}/assertion.json"))
    jws = archive.read(f"{folder}/assertion.jws").decode()
    cases = []
    for name in OB2_BAKED:
        path = tmp_path / name
        path.write_bytes(archive.read(f"{folder}/{name}"))
        cases.append({"name": f"unbake:{name}", "kind": "unbake", "value": str(path)})
        cases.append({"name": f"verify:{name}", "kind": "file", "value": str(path), "recipient": teacher.email})
    cases.append({"name": "verify:assertion.jws", "kind": "jws", "value": jws, "recipient": teacher.email})
    results = validate(cases)
    for name in OB2_BAKED:
        payload = results[f"unbake:{name}"]["payload"]
        assert payload, name
        if "signed" in name:
            assert payload == jws, name
        else:
            baked = payload if payload.startswith("{") else None
            assert (json.loads(baked)["id"] if baked else payload) == hosted_json["id"], name
        assert _clean(results[f"verify:{name}"]), (name, results[f"verify:{name}"]["messages"])
    assert _clean(results["verify:assertion.jws"])

    credential = json.loads(archive.read(f"{folder}/credential.json"))
    public = keys.public_key(keys.active_key(org, KeyAlgorithm.ED25519))
    assert ob3.verify_data_integrity_proof(credential, public)
    from_png = json.loads(baking.unbake_png(archive.read(f"{folder}/ob3.png"), keyword=baking.OB3_KEYWORD))
    from_svg = json.loads(baking.unbake_svg(archive.read(f"{folder}/ob3.svg"))["text"])
    assert from_png == credential == from_svg
    assert ob3.verify_data_integrity_proof(from_png, public)


def test_a_big_export_does_not_build_in_memory(app, teacher, award):
    files = 24
    size = 512 * 1024
    for n in range(files):
        evidence_file(award, f"clip-{n}.mp4", bytes([n]) * size, content_type="video/mp4")
    db.session.commit()
    export.write_export(teacher=teacher, target=io.BytesIO())  # warm caches, templates, keys

    tracemalloc.start()
    try:
        spool = export.build_export(teacher=teacher)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with spool:
        spool.seek(0, io.SEEK_END)
        total = spool.tell()
        assert spool._rolled, "a big archive goes to a temporary file on disk"
    assert total > files * size
    # The archive is ~12 MB; what was held at once stays near the spool threshold plus a chunk.
    assert peak < export.SPOOL_BYTES + 4 * 1024 * 1024, (peak, total)


def test_an_empty_portfolio_exports_an_index_and_a_manifest(app, other_teacher):
    archive = _zip(app.test_client(user=other_teacher))
    assert set(archive.namelist()) == {"index.html", "manifest.json"}
    assert json.loads(archive.read("manifest.json"))["awards"] == []
