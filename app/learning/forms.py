"""Forms of the learning pages. They check shape; the services check the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional

GOAL_HINT = "The day you would like to have earned it by. You can change it any time."
BAD_DATE = "Enter a date such as 2030-06-30 (year, month, day)."


class StartForm(FlaskForm):
    """Start a credential, with an optional goal date."""

    goal_date = DateField("Goal date", validators=[Optional()], description=GOAL_HINT,
                          invalid_value_message=BAD_DATE)


class GoalForm(FlaskForm):
    """Change or clear the goal date of an enrollment."""

    goal_date = DateField("Goal date", validators=[Optional()], description=GOAL_HINT,
                          invalid_value_message=BAD_DATE)
