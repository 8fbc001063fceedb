"""The evidence services without HTTP: drafts, every kind of part, submitting, withdrawing,
resubmitting, history with feedback, the attempt limit, and storage that fails mid-upload."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.audit import AuditEvent
from app.credentials.models import Requirement, RequirementKind
from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.evidence import services
from app.evidence.models import Artifact, ImpactMeasure, Submission, SubmissionStatus
from app.evidence.signals import submission_submitted, submission_withdrawn
from app.extensions import db
from app.learning.models import Enrollment
from app.storage import MemoryStorage, StorageUnavailable
from tests import factories
from tests.evidence.conftest import HTML_PAGE, SVG_WITH_SCRIPT, fill_required, pdf_bytes, png_bytes

ROW = {"measure": "Exit ticket", "unit": "%", "before": "55", "after": "72", "students": "24",
       "period_start": "2025-01-06", "period_end": "2025-02-14"}


def _upload(teacher, submission, requirement, name="board.png", data=None):
    return services.add_file(
        teacher=teacher, submission=submission, requirement=requirement, filename=name,
        stream=io.BytesIO(png_bytes() if data is None else data),
    )


def _decide(submission: Submission, status: SubmissionStatus) -> None:
    """Stand in for the review workflow: move an attempt on (review is another package)."""
    submission.status = status
    if status in (SubmissionStatus.PASSED, SubmissionStatus.NOT_YET):
        submission.decided_at = submission.submitted_at or submission.created_at
    db.session.commit()


def _submitted(teacher, credential, parts) -> Submission:
    submission = services.start_attempt(teacher=teacher, credential=credential)
    fill_required(teacher, submission, parts)
    services.submit_attempt(teacher=teacher, submission=submission)
    db.session.commit()
    return submission


# --- starting ---------------------------------------------------------------------------------


def test_start_creates_one_draft_and_enrolls(teacher, credential):
    first = services.start_attempt(teacher=teacher, credential=credential)
    db.session.commit()
    again = services.start_attempt(teacher=teacher, credential=credential)
    assert again.id == first.id and first.status is SubmissionStatus.DRAFT and first.attempt == 1
    assert db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.user_id == teacher.id)) == 1


def test_start_refuses_unpublished_and_stacks(org, teacher, credential):
    hidden = factories.micro_credential(org, published=False)
    with pytest.raises(NotFound):
        services.start_attempt(teacher=teacher, credential=hidden)
    stack = factories.stack_credential(org, [credential])
    with pytest.raises(ValidationError) as exc:
        services.start_attempt(teacher=teacher, credential=stack)
    assert exc.value.field == "credential_id"


def test_start_after_passing_is_refused_and_after_not_yet_points_to_resubmit(teacher, credential, parts):
    submission = _submitted(teacher, credential, parts)
    _decide(submission, SubmissionStatus.NOT_YET)
    with pytest.raises(services.ResubmitRequired) as exc:
        services.start_attempt(teacher=teacher, credential=credential)
    assert exc.value.previous.id == submission.id
    _decide(submission, SubmissionStatus.PASSED)
    with pytest.raises(Conflict, match="already earned"):
        services.start_attempt(teacher=teacher, credential=credential)


# --- saving drafts: text, links, data, files --------------------------------------------------


def test_text_is_saved_as_written_and_replaced_on_save(teacher, draft, parts):
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="First\r\nline")
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="**Second** <script>x</script>")
    db.session.commit()
    texts = db.session.scalars(select(Artifact.text_md).where(Artifact.submission_id == draft.id)).all()
    # Stored as written; sanitized when shown (see test_views).
    assert texts == ["**Second** <script>x</script>"]


def test_text_over_the_limit_is_refused(teacher, draft, parts):
    with pytest.raises(ValidationError) as exc:
        services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="x" * (services.MAX_TEXT_CHARS + 1))
    assert exc.value.field == "text"


def test_a_part_of_another_kind_or_credential_is_refused(org, teacher, draft, parts):
    with pytest.raises(ValidationError, match="takes a written response") as exc:
        services.save_link(teacher=teacher, submission=draft, requirement=parts.text, url="https://example.org/a")
    assert exc.value.field == "requirement_id"
    foreign = factories.micro_credential(org).requirements[0]
    with pytest.raises(ValidationError, match="does not belong"):
        services.save_text(teacher=teacher, submission=draft, requirement=foreign, text="x")


def test_links_are_checked_and_limited_to_max_files(teacher, draft, parts):
    assert parts.link.max_files == 2
    services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url="https://example.org/v1", title="Video")
    # the same address again only retitles it
    services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url="https://example.org/v1", title="Lesson")
    services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url="http://example.org/v2")
    with pytest.raises(ValidationError, match="up to 2 links") as exc:
        services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url="https://example.org/v3")
    assert exc.value.field == "url"
    links = db.session.scalars(select(Artifact).where(Artifact.kind == RequirementKind.LINK).order_by(Artifact.position)).all()
    assert [(a.url, a.title) for a in links] == [("https://example.org/v1", "Lesson"), ("http://example.org/v2", None)]


@pytest.mark.parametrize("url, message", [
    ("javascript:alert(1)", "must start with https"),
    ("https://exa mple.org", "cannot contain spaces"),
    ("https://user:pw@example.org/x", "user name or password"),
    ("https://intranet/x", "no site name"),
    ("", "Enter the link"),
    ("https://example.org:99999/", "does not look like a web address"),
])
def test_bad_links_are_refused(teacher, draft, parts, url, message):
    with pytest.raises(ValidationError, match=message) as exc:
        services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url=url)
    assert exc.value.field == "url"


def test_data_table_saves_every_column(teacher, draft, parts):
    artifact = services.save_data_table(
        teacher=teacher, submission=draft, requirement=parts.data,
        rows=[ROW, {"measure": "Off-task minutes", "before": "1,250", "after": "45%", "higher_is_better": "lower"},
              {"measure": "", "unit": "", "before": "", "after": ""}],  # a blank row is skipped
    )
    db.session.commit()
    rows = db.session.scalars(select(ImpactMeasure).where(ImpactMeasure.artifact_id == artifact.id).order_by(ImpactMeasure.position)).all()
    first, second = rows
    assert (first.measure, first.unit, first.before, first.after, first.students) == ("Exit ticket", "%", 55, 72, 24)
    assert (first.period_start, first.period_end, first.higher_is_better) == (date(2025, 1, 6), date(2025, 2, 14), True)
    assert (second.before, second.after, second.higher_is_better, second.students) == (1250, 45, False, None)
    # saving again replaces the table
    services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data, rows=[ROW])
    db.session.commit()
    assert db.session.scalar(select(func.count(ImpactMeasure.id))) == 1


def test_bad_rows_get_an_error_per_cell_and_nothing_is_saved(teacher, draft, parts):
    services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data, rows=[ROW])
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data, rows=[
            ROW,
            {"measure": "", "before": "lots", "after": "", "students": "2.5",
             "period_start": "2025-03-01", "period_end": "2025-02-01"},
            {"measure": "Quiz", "unit": "u" * 61, "before": "1e12", "after": "3", "period_start": "yesterday",
             "higher_is_better": "maybe"},
        ])
    fields = exc.value.fields
    assert set(fields) == {
        "rows.1.measure", "rows.1.before", "rows.1.after", "rows.1.students", "rows.1.period_end",
        "rows.2.unit", "rows.2.before", "rows.2.period_start", "rows.2.higher_is_better",
    }
    assert fields["rows.1.before"] == ["Row 2: “Before” must be a number, such as 12 or 12.5."]
    assert fields["rows.1.period_end"] == ["Row 2: the end date is before the start date."]
    db.session.rollback()
    assert db.session.scalar(select(func.count(ImpactMeasure.id))) == 1


def test_too_many_rows_and_unknown_columns_are_refused(teacher, draft, parts):
    with pytest.raises(ValidationError) as exc:
        services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data,
                                 rows=[ROW] * (services.MAX_DATA_ROWS + 1))
    assert "rows" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data,
                                 rows=[{**ROW, "colour": "red"}])
    assert exc.value.fields == {"rows.0.measure": ["Row 1: unknown column 'colour'."]}


def test_several_files_per_part_up_to_max_files(teacher, draft, parts, storage):
    assert parts.file.max_files == 3
    photo = _upload(teacher, draft, parts.file, "photo.png")
    plan = _upload(teacher, draft, parts.file, "plan.pdf", pdf_bytes())
    _upload(teacher, draft, parts.file, "board.png")
    db.session.commit()
    with pytest.raises(ValidationError, match="up to 3 files") as exc:
        _upload(teacher, draft, parts.file, "one-more.png")
    assert exc.value.field == "file"
    db.session.rollback()
    files = db.session.scalars(select(Artifact).where(Artifact.kind == RequirementKind.FILE).order_by(Artifact.position)).all()
    assert [a.original_name for a in files] == ["photo.png", "plan.pdf", "board.png"]
    assert [a.position for a in files] == [0, 1, 2]
    assert photo.content_type == "image/png" and photo.thumbnail_key and len(photo.sha256) == 64
    assert plan.content_type == "application/pdf" and plan.thumbnail_key is None and plan.size == len(pdf_bytes())
    # every row's objects exist, and nothing else is stored
    referenced = {k for a in files for k in (a.storage_key, a.thumbnail_key) if k}
    assert set(storage.keys()) == referenced


@pytest.mark.parametrize("name, data, message", [
    ("photo.png", HTML_PAGE, "HTML page"),
    ("drawing.svg", SVG_WITH_SCRIPT, "SVG"),
    ("empty.pdf", b"", "empty"),
])
def test_refused_files_leave_no_row_and_no_object(teacher, draft, parts, storage, name, data, message):
    with pytest.raises(ValidationError, match=message) as exc:
        _upload(teacher, draft, parts.file, name, data)
    assert exc.value.field == "file"
    db.session.rollback()
    assert storage.keys() == [] and db.session.scalar(select(func.count(Artifact.id))) == 0


def test_upload_over_the_setting_is_refused(app, teacher, draft, parts, storage):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    with pytest.raises(ValidationError, match="larger than") as exc:
        _upload(teacher, draft, parts.file, "plan.pdf", pdf_bytes() + b"x" * 1000)
    assert exc.value.field == "file" and storage.keys() == []


def test_remove_artifact_deletes_the_object_after_commit_only(teacher, draft, parts, storage):
    artifact = _upload(teacher, draft, parts.file)
    db.session.commit()
    keys = {artifact.storage_key, artifact.thumbnail_key}
    services.remove_artifact(teacher=teacher, artifact=artifact)
    assert keys <= set(storage.keys())  # not yet: the removal may still roll back
    db.session.rollback()
    assert keys <= set(storage.keys()) and db.session.get(Artifact, artifact.id) is not None
    services.remove_artifact(teacher=teacher, artifact=db.session.get(Artifact, artifact.id))
    db.session.commit()
    assert storage.keys() == []


def test_an_upload_whose_transaction_does_not_commit_leaves_no_object(teacher, draft, parts, storage):
    _upload(teacher, draft, parts.file)
    assert len(storage.keys()) == 2  # file and thumbnail, waiting for the commit
    db.session.rollback()
    assert storage.keys() == []


def test_only_the_owner_may_change_a_draft(org, teacher, draft, parts):
    other = factories.user(organization=org)
    admin = factories.user(organization=org, roles={Role.ADMIN})
    for intruder in (other, admin):
        with pytest.raises(PermissionDenied):
            services.save_text(teacher=intruder, submission=draft, requirement=parts.text, text="mine now")
        with pytest.raises(PermissionDenied):
            _upload(intruder, draft, parts.file)
        with pytest.raises(PermissionDenied):
            services.submit_attempt(teacher=intruder, submission=draft)


# --- submitting ---------------------------------------------------------------------------------


def test_submit_names_every_missing_required_part(teacher, draft, parts):
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="   ")  # blank counts as missing
    with pytest.raises(ValidationError) as exc:
        services.submit_attempt(teacher=teacher, submission=draft)
    fields = exc.value.fields
    # the optional link part is not required
    assert set(fields) == {f"requirement-{r.id}" for r in (parts.text, parts.file, parts.data)}
    assert fields[f"requirement-{parts.text.id}"] == [f"“{parts.text.title}” needs a written response."]
    assert fields[f"requirement-{parts.file.id}"] == [f"“{parts.file.title}” needs at least one file."]
    assert "needs at least one row of data" in fields[f"requirement-{parts.data.id}"][0]
    assert exc.value.message == "3 required parts are still missing evidence."
    assert draft.status is SubmissionStatus.DRAFT


def test_submit_with_one_part_missing_names_only_that_part(teacher, draft, parts):
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="Done")
    _upload(teacher, draft, parts.file)
    with pytest.raises(ValidationError) as exc:
        services.submit_attempt(teacher=teacher, submission=draft)
    assert list(exc.value.fields) == [f"requirement-{parts.data.id}"]
    assert exc.value.message == "1 required part is still missing evidence."


def test_submit_records_event_and_signal_and_makes_the_attempt_immutable(teacher, draft, parts):
    fill_required(teacher, draft, parts)
    received = []

    def receiver(sender, **kwargs):
        received.append((sender.id, sender.status, kwargs["teacher"].id))

    submission_submitted.connect(receiver)
    try:
        services.submit_attempt(teacher=teacher, submission=draft)
        db.session.commit()
    finally:
        submission_submitted.disconnect(receiver)
    assert received == [(draft.id, SubmissionStatus.SUBMITTED, teacher.id)]
    assert draft.submitted_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.submitted")) is not None
    artifact = db.session.scalars(select(Artifact).where(Artifact.submission_id == draft.id)).first()
    attempts = [
        lambda: services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="changed"),
        lambda: services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url="https://example.org/x"),
        lambda: services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data, rows=[ROW]),
        lambda: _upload(teacher, draft, parts.file),
        lambda: services.remove_artifact(teacher=teacher, artifact=artifact),
        lambda: services.save_change_note(teacher=teacher, submission=draft, text="x"),
        lambda: services.submit_attempt(teacher=teacher, submission=draft),
    ]
    for change in attempts:
        with pytest.raises(Conflict, match=services.IMMUTABLE_MESSAGE):
            change()
        db.session.rollback()


def test_a_stale_draft_object_cannot_be_changed_after_submit(app, teacher, draft, parts):
    """Two tabs: the other tab's object still says draft; the database says submitted."""
    fill_required(teacher, draft, parts)
    db.session.execute(
        Submission.__table__.update().where(Submission.id == draft.id).values(status=SubmissionStatus.SUBMITTED.value)
    )
    with pytest.raises(Conflict):
        services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="late edit")


