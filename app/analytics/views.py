"""Analytics pages and CSV downloads, for admins and program leads."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.auth import role_required
from app.accounts.models import Role
from app.analytics import bp, services
from app.analytics.charts import chart_for
from app.analytics.forms import FilterForm, RefreshForm
from app.extensions import db
from app.analytics.services import Table

DASHBOARD_TITLES = {
    "credentials": "Credentials",
    "reviewers": "Reviewers",
    "impact": "Impact",
    "equity": "Equity and coverage",
}


def _filter_form() -> FilterForm:
    options = services.filter_options(current_user)
    if any(key in request.args for key in ("start", "end", "school_id", "framework_id", "credential_id")):
        form = FilterForm(formdata=request.args)
    else:
        default = services.Filters.default()
        form = FilterForm(formdata=None, start=default.start, end=default.end)
    form.set_options(options)
    form.validate()
    return form


def _page() -> int:
    return request.args.get("page", default=1, type=int) or 1


def table_csv(table: Table) -> str:
    """The table as CSV: a header of column labels, then the formatted rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.label for column in table.columns])
    for row in table.rows:
        writer.writerow([column.format(row.get(column.key)) for column in table.columns])
    return out.getvalue()


@bp.route("")
@role_required(Role.ANALYST)
def index():
    return redirect(url_for("analytics.dashboard", name="credentials"))


@bp.route("/<name>")
@role_required(Role.ANALYST)
def dashboard(name: str):
    if name not in DASHBOARD_TITLES:
        abort(404)
    form = _filter_form()
    filters = form.filters(page=_page())
    board = services.build_dashboard(current_user, name, filters)
    return render_template(
        "analytics/dashboard.html", board=board, form=form, filters=filters, titles=DASHBOARD_TITLES,
        charts={table.key: chart_for(table) for table in board.tables},
        per_page=services.SCHOOLS_PER_PAGE, refresh_form=RefreshForm(formdata=None, dashboard=name),
    )


@bp.route("/refresh", methods=["POST"])
@role_required(Role.ANALYST)
def refresh():
    form = RefreshForm()
    name = form.dashboard.data if form.dashboard.data in DASHBOARD_TITLES else "credentials"
    if not form.validate_on_submit():
        flash("The refresh was not started: reload the page and try again.", "error")
        return redirect(url_for("analytics.dashboard", name=name))
    result = services.refresh_analytics(current_user, full=form.full.data)
    db.session.commit()
    flash(result.summary(), "success")
    return redirect(url_for("analytics.dashboard", name=name))


@bp.route("/<name>/<table>.csv")
@role_required(Role.ANALYST)
def export(name: str, table: str):
    form = _filter_form()
    result = services.build_table(current_user, name, table, form.filters(page=_page()))
    response = Response(table_csv(result), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="analytics-{name}-{table}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
