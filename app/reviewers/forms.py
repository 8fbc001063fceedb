"""Forms of the review pages. They check shape; the services enforce the rules.

The rubric grid's inputs (``level-<criterion id>``, ``comment-<criterion id>``)
depend on the credential, so the views read them with ``scores_from``; the
forms here carry the CSRF token and the fixed fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.credentials.models import Criterion
from app.reviewers.services import MAX_DECLINE_CHARS, MAX_FEEDBACK_CHARS, ScoreInput


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class ReviewForm(FlaskForm):
    feedback = TextAreaField(
        "Overall feedback for the teacher",
        validators=[Length(max=MAX_FEEDBACK_CHARS)],
        description="What is strong, and the one or two things that would make the biggest difference. "
        "Markdown works. The teacher never sees your name.",
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Why can you not review this?",
        validators=[DataRequired(message="Say briefly why."), Length(max=MAX_DECLINE_CHARS)],
        description="For example a conflict of interest, or no time before the due date. Another reviewer is assigned at once.",
    )


class CloseCoachingForm(FlaskForm):
    reason = TextAreaField("What you agreed with the teacher", validators=[Optional(), Length(max=MAX_DECLINE_CHARS)])


class GrantForm(FlaskForm):
    email = EmailField("Reviewer's e-mail", validators=[DataRequired(message="Enter the reviewer's e-mail."), Email(), Length(max=320)])
    role = SelectField("Reviews as", choices=[SelectChoice("peer", "Peer reviewer"), SelectChoice("coach", "Coach")])
    scope = SelectField("For", validators=[DataRequired(message="Choose a credential or a framework.")],
                        description="A framework covers every credential aligned with it.")


def scores_from(formdata: Mapping[str, str], criteria: Sequence[Criterion], *, with_comments: bool = True) -> list[ScoreInput]:
    """The grid's picks: one ScoreInput per criterion (level None when none was picked or it is not a number)."""
    scores = []
    for criterion in criteria:
        raw = (formdata.get(f"level-{criterion.id}") or "").strip()
        level_id = int(raw) if raw.isdigit() else None
        comment = formdata.get(f"comment-{criterion.id}", "") if with_comments else ""
        scores.append(ScoreInput(criterion_id=criterion.id, level_id=level_id, comment=comment))
    return scores