# --- withdrawing --------------------------------------------------------------------------------


def test_withdraw_before_review_then_start_again_carries_the_evidence(teacher, credential, parts):
    submission = _submitted(teacher, credential, parts)
    withdrawn = []

    def receiver(sender, **kwargs):
        withdrawn.append(sender.id)

    # Connect and disconnect only this receiver: the review workflow's receivers must stay.
    submission_withdrawn.connect(receiver)
    try:
        services.withdraw_attempt(teacher=teacher, submission=submission)
        db.session.commit()
    finally:
        submission_withdrawn.disconnect(receiver)
    assert submission.status is SubmissionStatus.WITHDRAWN and submission.withdrawn_at and withdrawn == [submission.id]
    with pytest.raises(Conflict):
        services.withdraw_attempt(teacher=teacher, submission=submission)
    db.session.rollback()
    again = services.start_attempt(teacher=teacher, credential=credential)
    db.session.commit()
    assert again.attempt == 2 and again.status is SubmissionStatus.DRAFT
    old = {(a.requirement_id, a.storage_key, a.text_md) for a in submission.artifacts}
    new = {(a.requirement_id, a.storage_key, a.text_md) for a in again.artifacts}
    assert old == new and all(a.carried_from_id for a in again.artifacts)
    # a withdrawn attempt does not count against the limit
    assert services.load_editor_page(again).attempts_counted == 0


