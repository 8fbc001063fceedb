"""The dashboards' filter form (GET, so no CSRF token: it changes nothing) and the refresh form (POST, CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField
from wtforms.validators import AnyOf, Optional, ValidationError

from app.analytics.services import FilterOptions, Filters
from app.forms import LongSelect


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return -1  # not a choice: the field reports it


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
    school_id = SelectField("School", coerce=_optional_int, validators=[Optional()], validate_choice=True,
                             widget=LongSelect())
    framework_id = SelectField("Framework", coerce=_optional_int, validators=[Optional()], validate_choice=True,
                                widget=LongSelect())
    credential_id = SelectField("Credential", coerce=_optional_int, validators=[Optional()], validate_choice=True,
                                 widget=LongSelect())

    def set_options(self, options: FilterOptions) -> None:
        self.school_id.choices = [(None, "All schools"), *options.schools]
        self.framework_id.choices = [(None, "All frameworks"), *options.frameworks]
        self.credential_id.choices = [(None, "All credentials"), *options.credentials]

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date must be on or after the start date.")

    def filters(self, page: int = 1) -> Filters:
        """The filters the valid fields ask for; a field with an error is left out."""
        def value(name):
            field = getattr(self, name)
            return None if field.errors else field.data

        return Filters(start=value("start"), end=value("end"), school_id=value("school_id"),
                       framework_id=value("framework_id"), credential_id=value("credential_id"), page=max(page, 1))


class RefreshForm(FlaskForm):
    """Refresh the summaries now (POST, with the CSRF token)."""

    dashboard = HiddenField(validators=[Optional(), AnyOf(["credentials", "reviewers", "impact", "equity"])])
    full = BooleanField("Rebuild every day (slower)")
