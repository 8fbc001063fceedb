"""Dashboard pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from app.dashboard import bp, services


@bp.route("/dashboard")
@login_required
def index():
    return render_template("dashboard/index.html", board=services.teacher_dashboard(current_user))