def test_withdraw_is_refused_once_review_has_started(teacher, credential, parts):
    submission = _submitted(teacher, credential, parts)
    _decide(submission, SubmissionStatus.IN_REVIEW)
    with pytest.raises(Conflict, match="Review of this attempt has started"):
        services.withdraw_attempt(teacher=teacher, submission=submission)
    assert db.session.get(Submission, submission.id).status is SubmissionStatus.IN_REVIEW


def test_a_draft_cannot_be_withdrawn_and_others_cannot_withdraw(org, teacher, credential, parts, draft):
    with pytest.raises(Conflict, match="waiting for review"):
        services.withdraw_attempt(teacher=teacher, submission=draft)
    with pytest.raises(PermissionDenied):
        services.withdraw_attempt(teacher=factories.user(organization=org), submission=draft)


# --- resubmitting after "not yet" ---------------------------------------------------------------


def test_resubmit_carries_kept_artifacts_by_reference_and_asks_what_changed(teacher, credential, parts, storage):
    first = _submitted(teacher, credential, parts)
    _decide(first, SubmissionStatus.NOT_YET)
    keys_before = storage.keys()
    by_kind = {a.kind: a for a in first.artifacts}
    keep = [by_kind[RequirementKind.FILE].id, by_kind[RequirementKind.DATA].id]
    second = services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=keep)
    db.session.commit()
    assert second.attempt == 2 and second.previous_id == first.id and second.status is SubmissionStatus.DRAFT
    kinds = {a.kind: a for a in second.artifacts}
    assert set(kinds) == {RequirementKind.FILE, RequirementKind.DATA}
    kept_file = kinds[RequirementKind.FILE]
    assert kept_file.storage_key == by_kind[RequirementKind.FILE].storage_key  # no re-upload
    assert kept_file.carried_from_id == by_kind[RequirementKind.FILE].id
    assert [m.after for m in kinds[RequirementKind.DATA].measures] == [72]
    assert storage.keys() == keys_before  # nothing was copied in storage
    # idempotent
    assert services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=keep).id == second.id

    services.save_text(teacher=teacher, submission=second, requirement=parts.text, text="Revised")
    with pytest.raises(ValidationError) as exc:
        services.submit_attempt(teacher=teacher, submission=second)
    assert list(exc.value.fields) == ["change_note"]
    assert services.CHANGE_NOTE_PROMPT in exc.value.message
    services.save_change_note(teacher=teacher, submission=second, text="I added student work samples.")
    services.submit_attempt(teacher=teacher, submission=second)
    db.session.commit()
    assert second.status is SubmissionStatus.SUBMITTED


