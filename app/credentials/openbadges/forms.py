"""Forms of the Open Badges pages: badge image upload, revocation and flag resolution."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class BadgeImageForm(FlaskForm):
    png = FileField("PNG image", validators=[Optional()])
    svg = FileField("SVG image", validators=[Optional()])


class ClearImageForm(FlaskForm):
    pass


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason (published with the revocation)",
                           validators=[DataRequired(message="Say why the badge is revoked."), Length(max=1000)])


class ResolveFlagForm(FlaskForm):
    note = StringField("Note for the record", validators=[Optional(), Length(max=1000)])


