"""Forms of the portfolio pages (shape only; the services enforce the rules)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.accounts.forms import MultiCheckboxField
from app.portfolio.services import HANDLE_MAX, MAX_COLLECTION_NAME, MAX_DESCRIPTION, MAX_HEADLINE, MAX_NAME


class ProfileForm(FlaskForm):
    enabled = BooleanField("Show my public profile")
    handle = StringField("Profile address", validators=[Optional(), Length(max=HANDLE_MAX + 20)])
    display_name = StringField("Display name", validators=[Optional(), Length(max=MAX_NAME)])
    headline = StringField("Headline", validators=[Optional(), Length(max=MAX_HEADLINE)])


class CollectionForm(FlaskForm):
    name = StringField("Collection name", validators=[DataRequired(message="Give the collection a name."),
                                                      Length(max=MAX_COLLECTION_NAME)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=MAX_DESCRIPTION)])


class SwitchForm(FlaskForm):
    """One on/off switch posted as a button (``value`` is "on" or "off")."""

    value = HiddenField(validators=[AnyOf(["on", "off"])])


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class ItemForm(FlaskForm):
    action = HiddenField(validators=[AnyOf(["add", "remove", "up", "down"])])


class AwardCollectionsForm(FlaskForm):
    collections = MultiCheckboxField("Collections this badge belongs to", coerce=int, choices=[])


class ConfirmForm(FlaskForm):
    pass