def test_removing_a_carried_file_keeps_the_object_the_earlier_attempt_uses(teacher, credential, parts, storage):
    first = _submitted(teacher, credential, parts)
    _decide(first, SubmissionStatus.NOT_YET)
    file = next(a for a in first.artifacts if a.kind is RequirementKind.FILE)
    second = services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=[file.id])
    db.session.commit()
    services.remove_artifact(teacher=teacher, artifact=second.artifacts[0])
    db.session.commit()
    assert storage.exists(file.storage_key) and storage.exists(file.thumbnail_key)
    assert services.check_storage(storage=storage, grace=timedelta(0)).clean


def test_resubmit_rules(org, teacher, credential, parts):
    first = _submitted(teacher, credential, parts)
    with pytest.raises(Conflict, match="still open"):  # submitted, not decided
        services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=[])
    _decide(first, SubmissionStatus.NOT_YET)
    with pytest.raises(PermissionDenied):
        services.resubmit(teacher=factories.user(organization=org), previous=first, keep_artifact_ids=[])
    with pytest.raises(ValidationError) as exc:
        services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=[999_999])
    assert exc.value.field == "keep_artifact_ids"


def test_max_attempts_hands_over_to_a_coach(teacher, credential, parts):
    credential.policy.max_attempts = 2
    db.session.commit()
    first = _submitted(teacher, credential, parts)
    _decide(first, SubmissionStatus.NOT_YET)
    second = services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=[a.id for a in first.artifacts],
                               change_note="More data.")
    services.submit_attempt(teacher=teacher, submission=second)
    db.session.commit()
    _decide(second, SubmissionStatus.NOT_YET)
    page = services.load_editor_page(second)
    assert page.attempts_counted == 2 and page.attempts_exhausted and not page.can_resubmit
    with pytest.raises(Conflict, match="used all 2 attempts"):
        services.resubmit(teacher=teacher, previous=second, keep_artifact_ids=[])
    with pytest.raises(Conflict, match="latest attempt"):
        services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=[])


