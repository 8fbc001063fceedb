"""Evidence rules: attempts, their artifacts, submitting, withdrawing and resubmitting.

Every function takes the acting teacher as an argument, flushes and never
commits; the caller (an HTML view, the JSON API, a CLI command) commits once.
Mutations are allowed to the attempt's owner only (``PermissionDenied``
otherwise) and only while the attempt is a draft (``Conflict`` otherwise): a
submitted attempt is immutable.

Files and the database stay consistent (nothing lost, nothing left behind):

* an object stored during a transaction that does not commit (the flush fails,
  the request errors, the view never commits) is deleted again when that
  transaction ends;
* an object whose last artifact row is removed is deleted only after the
  removal commits, so a rolled-back removal never leaves a row pointing at a
  missing object. Carried-forward artifacts share storage keys, so an object
  is deleted only when no row refers to it any more.

``flask storage check`` (``app/evidence/cli.py``) finds anything that slipped
through anyway (a storage outage during a clean-up, say).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.audit import record_event
from app.credentials.models import Credential, Requirement, RequirementKind
from app.db import utcnow
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.evidence.models import ACTIVE_STATUSES, Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.evidence.signals import submission_submitted, submission_withdrawn
from app.extensions import db
from app.storage import Readable, Storage, get_storage
from app.uploads import discard_upload, store_upload

log = logging.getLogger(__name__)

#: Longest written response per part, in characters.
MAX_TEXT_CHARS = 20_000
#: Longest "what changed since your last attempt" note.
MAX_CHANGE_NOTE_CHARS = 5_000
#: Links per part, whatever the requirement's ``max_files`` says.
MAX_LINKS_PER_PART = 10
#: Rows in one classroom-impact table.
MAX_DATA_ROWS = 20
MAX_URL_CHARS = 2_000
MAX_LINK_TITLE_CHARS = 300
MAX_MEASURE_CHARS = 200
MAX_UNIT_CHARS = 60
MAX_STUDENTS = 100_000
#: Largest magnitude accepted for a before/after value.
MAX_MEASURE_VALUE = 1e9
#: Statuses that count against ``DecisionPolicy.max_attempts``: attempts that went
#: to review. Drafts and withdrawn attempts were never reviewed and do not count.
COUNTED_STATUSES = (
    SubmissionStatus.SUBMITTED,
    SubmissionStatus.IN_REVIEW,
    SubmissionStatus.PASSED,
    SubmissionStatus.NOT_YET,
)
#: The columns of a data-table row, as the services take them.
DATA_COLUMNS = (
    "measure", "unit", "before", "after", "higher_is_better", "students", "period_start", "period_end",
)
#: Attempts shown on the history page.
HISTORY_LIMIT = 50

CHANGE_NOTE_PROMPT = "What changed since your last attempt?"
IMMUTABLE_MESSAGE = "A submitted attempt cannot be changed."


class ResubmitRequired(Conflict):
    """Her latest attempt came back "not yet": the way on is ``resubmit``, not a fresh start."""

    def __init__(self, previous: Submission):
        self.previous = previous
        super().__init__(
            f"Your attempt {previous.attempt} came back “not yet”. Read its feedback, then choose "
            f"“Revise and resubmit” to start attempt {previous.attempt + 1}."
        )


# --- keeping files and rows in step -----------------------------------------------------

_NEW_KEYS = "evidence.stored_in_transaction"
_DOOMED_KEYS = "evidence.delete_after_commit"


def _remember_new_upload(storage: Storage, keys: Iterable[str | None]) -> None:
    """Delete these objects again unless the current transaction commits."""
    db.session.info.setdefault(_NEW_KEYS, []).extend((storage, key) for key in keys if key)


def _delete_after_commit(storage: Storage, keys: Iterable[str]) -> None:
    """Delete these objects once (and only if) the current transaction commits."""
    db.session.info.setdefault(_DOOMED_KEYS, []).extend((storage, key) for key in keys)


def _delete_quietly(pairs: list[tuple[Storage, str]], why: str) -> None:
    for storage, key in pairs:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - the transaction is over; `flask storage check` finds leftovers
            log.warning("Could not delete %s from %s storage (%s)", key, storage.name, why, exc_info=True)


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released; the real commit is still to come
    session.info.pop(_NEW_KEYS, None)  # committed: their rows exist now
    doomed = session.info.pop(_DOOMED_KEYS, None)
    if doomed:
        _delete_quietly(doomed, "its last artifact was removed")


@event.listens_for(Session, "after_transaction_end")
def _files_after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    # Whatever is still listed here did not commit (rollback, error, or close).
    session.info.pop(_DOOMED_KEYS, None)
    stored = session.info.pop(_NEW_KEYS, None)
    if stored:
        _delete_quietly(stored, "its transaction did not commit")


# --- loading --------------------------------------------------------------------------------


def get_credential_by_slug(slug: str) -> Credential:
    """The newest version of ``slug``, published or not (for a teacher's own history).
    Raises NotFound."""
    credential = db.session.scalar(
        select(Credential).where(Credential.slug == slug).order_by(Credential.version.desc()).limit(1)
    )
    if credential is None:
        raise NotFound("No credential has that address.")
    return credential


def _artifacts_of(submission: Submission) -> list[Artifact]:
    return list(
        db.session.scalars(
            select(Artifact)
            .where(Artifact.submission_id == submission.id)
            .options(selectinload(Artifact.measures))
            .order_by(Artifact.requirement_id, Artifact.position, Artifact.id)
        )
    )


def _by_requirement(artifacts: Iterable[Artifact]) -> dict[int, list[Artifact]]:
    grouped: dict[int, list[Artifact]] = {}
    for artifact in artifacts:
        grouped.setdefault(artifact.requirement_id, []).append(artifact)
    return grouped


def _requirements_of(credential_id: int) -> list[Requirement]:
    return list(
        db.session.scalars(
            select(Requirement).where(Requirement.credential_id == credential_id).order_by(Requirement.position, Requirement.id)
        )
    )


@dataclass
class EditorPage:
    """Everything the attempt page shows, loaded in a bounded number of queries."""

    submission: Submission
    credential: Credential
    requirements: list[Requirement]
    artifacts: dict[int, list[Artifact]]
    missing: dict[int, str]
    attempts_counted: int
    max_attempts: int | None
    previous: Submission | None = None

    def artifacts_for(self, requirement: Requirement) -> list[Artifact]:
        return self.artifacts.get(requirement.id, [])

    def text_for(self, requirement: Requirement) -> str:
        return next((a.text_md or "" for a in self.artifacts_for(requirement) if a.kind is RequirementKind.TEXT), "")

    def measures_for(self, requirement: Requirement) -> list[ImpactMeasure]:
        table = next((a for a in self.artifacts_for(requirement) if a.kind is RequirementKind.DATA), None)
        return list(table.measures) if table else []

    @property
    def required_count(self) -> int:
        return sum(1 for r in self.requirements if r.required)

    @property
    def required_done(self) -> int:
        return self.required_count - len(self.missing)

    @property
    def can_resubmit(self) -> bool:
        return self.submission.status is SubmissionStatus.NOT_YET and (
            self.max_attempts is None or self.attempts_counted < self.max_attempts
        )

    @property
    def attempts_exhausted(self) -> bool:
        return self.submission.status is SubmissionStatus.NOT_YET and not self.can_resubmit


def load_editor_page(submission: Submission) -> EditorPage:
    """The attempt with its credential, requirements, artifacts (with data rows),
    the parts still missing and the attempt count, in a fixed number of queries."""
    credential = db.session.scalar(
        select(Credential).where(Credential.id == submission.credential_id).options(selectinload(Credential.policy))
    )
    assert credential is not None  # a foreign key
    requirements = _requirements_of(credential.id)
    artifacts = _by_requirement(_artifacts_of(submission))
    previous = db.session.get(Submission, submission.previous_id) if submission.previous_id else None
    return EditorPage(
        submission=submission,
        credential=credential,
        requirements=requirements,
        artifacts=artifacts,
        missing=_missing(requirements, artifacts),
        attempts_counted=_counted_attempts(submission.teacher_id, submission.credential_id),
        max_attempts=credential.policy.max_attempts if credential.policy else None,
        previous=previous,
    )


# --- checks shared by the mutations ---------------------------------------------------------


def _check_owner(teacher: User, submission: Submission) -> None:
    if submission.teacher_id != teacher.id:
        raise PermissionDenied("Only the teacher whose attempt this is can change it.")


def _lock_draft(teacher: User, submission: Submission) -> Submission:
    """Check ownership, lock the attempt's row (PostgreSQL) and re-read its status,
    so a save racing a submit from another tab cannot change a submitted attempt."""
    _check_owner(teacher, submission)
    _refresh_status(submission)
    if submission.status is not SubmissionStatus.DRAFT:
        raise Conflict(_not_draft_message(submission))
    return submission


def _refresh_status(submission: Submission) -> None:
    """Lock the attempt's row until commit (PostgreSQL; SQLite serialises writers)
    and take its status from the database, not from a possibly stale object."""
    if submission.id is None:
        return
    current = db.session.scalar(select(Submission.status).where(Submission.id == submission.id).with_for_update())
    if current is not None and current is not submission.status:
        db.session.expire(submission)


def _not_draft_message(submission: Submission) -> str:
    status = submission.status
    if status is SubmissionStatus.WITHDRAWN:
        return "This attempt was withdrawn and cannot be changed. Start a new draft from your attempts page."
    if status is SubmissionStatus.NOT_YET:
        return f"{IMMUTABLE_MESSAGE} Choose “Revise and resubmit” to start a new attempt."
    return IMMUTABLE_MESSAGE


def _check_requirement(submission: Submission, requirement: Requirement, kind: RequirementKind) -> None:
    if requirement.credential_id != submission.credential_id:
        raise ValidationError("requirement_id", "That part does not belong to this credential.")
    if requirement.kind is not kind:
        raise ValidationError(
            "requirement_id", f"“{requirement.title}” takes {_KIND_NOUN[requirement.kind]}, not {_KIND_NOUN[kind]}."
        )


_KIND_NOUN = {
    RequirementKind.TEXT: "a written response",
    RequirementKind.FILE: "files",
    RequirementKind.LINK: "links",
    RequirementKind.DATA: "a data table",
}


def _part_artifacts(submission: Submission, requirement: Requirement, kind: RequirementKind) -> list[Artifact]:
    return list(
        db.session.scalars(
            select(Artifact)
            .where(
                Artifact.submission_id == submission.id,
                Artifact.requirement_id == requirement.id,
                Artifact.kind == kind,
            )
            .order_by(Artifact.position, Artifact.id)
        )
    )


def _next_position(existing: Sequence[Artifact]) -> int:
    return max((a.position for a in existing), default=-1) + 1


def _touch(submission: Submission) -> None:
    submission.updated_at = utcnow()


# --- starting -------------------------------------------------------------------------------


def _active_attempt(teacher: User, credential: Credential) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(
            Submission.teacher_id == teacher.id,
            Submission.credential_id == credential.id,
            Submission.status.in_(ACTIVE_STATUSES),
        )
    )


def _latest_attempt(teacher_id: int, credential_id: int) -> Submission | None:
    return db.session.scalar(
        select(Submission)
        .where(Submission.teacher_id == teacher_id, Submission.credential_id == credential_id)
        .order_by(Submission.attempt.desc())
        .limit(1)
    )


def _counted_attempts(teacher_id: int, credential_id: int) -> int:
    return db.session.scalar(
        select(func.count(Submission.id)).where(
            Submission.teacher_id == teacher_id,
            Submission.credential_id == credential_id,
            Submission.status.in_(COUNTED_STATUSES),
        )
    ) or 0


def _enroll(teacher: User, credential: Credential) -> None:
    """Starting evidence enrolls her in the credential's module (learning owns the rule)."""
    if importlib.util.find_spec("app.learning.services") is None:  # pragma: no cover - until learning lands
        return
    from app.learning.services import enroll

    enroll(teacher=teacher, credential=credential)


def _copy_artifact(artifact: Artifact, into: Submission) -> Artifact:
    """A new row for ``into`` with the same content; files keep their storage keys (no re-upload)."""
    copy = Artifact(
        requirement_id=artifact.requirement_id,
        kind=artifact.kind,
        position=artifact.position,
        text_md=artifact.text_md,
        url=artifact.url,
        title=artifact.title,
        storage_backend=artifact.storage_backend,
        storage_key=artifact.storage_key,
        original_name=artifact.original_name,
        content_type=artifact.content_type,
        size=artifact.size,
        sha256=artifact.sha256,
        thumbnail_key=artifact.thumbnail_key,
        carried_from_id=artifact.id,
    )
    copy.measures = [
        ImpactMeasure(
            position=m.position, measure=m.measure, unit=m.unit, before=m.before, after=m.after,
            higher_is_better=m.higher_is_better, students=m.students,
            period_start=m.period_start, period_end=m.period_end,
        )
        for m in artifact.measures
    ]
    into.artifacts.append(copy)
    return copy


def _new_attempt(
    teacher: User, credential: Credential, *, previous: Submission | None, carry: Sequence[Artifact] = (),
    change_note: str = "",
) -> Submission:
    """Create the next attempt as a draft; if another request just created one, return that."""
    latest = _latest_attempt(teacher.id, credential.id)
    submission = Submission(
        teacher=teacher, credential=credential, attempt=(latest.attempt + 1) if latest else 1,
        status=SubmissionStatus.DRAFT, previous=previous, change_note=change_note,
    )
    try:
        with db.session.begin_nested():
            db.session.add(submission)
            for artifact in carry:
                _copy_artifact(artifact, submission)
    except IntegrityError:
        # A double click or a second tab started the same attempt a moment ago.
        active = _active_attempt(teacher, credential)
        if active is None:
            raise
        return active
    return submission


def start_attempt(*, teacher: User, credential: Credential) -> Submission:
    """Her active attempt (draft, submitted or in review) at ``credential``, or a new draft.

    A new draft is attempt 1, or, after she withdrew her latest attempt, the
    next number with the withdrawn attempt's evidence carried forward (by
    reference: no file is copied) so she can go on editing. Starting also
    enrolls her in the credential (``learning.services.enroll``, idempotent).

    Raises NotFound for an unpublished credential, ValidationError for a stack
    (earned through its microcredentials), ``ResubmitRequired`` (a Conflict)
    when her latest attempt came back "not yet" (use ``resubmit``), and
    Conflict when she already passed.
    """
    if not credential.published:
        raise NotFound("No published credential has that address.")
    if credential.is_stack:
        raise ValidationError(
            "credential_id", "A stack is earned through its microcredentials: start one of those instead."
        )
    active = _active_attempt(teacher, credential)
    if active is not None:
        _enroll(teacher, credential)
        return active
    latest = _latest_attempt(teacher.id, credential.id)
    if latest is not None and latest.status is SubmissionStatus.NOT_YET:
        raise ResubmitRequired(latest)
    if latest is not None and latest.status is SubmissionStatus.PASSED:
        raise Conflict(f"You already earned {credential.name} with attempt {latest.attempt}.")
    _enroll(teacher, credential)
    if latest is not None:  # withdrawn: pick up where she left off
        carry = _artifacts_of(latest)
        return _new_attempt(
            teacher, credential, previous=latest.previous, carry=carry, change_note=latest.change_note or ""
        )
    return _new_attempt(teacher, credential, previous=None)


# --- saving parts -----------------------------------------------------------------------------


def save_text(*, teacher: User, submission: Submission, requirement: Requirement, text: str) -> Artifact:
    """Set the written response for a text part (one per part; saving again replaces it).

    The text is Markdown, stored as written and sanitized when shown. Blank
    text is saved too (the part then counts as missing). Raises
    ValidationError("text") over ``MAX_TEXT_CHARS``, plus the common
    PermissionDenied / Conflict / ValidationError("requirement_id").
    """
    _lock_draft(teacher, submission)
    _check_requirement(submission, requirement, RequirementKind.TEXT)
    text = (text or "").replace("\r\n", "\n")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            "text",
            f"This response is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}. "
            "Shorten it, or put the longer version in a file.",
        )
    existing = _part_artifacts(submission, requirement, RequirementKind.TEXT)
    if existing:
        artifact = existing[0]
        for duplicate in existing[1:]:  # two tabs saving the first text at once
            db.session.delete(duplicate)
    else:
        artifact = Artifact(submission=submission, requirement_id=requirement.id, kind=RequirementKind.TEXT)
        db.session.add(artifact)
    artifact.text_md = text
    _touch(submission)
    db.session.flush()
    return artifact


