"""Forms for the attempt page. They check shape; the services enforce the rules.

Each part of the page has its own small form, prefixed ``part-<requirement id>``
so several can live on one page and the autosave script can post any of them.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, Form, FormField, SelectChoice, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.forms import MultiCheckboxField
from app.evidence.models import ImpactMeasure
from app.evidence.services import (
    CHANGE_NOTE_PROMPT,
    MAX_CHANGE_NOTE_CHARS,
    MAX_LINK_TITLE_CHARS,
    MAX_MEASURE_CHARS,
    MAX_TEXT_CHARS,
    MAX_UNIT_CHARS,
    MAX_URL_CHARS,
)

#: Blank rows a data table offers beyond the saved ones (the no-JavaScript way to add rows).
BLANK_DATA_ROWS = 2
MIN_DATA_ROWS = 3


def part_prefix(requirement_id: int) -> str:
    return f"part-{requirement_id}"


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class TextPartForm(FlaskForm):
    text = TextAreaField(
        "Your response",
        validators=[Length(max=MAX_TEXT_CHARS, message=f"Keep your response under {MAX_TEXT_CHARS:,} characters.")],
        description=(
            "You can format with Markdown: **bold**, *italic*, lists starting with “-”, "
            "and links like [title](https://example.org)."
        ),
    )


class LinkForm(FlaskForm):
    url = URLField(
        "Web address",
        validators=[DataRequired(message="Enter the link's address, starting with https://."), Length(max=MAX_URL_CHARS)],
        description="For example a video on your school's video site or a shared document. Make sure reviewers can open it.",
        render_kw={"placeholder": "https://", "autocomplete": "url", "inputmode": "url"},
    )
    title = StringField(
        "What it shows",
        validators=[Optional(), Length(max=MAX_LINK_TITLE_CHARS)],
        description="A few words, such as “Small-group lesson, 12 minutes”.",
    )


class FilePartForm(FlaskForm):
    file = FileField("Choose a file", validators=[FileRequired(message="Choose a file to upload.")])


class DataRowForm(Form):
    """One row of a classroom-impact table (a subform: the outer form carries the CSRF token)."""

    measure = StringField("Measure", validators=[Length(max=MAX_MEASURE_CHARS)])
    unit = StringField("Unit", validators=[Length(max=MAX_UNIT_CHARS)])
    before = StringField("Before", render_kw={"inputmode": "decimal"})
    after = StringField("After", render_kw={"inputmode": "decimal"})
    direction = SelectField(
        "Better when", choices=[SelectChoice("higher", "Higher"), SelectChoice("lower", "Lower")], default="higher"
    )
    students = StringField("Students", render_kw={"inputmode": "numeric"})
    period_start = StringField("From", render_kw={"type": "date"})
    period_end = StringField("To", render_kw={"type": "date"})

    def as_service_row(self) -> dict[str, Any]:
        return {
            "measure": self.measure.data or "", "unit": self.unit.data or "",
            "before": self.before.data or "", "after": self.after.data or "",
            "higher_is_better": self.direction.data != "lower", "students": self.students.data or "",
            "period_start": self.period_start.data or "", "period_end": self.period_end.data or "",
        }


class DataTableForm(FlaskForm):
    rows = FieldList(FormField(DataRowForm), min_entries=0)

    def service_rows(self) -> list[dict[str, Any]]:
        return [entry.form.as_service_row() for entry in self.rows]

    def pad(self) -> None:
        """Offer blank rows to fill in without JavaScript."""
        target = max(MIN_DATA_ROWS, len(self.rows.entries) + BLANK_DATA_ROWS)
        while len(self.rows.entries) < target:
            self.rows.append_entry()


def measure_row(measure: ImpactMeasure) -> dict[str, Any]:
    """A saved row as form data."""
    return {
        "measure": measure.measure, "unit": measure.unit,
        "before": _number(measure.before), "after": _number(measure.after),
        "direction": "higher" if measure.higher_is_better else "lower",
        "students": "" if measure.students is None else str(measure.students),
        "period_start": measure.period_start.isoformat() if measure.period_start else "",
        "period_end": measure.period_end.isoformat() if measure.period_end else "",
    }


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


class ChangeNoteForm(FlaskForm):
    change_note = TextAreaField(
        CHANGE_NOTE_PROMPT,
        validators=[Length(max=MAX_CHANGE_NOTE_CHARS, message=f"Keep this note under {MAX_CHANGE_NOTE_CHARS:,} characters.")],
        description="Reviewers read this first: what you revised after the feedback, and where to find it.",
    )


class ResubmitForm(FlaskForm):
    keep = MultiCheckboxField(
        "Evidence to keep", coerce=int,
        description="Kept files come with you as they are: there is no need to upload them again.",
    )
    change_note = TextAreaField(
        CHANGE_NOTE_PROMPT,
        validators=[Optional(), Length(max=MAX_CHANGE_NOTE_CHARS)],
        description="You can also write or change this in the new draft before you submit it.",
    )