# --- history and feedback -----------------------------------------------------------------------


def test_history_lists_attempts_newest_first_with_their_feedback(teacher, credential, parts):
    first = _submitted(teacher, credential, parts)
    _decide(first, SubmissionStatus.NOT_YET)
    second = services.resubmit(teacher=teacher, previous=first, keep_artifact_ids=[])
    db.session.commit()

    def loader(submissions):
        return {
            s.id: services.AttemptFeedback(
                outcome=s.status.value, feedback_md=("Add **student work**.",),
                criteria=(services.CriterionFeedback("Criterion 1", "Developing", "Show the routine.", False),),
            )
            for s in submissions
        }

    services.register_feedback_loader(loader)
    services.register_feedback_loader(loader)  # idempotent
    try:
        history = services.attempt_history(teacher=teacher, credential=credential)
        feedback = services.attempt_feedback(history)
    finally:
        services._feedback_loaders.remove(loader)
    assert [s.id for s in history] == [second.id, first.id]
    assert set(feedback) == {first.id}  # drafts have no feedback
    assert feedback[first.id].criteria[0].comment == "Show the routine."


def test_history_is_the_teachers_own(org, teacher, credential, parts):
    _submitted(teacher, credential, parts)
    other = factories.user(organization=org)
    assert services.attempt_history(teacher=other, credential=credential) == []