def _link_limit(requirement: Requirement) -> int:
    return max(1, min(requirement.max_files or 1, MAX_LINKS_PER_PART))


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError("url", "Enter the link's address, starting with https://.")
    if len(url) > MAX_URL_CHARS:
        raise ValidationError("url", f"This address is longer than {MAX_URL_CHARS:,} characters. Use a shorter link.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValidationError("url", "A web address cannot contain spaces. Copy it again from the browser's address bar.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationError("url", "This does not look like a web address. Copy it from the browser's address bar.") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValidationError("url", "Links must start with https:// or http://.")
    if not parts.hostname or "." not in parts.hostname.strip(".") and parts.hostname != "localhost":
        raise ValidationError("url", "This address has no site name. Copy the whole address, including the site.")
    if parts.username or parts.password:
        raise ValidationError("url", "Remove the user name or password from the address before sharing it.")
    return url


def save_link(*, teacher: User, submission: Submission, requirement: Requirement, url: str, title: str = "") -> Artifact:
    """Add a link (http or https only) to a link part, or retitle it if the same address is there already.

    At most ``requirement.max_files`` links per part (and never more than
    ``MAX_LINKS_PER_PART``). Raises ValidationError("url") for anything but a
    plain web address (no other schemes, spaces or embedded passwords),
    ValidationError("title") for an over-long title, ValidationError("url") when
    the part is full, plus the common PermissionDenied / Conflict.
    """
    _lock_draft(teacher, submission)
    _check_requirement(submission, requirement, RequirementKind.LINK)
    url = _clean_url(url)
    title = (title or "").strip()
    if len(title) > MAX_LINK_TITLE_CHARS:
        raise ValidationError("title", f"Keep the title under {MAX_LINK_TITLE_CHARS} characters.")
    existing = _part_artifacts(submission, requirement, RequirementKind.LINK)
    same = next((a for a in existing if a.url == url), None)
    if same is not None:
        same.title = title or same.title
        _touch(submission)
        db.session.flush()
        return same
    limit = _link_limit(requirement)
    if len(existing) >= limit:
        raise ValidationError(
            "url", f"This part takes {'one link' if limit == 1 else f'up to {limit} links'}. Remove one to add another."
        )
    artifact = Artifact(
        submission=submission, requirement_id=requirement.id, kind=RequirementKind.LINK,
        position=_next_position(existing), url=url, title=title or None,
    )
    db.session.add(artifact)
    _touch(submission)
    db.session.flush()
    return artifact


@dataclass
class _RowErrors:
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, index: int, column: str, message: str) -> None:
        self.fields.setdefault(f"rows.{index}.{column}", []).append(f"Row {index + 1}: {message}")


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_COLUMN_LABELS = {"before": "Before", "after": "After"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: Any) -> float | None:
    """A finite float from a number or text like ``12``, ``12.5``, ``-3``, ``1,250``, ``45%``; None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().removesuffix("%").strip()
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _parse_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "higher"}:
        return True
    if text in {"0", "false", "no", "off", "lower"}:
        return False
    return None


def _parse_date(value: Any) -> date | None | str:
    """A date, None when blank, or the string ``"invalid"``."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        return "invalid"
    return parsed if 1990 <= parsed.year <= 2100 else "invalid"


