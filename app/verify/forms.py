"""Forms of the verification pages: one credential, a receipt download, a roster upload."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class VerifyForm(FlaskForm):
    """A pasted link, id, JSON, JWS, VC-JWT or receipt, or a baked image; at least one of the two."""

    text = TextAreaField("Badge link, award id, JSON, JWS or VC-JWT", validators=[Optional(), Length(max=8 * 1024 * 1024)])
    file = FileField("Or a baked badge image (PNG or SVG)", validators=[Optional()])
    email = EmailField("Earner's e-mail address", validators=[Optional(), Email(message="Enter an e-mail address."),
                                                             Length(max=320)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.text.data or "").strip() and not self.file.data:
            self.text.errors = list(self.text.errors) + [
                "Paste a badge link, id, JSON or JWS here, or choose a badge image below."]
            return False
        return ok


class ReceiptForm(FlaskForm):
    receipt = HiddenField("Receipt", validators=[DataRequired(message="No receipt to download.")])


class RosterForm(FlaskForm):
    file = FileField("Roster (CSV: award address or id, optional e-mail)",
                     validators=[FileRequired(message="Choose a CSV file of awards to verify.")])