def test_editor_page_loads_in_a_fixed_number_of_queries(teacher, draft, parts):
    fill_required(teacher, draft, parts)

    def count() -> int:
        db.session.expire_all()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            services.load_editor_page(db.session.get(Submission, draft.id))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = count()
    for i in range(2):
        services.save_link(teacher=teacher, submission=draft, requirement=parts.link, url=f"https://example.org/{i}")
    _upload(teacher, draft, parts.file, "more.png")
    services.save_data_table(teacher=teacher, submission=draft, requirement=parts.data, rows=[ROW] * 5)
    db.session.commit()
    assert count() == few <= 8


# --- nothing lost when storage fails ----------------------------------------------------------


class FlakyStorage(MemoryStorage):
    """A store that fails part-way through reading the upload (a dropped connection,
    a full disk). With ``leave_partial`` it also leaves the bytes it got behind, as
    a broken store might: ``flask storage check`` must then find them."""

    def __init__(self, fail_after: int, *, leave_partial: bool = False, fail_saves: set[int] | None = None):
        super().__init__()
        self.fail_after = fail_after
        self.leave_partial = leave_partial
        self.fail_saves = fail_saves  # which save calls (1-based) fail; None: all
        self.calls = 0
        self.read_before_failing = 0

    def save(self, stream, *, key_prefix, max_bytes):
        self.calls += 1
        if self.fail_saves is not None and self.calls not in self.fail_saves:
            return super().save(stream, key_prefix=key_prefix, max_bytes=max_bytes)
        got = b""
        while chunk := stream.read(64 * 1024):
            got += chunk
            if len(got) >= self.fail_after:
                self.read_before_failing = len(got)
                if self.leave_partial:
                    super().save(io.BytesIO(got), key_prefix=key_prefix, max_bytes=max_bytes)
                raise StorageUnavailable()
        raise AssertionError("the upload was shorter than fail_after")


def big_pdf(size: int = 600 * 1024) -> bytes:
    return pdf_bytes()[:-6] + b"0" * size + b"\n%%EOF\n"


