"""The "Export everything" ZIP: a teacher's badges in every published form and her evidence files.

The archive is written into a spooled temporary file (in memory up to ``SPOOL_BYTES``,
then on disk) and every member is copied in chunks from storage, so memory does not grow
with the number or size of the files. The baked images and signed documents are the ones
publishing made (``AwardDocument``), read as they were issued; nothing is re-signed here.

Layout::

    index.html                          readable overview, relative links, no scripts
    manifest.json                       every file with its size and sha256, every award with its status
    badges/<slug>-<award id>/           per award: assertion.json (OB 2.0 hosted), assertion.jws,
                                        credential.json (OB 3.0 with proof), credential.jwt, and the baked
                                        ob2-hosted.png|svg, ob2-signed.png|svg, ob3.png|svg
    evidence/<credential>/attempt-<n>/  the files she uploaded, names sanitised

A revoked award is listed (with its reason) but its badge files are left out: the
public downloads of a revoked badge answer 410 too.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from app.accounts.models import User
from app.credentials.models import Award, AwardDocument, Credential
from app.credentials.openbadges import ob2, publishing
from app.credentials.openbadges.urls import assertion_url
from app.db import utcnow
from app.errors import PermissionDenied
from app.evidence.models import Artifact, Submission
from app.extensions import db
from app.portfolio.services import Status, award_status
from app.storage import get_storage

SPOOL_BYTES = 1024 * 1024
CHUNK = 64 * 1024

#: document kind -> (file name in the award's folder, compress?)
DOCUMENT_FILES = {
    "ob2_jws": ("assertion.jws", True),
    "ob3_json": ("credential.json", True),
    "ob3_jwt": ("credential.jwt", True),
    "ob2_hosted_png": ("ob2-hosted.png", False),
    "ob2_hosted_svg": ("ob2-hosted.svg", True),
    "ob2_signed_png": ("ob2-signed.png", False),
    "ob2_signed_svg": ("ob2-signed.svg", True),
    "ob3_png": ("ob3.png", False),
    "ob3_svg": ("ob3.svg", True),
}


@dataclass
class ExportFile:
    path: str
    size: int
    sha256: str
    kind: str


class _Archive:
    """A ZIP being written, counting size and sha256 of every member as it goes."""

    def __init__(self, target: BinaryIO):
        self.zip = zipfile.ZipFile(target, "w", allowZip64=True)
        self.files: list[ExportFile] = []

    def write_bytes(self, path: str, data: bytes, kind: str, *, compress: bool = True) -> ExportFile:
        info = zipfile.ZipInfo(path, date_time=utcnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.zip.writestr(info, data)
        row = ExportFile(path, len(data), hashlib.sha256(data).hexdigest(), kind)
        self.files.append(row)
        return row

    def write_stream(self, path: str, source: BinaryIO, kind: str, *, compress: bool = False) -> ExportFile:
        info = zipfile.ZipInfo(path, date_time=utcnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=True) as member:
            while chunk := source.read(CHUNK):
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        row = ExportFile(path, size, digest.hexdigest(), kind)
        self.files.append(row)
        return row

    def close(self) -> None:
        self.zip.close()


def _award_folder(award: Award) -> str:
    return f"badges/{secure_filename(award.credential.slug) or 'badge'}-{award.id}"


def _evidence_name(artifact: Artifact, taken: set[str]) -> str:
    base = secure_filename(artifact.original_name or "") or f"file-{artifact.id}"
    name, n = base, 1
    while name in taken:
        stem, dot, ext = base.rpartition(".")
        name = f"{stem}-{n}.{ext}" if dot and stem else f"{base}-{n}"
        n += 1
    taken.add(name)
    return name


def _documents(awards: list[Award]) -> dict[int, dict[str, AwardDocument]]:
    ids = [a.id for a in awards]
    found: dict[int, dict[str, AwardDocument]] = {a.id: {} for a in awards}
    if ids:
        for row in db.session.scalars(select(AwardDocument).where(AwardDocument.award_id.in_(ids))):
            found[row.award_id][row.kind] = row
    for award in awards:  # an award issued before publishing existed gets its documents now
        if not award.revoked and len(found[award.id]) < len(publishing.SIGNED) + len(publishing.BAKED):
            found[award.id] = publishing.ensure_published(award)
    return found


def write_export(*, teacher: User, target: BinaryIO) -> list[ExportFile]:
    """Write her whole portfolio as a ZIP into ``target`` (flushes any document publishing had
    not made yet). Returns the files written. Raises PermissionDenied for an inactive user."""
    if not (isinstance(teacher, User) and teacher.active):
        raise PermissionDenied()
    now = utcnow()
    storage = get_storage()
    awards = list(db.session.scalars(
        select(Award).where(Award.recipient_id == teacher.id)
        .options(selectinload(Award.credential).selectinload(Credential.issuer))
        .order_by(Award.issued_at.desc(), Award.id.desc())))
    documents = _documents(awards)
    archive = _Archive(target)
    badge_rows = []
    for award in awards:
        status = award_status(award, now)
        folder = _award_folder(award)
        files: dict[str, str] = {}
        if status != Status.REVOKED:
            hosted = json.dumps(ob2.assertion(award), indent=2, ensure_ascii=False).encode()
            files["ob2_json"] = archive.write_bytes(f"{folder}/assertion.json", hosted, "ob2_json").path
            for kind, (name, compress) in DOCUMENT_FILES.items():
                row = documents[award.id][kind]
                if row.body is not None:
                    written = archive.write_bytes(f"{folder}/{name}", row.body.encode(), kind, compress=compress)
                else:
                    with storage.open(row.storage_key) as handle:
                        written = archive.write_stream(f"{folder}/{name}", handle, kind, compress=compress)
                files[kind] = written.path
        badge_rows.append({
            "award": award, "status": status, "folder": folder, "files": files,
            "assertion_url": assertion_url(award.uuid),
        })

    evidence_rows = []
    query = (
        select(Artifact, Submission.attempt, Credential.slug, Credential.name)
        .join(Submission, Submission.id == Artifact.submission_id)
        .join(Credential, Credential.id == Submission.credential_id)
        .where(Submission.teacher_id == teacher.id, Artifact.storage_key.is_not(None))
        .order_by(Credential.slug, Submission.attempt, Artifact.position, Artifact.id)
    )
    taken: dict[str, set[str]] = {}
    for artifact, attempt, slug, credential_name in db.session.execute(query):
        folder = f"evidence/{secure_filename(slug) or 'credential'}/attempt-{attempt}"
        name = _evidence_name(artifact, taken.setdefault(folder, set()))
        try:
            with storage.open(artifact.storage_key) as handle:
                written = archive.write_stream(f"{folder}/{name}", handle, "evidence")
        except FileNotFoundError:
            evidence_rows.append({"credential": credential_name, "attempt": attempt, "name": artifact.original_name,
                                  "path": None, "missing": True})
            continue
        evidence_rows.append({"credential": credential_name, "attempt": attempt, "name": artifact.original_name,
                              "path": written.path, "missing": False, "size": written.size})

    index = render_template("portfolio/export_index.html", teacher=teacher, badges=badge_rows,
                            evidence=evidence_rows, generated_at=now)
    archive.write_bytes("index.html", index.encode(), "index")
    manifest = _manifest(teacher, now, badge_rows, evidence_rows, archive.files)
    archive.write_bytes("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode(), "manifest")
    archive.close()
    return archive.files


def _manifest(teacher: User, now: datetime, badges: list[dict], evidence: list[dict],
              files: list[ExportFile]) -> dict:
    return {
        "format": "mastery-credentials-portfolio-export",
        "version": 1,
        "generated_at": now.isoformat(),
        "earner": {"name": teacher.name, "email": teacher.email},
        "awards": [{
            "id": row["award"].id, "uuid": row["award"].uuid, "credential": row["award"].credential.name,
            "issuer": row["award"].credential.issuer.name, "status": row["status"],
            "issued_at": row["award"].issued_at.isoformat(),
            "expires_at": row["award"].expires_at.isoformat() if row["award"].expires_at else None,
            "revocation_reason": row["award"].revocation_reason, "assertion_url": row["assertion_url"],
            "files": row["files"],
        } for row in badges],
        "evidence": [{k: v for k, v in row.items()} for row in evidence],
        "files": [{"path": f.path, "kind": f.kind, "size": f.size, "sha256": f.sha256} for f in files],
    }


def build_export(*, teacher: User) -> BinaryIO:
    """Her export as a spooled temporary file positioned at the start (the caller closes it)."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        write_export(teacher=teacher, target=spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def export_filename(teacher: User) -> str:
    return f"portfolio-{utcnow():%Y-%m-%d}.zip"