def _parse_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate and convert data-table rows; fully blank rows are skipped. Raises ValidationError."""
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)):
        raise ValidationError("rows", "The table must be a list of rows.")
    errors = _RowErrors()
    clean: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors.add(index, "measure", "this row could not be read.")
            continue
        unknown = set(row) - set(DATA_COLUMNS)
        if unknown:
            errors.add(index, "measure", f"unknown column {sorted(unknown)[0]!r}.")
            continue
        if all(_blank(row.get(c)) for c in DATA_COLUMNS if c != "higher_is_better"):
            continue
        measure = str(row.get("measure") or "").strip()
        unit = str(row.get("unit") or "").strip()
        if not measure:
            errors.add(index, "measure", "say what you measured (for example “Exit ticket score”).")
        elif len(measure) > MAX_MEASURE_CHARS:
            errors.add(index, "measure", f"keep the measure under {MAX_MEASURE_CHARS} characters.")
        if len(unit) > MAX_UNIT_CHARS:
            errors.add(index, "unit", f"keep the unit under {MAX_UNIT_CHARS} characters.")
        values: dict[str, float] = {}
        for column in ("before", "after"):
            raw = row.get(column)
            label = _COLUMN_LABELS[column]
            if _blank(raw):
                errors.add(index, column, f"enter the “{label}” value.")
                continue
            number = parse_number(raw)
            if number is None:
                errors.add(index, column, f"“{label}” must be a number, such as 12 or 12.5.")
            elif abs(number) > MAX_MEASURE_VALUE:
                errors.add(index, column, f"“{label}” is too large.")
            else:
                values[column] = number
        higher = _parse_bool(row.get("higher_is_better"))
        if higher is None:
            errors.add(index, "higher_is_better", "choose whether higher or lower is better.")
        students: int | None = None
        raw_students = row.get("students")
        if not _blank(raw_students):
            number = parse_number(raw_students)
            if number is None or number != int(number) or not 0 <= number <= MAX_STUDENTS:
                errors.add(index, "students", "the number of students must be a whole number, 0 or more.")
            else:
                students = int(number)
        start = _parse_date(row.get("period_start"))
        end = _parse_date(row.get("period_end"))
        if start == "invalid":
            errors.add(index, "period_start", "the start date is not a valid date.")
        if end == "invalid":
            errors.add(index, "period_end", "the end date is not a valid date.")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            errors.add(index, "period_end", "the end date is before the start date.")
        clean.append(
            {
                "measure": measure, "unit": unit, "before": values.get("before"), "after": values.get("after"),
                "higher_is_better": higher, "students": students,
                "period_start": start if isinstance(start, date) else None,
                "period_end": end if isinstance(end, date) else None,
            }
        )
    if len(clean) > MAX_DATA_ROWS:
        errors.fields.setdefault("rows", []).append(f"A table can have up to {MAX_DATA_ROWS} rows.")
    if errors.fields:
        first_messages = next(iter(errors.fields.values()))
        raise ValidationError(None, first_messages[0], fields=errors.fields)
    return clean


def save_data_table(
    *, teacher: User, submission: Submission, requirement: Requirement, rows: Sequence[Mapping[str, Any]]
) -> Artifact:
    """Replace the classroom-impact table of a data part with ``rows``.

    Each row is a mapping with ``measure`` (required), ``unit``, ``before`` and
    ``after`` (required numbers), ``higher_is_better`` (default True),
    ``students`` (whole number >= 0), ``period_start`` and ``period_end`` (ISO
    dates, start not after end). Values may be strings, as a form sends them.
    Fully blank rows are skipped. On any invalid row nothing is saved:
    ValidationError carries every problem under ``rows.<index>.<column>``
    (index into ``rows``, as given), each message naming its row.
    """
    _lock_draft(teacher, submission)
    _check_requirement(submission, requirement, RequirementKind.DATA)
    clean = _parse_rows(rows)
    existing = _part_artifacts(submission, requirement, RequirementKind.DATA)
    if existing:
        artifact = existing[0]
        for duplicate in existing[1:]:
            db.session.delete(duplicate)
    else:
        artifact = Artifact(submission=submission, requirement_id=requirement.id, kind=RequirementKind.DATA)
        db.session.add(artifact)
    artifact.measures = [ImpactMeasure(position=i, **row) for i, row in enumerate(clean)]
    _touch(submission)
    db.session.flush()
    return artifact


def add_file(
    *, teacher: User, submission: Submission, requirement: Requirement, filename: str | None, stream: Readable | BinaryIO
) -> Artifact:
    """Check and store an uploaded file for a file part and record it as an artifact.

    Uses the requirement's accepted kinds and ``MAX_UPLOAD_BYTES``; images are
    stored without metadata and get a thumbnail. Refuses more than
    ``requirement.max_files`` files. Raises ValidationError("file", ...) for a
    refused file, ``StorageUnavailable`` (503) when storage fails: in both cases
    nothing is stored and the draft's other artifacts are untouched. The stored
    objects are deleted again if this transaction does not commit.
    """
    # Check first without a lock: the upload may take a while, and autosaves of
    # the same draft must not wait for it. The checks are repeated under the lock.
    _check_owner(teacher, submission)
    if submission.status is not SubmissionStatus.DRAFT:
        raise Conflict(_not_draft_message(submission))
    _check_requirement(submission, requirement, RequirementKind.FILE)
    limit = max(1, requirement.max_files or 1)
    _check_file_room(submission, requirement, limit)
    storage = get_storage()
    upload = store_upload(
        storage, filename, stream,
        accepted_kinds=requirement.accepted_types or None,
        max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
        key_prefix=f"evidence/{submission.id}",
    )
    _remember_new_upload(storage, (upload.key, upload.thumbnail_key))
    try:
        _lock_draft(teacher, submission)
        existing = _check_file_room(submission, requirement, limit)
        artifact = Artifact(
            submission=submission, requirement_id=requirement.id, kind=RequirementKind.FILE,
            position=_next_position(existing), storage_backend=upload.backend, storage_key=upload.key,
            original_name=upload.original_name, content_type=upload.content_type, size=upload.size,
            sha256=upload.sha256, thumbnail_key=upload.thumbnail_key,
        )
        db.session.add(artifact)
        _touch(submission)
        db.session.flush()
    except BaseException:
        discard_upload(storage, upload)
        raise
    return artifact


def _check_file_room(submission: Submission, requirement: Requirement, limit: int) -> list[Artifact]:
    existing = _part_artifacts(submission, requirement, RequirementKind.FILE)
    if len(existing) >= limit:
        raise ValidationError(
            "file", f"This part takes {'one file' if limit == 1 else f'up to {limit} files'}. Remove one to add another."
        )
    return existing


def _still_referenced(key: str, *, other_than: int) -> bool:
    return db.session.scalar(
        select(func.count(Artifact.id)).where(
            Artifact.id != other_than, or_(Artifact.storage_key == key, Artifact.thumbnail_key == key)
        )
    ) > 0


def remove_artifact(*, teacher: User, artifact: Artifact) -> None:
    """Remove one piece of evidence from a draft.

    The file and thumbnail go from storage only when no other artifact row
    refers to them (carried-forward artifacts share keys with the attempt they
    came from), and only after the removal commits. Raises PermissionDenied for
    anyone but the owner and Conflict unless the attempt is a draft.
    """
    submission = artifact.submission
    _lock_draft(teacher, submission)
    keys = [k for k in (artifact.storage_key, artifact.thumbnail_key) if k]
    artifact_id = artifact.id
    db.session.delete(artifact)
    _touch(submission)
    db.session.flush()
    db.session.expire(submission, ["artifacts"])
    unreferenced = [key for key in keys if not _still_referenced(key, other_than=artifact_id)]
    if unreferenced:
        _delete_after_commit(get_storage(), unreferenced)


def save_change_note(*, teacher: User, submission: Submission, text: str) -> Submission:
    """Set what changed since her last attempt (asked on resubmissions).

    Raises ValidationError("change_note") over ``MAX_CHANGE_NOTE_CHARS``, plus
    the common PermissionDenied / Conflict.
    """
    _lock_draft(teacher, submission)
    text = (text or "").replace("\r\n", "\n")
    if len(text) > MAX_CHANGE_NOTE_CHARS:
        raise ValidationError(
            "change_note", f"Keep this note under {MAX_CHANGE_NOTE_CHARS:,} characters; it is {len(text):,}."
        )
    submission.change_note = text
    _touch(submission)
    db.session.flush()
    return submission


# --- submitting -----------------------------------------------------------------------------


def _has_evidence(requirement: Requirement, artifacts: Sequence[Artifact]) -> bool:
    if requirement.kind is RequirementKind.TEXT:
        return any(a.kind is RequirementKind.TEXT and (a.text_md or "").strip() for a in artifacts)
    if requirement.kind is RequirementKind.DATA:
        return any(a.kind is RequirementKind.DATA and a.measures for a in artifacts)
    return any(a.kind is requirement.kind for a in artifacts)


_MISSING_PHRASE = {
    RequirementKind.TEXT: "needs a written response",
    RequirementKind.FILE: "needs at least one file",
    RequirementKind.LINK: "needs at least one link",
    RequirementKind.DATA: "needs at least one row of data (what you measured, before and after)",
}


def _missing(requirements: Sequence[Requirement], artifacts: Mapping[int, Sequence[Artifact]]) -> dict[int, str]:
    return {
        r.id: f"“{r.title}” {_MISSING_PHRASE[r.kind]}."
        for r in requirements
        if r.required and not _has_evidence(r, artifacts.get(r.id, ()))
    }


def missing_parts(submission: Submission) -> dict[int, str]:
    """``{requirement_id: message}`` for each required part without evidence, in
    requirement order; each message names the part. Empty when ready to submit."""
    return _missing(_requirements_of(submission.credential_id), _by_requirement(_artifacts_of(submission)))


def submit_attempt(*, teacher: User, submission: Submission) -> Submission:
    """Send the draft for review: it becomes ``submitted`` and immutable.

    Raises ValidationError with ``fields={"requirement-<id>": [message]}`` for
    every required part without evidence (and ``change_note`` on a
    resubmission without a note saying what changed), PermissionDenied for
    anyone but the owner, Conflict unless a draft. Records an audit event and
    sends ``signals.submission_submitted`` (the review workflow assigns
    reviewers there) inside the same transaction.
    """
    _lock_draft(teacher, submission)
    missing = missing_parts(submission)
    fields = {f"requirement-{rid}": [message] for rid, message in missing.items()}
    if submission.previous_id is not None and not (submission.change_note or "").strip():
        fields["change_note"] = [f"{CHANGE_NOTE_PROMPT} Tell your reviewers in a sentence or two."]
    if fields:
        count = len(missing)
        summary = (
            f"{count} required part{'s are' if count != 1 else ' is'} still missing evidence."
            if count
            else f"Before resubmitting, answer “{CHANGE_NOTE_PROMPT}”"
        )
        raise ValidationError(None, summary, fields=fields)
    submission.status = SubmissionStatus.SUBMITTED
    submission.submitted_at = utcnow()
    db.session.flush()
    record_event(
        actor=teacher, action="submission.submitted", object_type="submission", object_id=submission.id,
        credential_id=submission.credential_id, attempt=submission.attempt,
    )
    submission_submitted.send(submission, teacher=teacher)
    db.session.flush()
    return submission


def withdraw_attempt(*, teacher: User, submission: Submission) -> Submission:
    """Take a submitted attempt back before review starts (status ``in_review``).

    The attempt becomes ``withdrawn`` (immutable, not counted against the
    attempt limit); ``start_attempt`` then opens a new draft carrying its
    evidence forward. Raises PermissionDenied for anyone but the owner and
    Conflict unless the attempt is ``submitted``. Records an audit event and
    sends ``signals.submission_withdrawn``.
    """
    _check_owner(teacher, submission)
    _refresh_status(submission)
    if submission.status is SubmissionStatus.IN_REVIEW:
        raise Conflict("Review of this attempt has started, so it can no longer be withdrawn.")
    if submission.status is not SubmissionStatus.SUBMITTED:
        raise Conflict("Only a submitted attempt that is waiting for review can be withdrawn.")
    submission.status = SubmissionStatus.WITHDRAWN
    submission.withdrawn_at = utcnow()
    db.session.flush()
    record_event(
        actor=teacher, action="submission.withdrawn", object_type="submission", object_id=submission.id,
        credential_id=submission.credential_id, attempt=submission.attempt,
    )
    submission_withdrawn.send(submission, teacher=teacher)
    return submission


def resubmit(
    *, teacher: User, previous: Submission, keep_artifact_ids: Sequence[int], change_note: str = ""
) -> Submission:
    """Open the next attempt after a "not yet", carrying forward the evidence she keeps.

    Kept artifacts are copied as new rows (``carried_from_id`` set) that share
    the previous attempt's storage keys and data rows: nothing is uploaded
    again. The new draft links to ``previous`` and asks, at submit time, what
    changed (``change_note`` may be given now). Idempotent: if the draft for
    this resubmission exists, it is returned.

    Raises PermissionDenied for anyone but the owner; Conflict unless
    ``previous`` is her latest attempt and came back "not yet", when another
    attempt is active, or when she has used ``policy.max_attempts`` attempts
    (a coach takes over); ValidationError("keep_artifact_ids") for ids that are
    not artifacts of ``previous``.
    """
    _check_owner(teacher, previous)
    credential = previous.credential
    active = _active_attempt(teacher, credential)
    if active is not None:
        if active.previous_id == previous.id and active.status is SubmissionStatus.DRAFT:
            return active
        raise Conflict(f"Attempt {active.attempt} is still open; finish or withdraw it first.")
    if previous.status is not SubmissionStatus.NOT_YET:
        raise Conflict("Only an attempt that came back “not yet” can be revised and resubmitted.")
    latest = _latest_attempt(teacher.id, credential.id)
    if latest is not None and latest.id != previous.id:
        raise Conflict(f"Revise your latest attempt (attempt {latest.attempt}) instead.")
    max_attempts = credential.policy.max_attempts if credential.policy else None
    used = _counted_attempts(teacher.id, credential.id)
    if max_attempts is not None and used >= max_attempts:
        raise Conflict(
            f"You have used all {max_attempts} attempt{'s' if max_attempts != 1 else ''} for this credential. "
            "A coach will work with you on the next steps."
        )
    if len(change_note or "") > MAX_CHANGE_NOTE_CHARS:
        raise ValidationError("change_note", f"Keep this note under {MAX_CHANGE_NOTE_CHARS:,} characters.")
    artifacts = _artifacts_of(previous)
    by_id = {a.id: a for a in artifacts}
    wanted = {int(i) for i in keep_artifact_ids}
    unknown = wanted - set(by_id)
    if unknown:
        raise ValidationError("keep_artifact_ids", "Some of the evidence to keep is not part of that attempt.")
    carry = [a for a in artifacts if a.id in wanted]
    submission = _new_attempt(teacher, credential, previous=previous, carry=carry, change_note=change_note or "")
    db.session.flush()
    record_event(
        actor=teacher, action="submission.resubmission_started", object_type="submission", object_id=submission.id,
        credential_id=credential.id, attempt=submission.attempt, previous_id=previous.id, kept=len(carry),
    )
    return submission


# --- history and feedback -----------------------------------------------------------------


def attempt_history(*, teacher: User, credential: Credential) -> list[Submission]:
    """Her attempts at ``credential`` (every version of its slug), newest first,
    with their credential and artifacts loaded; at most ``HISTORY_LIMIT``."""
    return list(
        db.session.scalars(
            select(Submission)
            .join(Submission.credential)
            .where(Submission.teacher_id == teacher.id, Credential.slug == credential.slug)
            .options(selectinload(Submission.credential), selectinload(Submission.artifacts))
            .order_by(Submission.created_at.desc(), Submission.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )


@dataclass(frozen=True)
class CriterionFeedback:
    """One rubric criterion as the decision scored it."""

    criterion: str
    level: str
    comment: str = ""
    passed: bool | None = None


@dataclass(frozen=True)
class AttemptFeedback:
    """What an attempt's decision says, for the teacher: outcome, overall feedback
    (Markdown, one entry per reviewer, no reviewer names for peers) and per criterion."""

    outcome: str
    decided_at: datetime | None = None
    feedback_md: tuple[str, ...] = ()
    criteria: tuple[CriterionFeedback, ...] = ()


#: Turns attempts into their feedback, keyed by submission id; registered by the review workflow.
FeedbackLoader = Callable[[Sequence[Submission]], Mapping[int, AttemptFeedback]]

_feedback_loaders: list[FeedbackLoader] = []


def register_feedback_loader(loader: FeedbackLoader) -> FeedbackLoader:
    """Let the review workflow supply feedback for the history and attempt pages
    (evidence does not import reviewers). Idempotent; usable as a decorator.
    A loader should answer in a bounded number of queries for all attempts at once."""
    if loader not in _feedback_loaders:
        _feedback_loaders.append(loader)
    return loader


def attempt_feedback(submissions: Sequence[Submission]) -> dict[int, AttemptFeedback]:
    """Feedback per submission id from the registered loaders (empty until the review workflow registers one)."""
    found: dict[int, AttemptFeedback] = {}
    decided = [s for s in submissions if s.status in (SubmissionStatus.PASSED, SubmissionStatus.NOT_YET)]
    if not decided:
        return found
    for loader in _feedback_loaders:
        found.update(loader(decided))
    return found


# --- storage consistency --------------------------------------------------------------------


@dataclass(frozen=True)
class MissingObject:
    """An artifact row whose file (or thumbnail) is not in storage."""

    artifact_id: int
    submission_id: int
    key: str
    what: str  # "file" or "thumbnail"


@dataclass
class StorageReport:
    missing: list[MissingObject] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped_recent: int = 0

    @property
    def clean(self) -> bool:
        return not self.missing and not (set(self.stray) - set(self.deleted))


EVIDENCE_PREFIX = "evidence"


def _referenced_keys(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` some artifact row refers to (as file or thumbnail), in batches."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        found.update(
            k for k in db.session.scalars(select(Artifact.storage_key).where(Artifact.storage_key.in_(batch))) if k
        )
        found.update(
            k for k in db.session.scalars(select(Artifact.thumbnail_key).where(Artifact.thumbnail_key.in_(batch))) if k
        )
    return found


def check_storage(*, storage: Storage | None = None, fix: bool = False, grace: timedelta = timedelta(hours=1)) -> StorageReport:
    """Compare evidence files in storage with the artifact rows.

    Reports rows whose file or thumbnail is missing from storage, and objects
    under ``evidence/`` that no row refers to. Objects newer than ``grace`` are
    left alone (an upload may be between storing and committing its row). With
    ``fix``, stray objects are deleted after a fresh check that no row refers
    to them; rows are never deleted. Raises ``StorageUnavailable`` when the
    store cannot be listed.
    """
    storage = storage or get_storage()
    report = StorageReport()
    # List storage first, then read rows: a row whose object appears after the
    # listing is re-checked with exists() below rather than reported.
    cutoff = utcnow() - grace
    all_keys = set(storage.iter_keys(EVIDENCE_PREFIX))
    old_keys = set(storage.iter_keys(EVIDENCE_PREFIX, older_than=cutoff)) if grace > timedelta(0) else all_keys
    report.skipped_recent = len(all_keys - old_keys)

    referenced: set[str] = set()
    rows = db.session.execute(
        select(Artifact.id, Artifact.submission_id, Artifact.storage_key, Artifact.thumbnail_key)
        .where(or_(Artifact.storage_key.is_not(None), Artifact.thumbnail_key.is_not(None)))
        .order_by(Artifact.id)
        .execution_options(yield_per=1000)
    )
    for artifact_id, submission_id, key, thumbnail_key in rows:
        for what, value in (("file", key), ("thumbnail", thumbnail_key)):
            if not value:
                continue
            referenced.add(value)
            if value not in all_keys and not storage.exists(value):
                report.missing.append(MissingObject(artifact_id, submission_id, value, what))

    report.stray = sorted(old_keys - referenced)
    if fix and report.stray:
        still_referenced = _referenced_keys(report.stray)
        for key in report.stray:
            if key in still_referenced:
                continue
            try:
                storage.delete(key)
            except Exception:  # noqa: BLE001 - report it and go on with the others
                log.warning("Could not delete stray object %s", key, exc_info=True)
                report.failed.append(key)
            else:
                report.deleted.append(key)
    return report


__all__ = [
    "AttemptFeedback",
    "CHANGE_NOTE_PROMPT",
    "CriterionFeedback",
    "EditorPage",
    "IMMUTABLE_MESSAGE",
    "MAX_TEXT_CHARS",
    "ResubmitRequired",
    "StorageReport",
    "add_file",
    "attempt_feedback",
    "attempt_history",
    "check_storage",
    "get_credential_by_slug",
    "load_editor_page",
    "missing_parts",
    "register_feedback_loader",
    "remove_artifact",
    "resubmit",
    "save_change_note",
    "save_data_table",
    "save_link",
    "save_text",
    "start_attempt",
    "submit_attempt",
    "withdraw_attempt",
]