@pytest.mark.parametrize("fail_saves", [None, {2}], ids=["file", "thumbnail"])
def test_storage_failing_mid_upload_keeps_the_draft_and_leaves_nothing(app, teacher, draft, parts, fail_saves):
    fill_required(teacher, draft, parts)
    before = {(a.id, a.storage_key) for a in db.session.scalars(select(Artifact))}
    storage = app.extensions["storage"]
    flaky = FlakyStorage(fail_after=1, fail_saves=fail_saves)
    # keep the objects already stored
    flaky._files, flaky._saved_at = storage._files, storage._saved_at
    app.extensions["storage"] = flaky
    data = png_bytes((400, 300))
    with pytest.raises(StorageUnavailable):
        _upload(teacher, draft, parts.file, "second.png", data)
    db.session.rollback()
    assert flaky.calls == (1 if fail_saves is None else 2)
    assert {(a.id, a.storage_key) for a in db.session.scalars(select(Artifact))} == before
    assert services.check_storage(storage=flaky, grace=timedelta(0)).clean
    # storage is back: the retry works
    app.extensions["storage"] = storage
    _upload(teacher, draft, parts.file, "second.png", data)
    db.session.commit()
    assert len(before) + 1 == db.session.scalar(select(func.count(Artifact.id)))


def test_a_large_upload_failing_part_way_through_the_stream(app, teacher, draft, parts):
    services.save_text(teacher=teacher, submission=draft, requirement=parts.text, text="Keep me")
    db.session.commit()
    flaky = FlakyStorage(fail_after=256 * 1024)
    app.extensions["storage"] = flaky
    with pytest.raises(StorageUnavailable):
        _upload(teacher, draft, parts.file, "plan.pdf", big_pdf())
    db.session.rollback()
    assert 0 < flaky.read_before_failing < len(big_pdf())
    assert [a.text_md for a in db.session.get(Submission, draft.id).artifacts] == ["Keep me"]
    assert flaky.keys() == []


def test_storage_check_reports_both_orphans_and_fix_removes_stray_objects(app, teacher, draft, parts, runner):
    fill_required(teacher, draft, parts)
    storage = app.extensions["storage"]
    flaky = FlakyStorage(fail_after=1, leave_partial=True)
    flaky._files, flaky._saved_at = storage._files, storage._saved_at
    app.extensions["storage"] = flaky
    with pytest.raises(StorageUnavailable):
        _upload(teacher, draft, parts.file, "plan.pdf", big_pdf())
    db.session.rollback()
    stray = [k for k in flaky.keys() if not db.session.scalar(
        select(func.count(Artifact.id)).where((Artifact.storage_key == k) | (Artifact.thumbnail_key == k)))]
    assert len(stray) == 1
    lost = db.session.scalars(select(Artifact).where(Artifact.kind == RequirementKind.FILE)).one()
    flaky.delete(lost.thumbnail_key)  # a row now points at a missing object

    report = services.check_storage(storage=flaky, grace=timedelta(0))
    assert report.stray == stray
    assert [(m.artifact_id, m.what) for m in report.missing] == [(lost.id, "thumbnail")]

    result = runner.invoke(args=["storage", "check", "--grace-minutes", "0"])
    assert result.exit_code == 1
    assert f"stray object: {stray[0]} (no artifact row)" in result.output
    assert f"missing thumbnail: artifact {lost.id}" in result.output
    assert "--fix" in result.output

    result = runner.invoke(args=["storage", "check", "--fix", "--grace-minutes", "0"])
    assert f"stray object: {stray[0]} (deleted)" in result.output
    assert not flaky.exists(stray[0])
    assert flaky.exists(lost.storage_key)  # objects rows refer to are never touched
    assert result.exit_code == 1  # the missing thumbnail is still reported: rows are never deleted


def test_storage_check_leaves_recent_objects_alone(app, teacher, draft, parts, runner, storage):
    storage.save(io.BytesIO(b"in flight"), key_prefix=f"evidence/{draft.id}", max_bytes=100)
    result = runner.invoke(args=["storage", "check", "--fix"])
    assert result.exit_code == 0 and "Skipped 1 object(s)" in result.output
    assert len(storage.keys()) == 1


def test_requirement_without_accepted_types_takes_any_allowed_kind(teacher, draft, credential):
    requirement = Requirement(credential=credential, position=9, kind=RequirementKind.FILE, title="Anything",
                              prompt="p", required=False, accepted_types=[], max_files=1)
    db.session.add(requirement)
    db.session.commit()
    artifact = _upload(teacher, draft, requirement, "notes.txt", b"Plain notes from my lesson.\n")
    assert artifact.content_type == "text/plain"
