"""Helpers shared by every domain's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from app.errors import ValidationError


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


def apply_validation_error(form: FlaskForm, exc: ValidationError) -> None:
    """Show a service's ValidationError next to the field it names (or on the form)."""
    for name, messages in (exc.fields or {None: [exc.message]}).items():
        field = getattr(form, name, None) if name else None
        target = field.errors if field is not None and hasattr(field, "errors") else form.form_errors
        if isinstance(target, tuple):
            target = list(target)
            field.errors = target
        target.extend(messages)
