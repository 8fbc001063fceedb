from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import Role


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=320)],
                       render_kw={"autocomplete": "email"})
    school_id = SelectField("School", coerce=int, validators=[Optional()])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=256)],
                             description="At least 10 characters.",
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(), EqualTo("password", "The passwords do not match.")],
                            render_kw={"autocomplete": "new-password"})
    invite_code = StringField("Invite code", validators=[Optional(), Length(max=64)])


class ProfileForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    school_id = SelectField("School", coerce=int, validators=[Optional()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=256)],
                                 description="At least 10 characters.",
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("new_password", "The passwords do not match.")],
                            render_kw={"autocomplete": "new-password"})


class AddEmailForm(FlaskForm):
    email = EmailField("Another e-mail address", validators=[DataRequired(), Email(), Length(max=320)],
                       description="For example your personal address, so your badges stay yours when you change schools.",
                       render_kw={"autocomplete": "email"})


class MakePrimaryForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = [SelectChoice(r.value, r.label) for r in Role]


class UserAccessForm(FlaskForm):
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)
    school_id = SelectField("School", coerce=int, validators=[Optional()])
    active = BooleanField("Active (can log in)")


class NewUserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField("Temporary password", validators=[DataRequired(), Length(min=10, max=256)])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, default=["teacher"])
    school_id = SelectField("School", coerce=int, validators=[Optional()])


class InviteForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, default="teacher")
    school_id = SelectField("School", coerce=int, validators=[Optional()])
    max_uses = IntegerField("How many people may use it", default=1,
                            validators=[DataRequired(), NumberRange(min=1, max=1000)])
    days = IntegerField("Valid for (days)", default=14, validators=[DataRequired(), NumberRange(min=1, max=365)])
