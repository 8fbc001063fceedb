"""Learning pages: start a credential, the module overview, its sections, the goal date."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.credentials import services as credential_services
from app.credentials.models import Credential
from app.db import utcnow
from app.errors import ValidationError
from app.extensions import db
from app.forms import apply_validation_error
from app.learning import bp, services
from app.learning.forms import GoalForm, StartForm
from app.learning.models import Enrollment


def has_endpoint(name: str) -> bool:
    """Whether the app has a view named ``name``, so a template can offer a link
    to a page another domain adds without failing before that page exists."""
    return name in current_app.view_functions


def _enrollment_for(credential: Credential) -> Enrollment | None:
    """The current user's enrollment in ``credential`` (any version), in one query."""
    if not current_user.is_authenticated or credential.is_stack:
        return None
    return services.find_enrollment(teacher=current_user, slug=credential.slug, load=False)


@bp.app_context_processor
def _learning_helpers() -> dict:
    return {
        "enrollment_for": _enrollment_for,
        "new_start_form": StartForm,
        "has_endpoint": has_endpoint,
        "earliest_goal_date": services.earliest_goal_date,
    }


@bp.app_template_filter("long_date")
def _long_date(day: date | None) -> str:
    """``Friday, June 5, 2026``."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}" if day else ""


@bp.app_template_filter("relative_day")
def _relative_day(day: date) -> str:
    """``today``, ``tomorrow``, ``in 5 days``, ``3 days ago`` (from the UTC date)."""
    days = (day - utcnow().date()).days
    named = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if days in named:
        return named[days]
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def _not_enrolled(slug: str) -> Response:
    flash("Start this credential to open its module. It is free, and a goal date is optional.", "info")
    return redirect(url_for("credentials.detail", slug=slug))


def _render_module(enrollment: Enrollment, goal_form: GoalForm, status: int = 200):
    return render_template(
        "learning/module.html",
        enrollment=enrollment,
        credential=enrollment.credential,
        module=enrollment.credential.module,
        summary=services.progress(enrollment),
        goal_form=goal_form,
    ), status


@bp.route("/credentials/<slug>/start", methods=["POST"])
@login_required
def start(slug: str):
    credential = credential_services.get_published_credential(slug)
    form = StartForm()
    if form.validate_on_submit():
        try:
            services.enroll(teacher=current_user, credential=credential, goal_date=form.goal_date.data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            db.session.commit()
            flash(f"You are working on “{credential.name}”. Your progress is saved as you go.", "success")
            return redirect(url_for("learning.module", slug=credential.slug))
    return render_template(
        "credentials/detail.html",
        credential=credential,
        stacks=credential_services.stacks_containing(credential),
        start_form=form,
    ), 422


@bp.route("/learn/<slug>")
@login_required
def module(slug: str):
    enrollment = services.find_enrollment(teacher=current_user, slug=slug)
    if enrollment is None:
        return _not_enrolled(slug)
    return _render_module(enrollment, GoalForm(obj=enrollment))


@bp.route("/learn/<slug>/goal", methods=["POST"])
@login_required
def goal(slug: str):
    enrollment = services.find_enrollment(teacher=current_user, slug=slug)
    if enrollment is None:
        return _not_enrolled(slug)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            services.set_goal_date(teacher=current_user, enrollment=enrollment, goal_date=form.goal_date.data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            db.session.commit()
            flash("Your goal date is saved." if form.goal_date.data else "Your goal date is cleared.", "success")
            return redirect(url_for("learning.module", slug=slug))
    return _render_module(enrollment, form, 422)


@bp.route("/learn/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str):
    enrollment = services.find_enrollment(teacher=current_user, slug=slug)
    if enrollment is None:
        return _not_enrolled(slug)
    name = enrollment.credential.name
    services.leave(teacher=current_user, enrollment=enrollment)
    db.session.commit()
    flash(f"You stopped working on “{name}”. Your progress is kept: start it again any time.", "info")
    return redirect(url_for("dashboard.index"))


@bp.route("/learn/<slug>/sections/<int:section_id>")
@login_required
def section(slug: str, section_id: int):
    enrollment = services.find_enrollment(teacher=current_user, slug=slug)
    if enrollment is None:
        return _not_enrolled(slug)
    current = services.section_of(enrollment, section_id)
    services.visit_section(teacher=current_user, enrollment=enrollment, section=current)
    previous, following = services.neighbours(enrollment, current)
    # Render before committing: a commit expires every loaded row, and the page
    # would then reload them one by one.
    html = render_template(
        "learning/section.html",
        enrollment=enrollment,
        credential=enrollment.credential,
        module=enrollment.credential.module,
        section=current,
        previous=previous,
        following=following,
        summary=services.progress(enrollment),
    )
    db.session.commit()
    return html


@bp.route("/learn/<slug>/sections/<int:section_id>/done", methods=["POST"])
@login_required
def section_done(slug: str, section_id: int):
    enrollment = services.find_enrollment(teacher=current_user, slug=slug)
    if enrollment is None:
        return _not_enrolled(slug)
    current = services.section_of(enrollment, section_id)
    title = current.title
    services.mark_section_done(teacher=current_user, enrollment=enrollment, section=current)
    db.session.commit()
    flash(f"“{title}” is marked as done.", "success")
    return redirect(url_for("learning.section", slug=slug, section_id=section_id))


@bp.route("/learn/<slug>/sections/<int:section_id>/undone", methods=["POST"])
@login_required
def section_undone(slug: str, section_id: int):
    enrollment = services.find_enrollment(teacher=current_user, slug=slug)
    if enrollment is None:
        return _not_enrolled(slug)
    current = services.section_of(enrollment, section_id)
    title = current.title
    services.mark_section_not_done(teacher=current_user, enrollment=enrollment, section=current)
    db.session.commit()
    flash(f"“{title}” is marked as not done.", "info")
    return redirect(url_for("learning.section", slug=slug, section_id=section_id))
