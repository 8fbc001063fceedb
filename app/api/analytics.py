"""API: the program figures as JSON, for admins and program leads (bearer token).

The same services as the dashboards: ``GET /api/v1/analytics/{dashboard}`` gives
every table of a dashboard, ``GET /api/v1/analytics/{dashboard}/{table}`` one
table; both take the dashboards' filters as query arguments. ``POST
/api/v1/analytics/refresh`` refreshes the summaries (a token with the write scope).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError as SchemaError, fields, validate, validates_schema

from app.accounts.auth import api_user
from app.analytics import services
from app.analytics.policies import ANALYTICS_ROLES, require_analytics
from app.api import BEARER, bp, writer
from app.api.submissions import errors
from app.extensions import db


class AnalyticsQuery(Schema):
    class Meta:
        unknown = RAISE

    start = fields.Date(load_default=None, metadata={"description": "First day (inclusive); all time when absent"})
    end = fields.Date(load_default=None, metadata={"description": "Last day (inclusive)"})
    school_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    framework_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    credential_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1),
                          metadata={"description": "Page of schools (equity dashboard)"})

    @validates_schema
    def _order(self, data, **_kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise SchemaError("The end date must be on or after the start date.", field_name="end")


class ColumnOut(Schema):
    key = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"description": "int, float, pct (a share from 0 to 1), days or text"})


class TableOut(Schema):
    key = fields.String()
    title = fields.String()
    note = fields.String()
    total = fields.Integer(allow_none=True, metadata={"description": "Rows over all pages, for paged tables"})
    columns = fields.List(fields.Nested(ColumnOut))
    rows = fields.List(fields.Dict(keys=fields.String()))
    summarised = fields.Boolean(metadata={
        "description": "Whether this table comes from the summaries (as of refreshed_at) or was computed live"})


class DashboardOut(Schema):
    key = fields.String()
    title = fields.String()
    refreshed_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the summaries were last refreshed (figures as of); null before the first refresh"})
    pending_days = fields.Integer(metadata={"description": "Days changed since, waiting for the next refresh"})
    summarised = fields.Boolean(metadata={
        "description": "Whether any table comes from the summaries (false: all computed live, e.g. for one "
                       "school); each table says which it is"})
    tables = fields.List(fields.Nested(TableOut))


class RefreshIn(Schema):
    class Meta:
        unknown = RAISE

    full = fields.Boolean(load_default=False, metadata={"description": "Rebuild every day, not only the changed ones"})


class RefreshOut(Schema):
    kind = fields.String(metadata={"description": "full or days"})
    days = fields.Integer(metadata={"description": "Days rebuilt (0 for a full rebuild)"})
    started_at = fields.DateTime()
    finished_at = fields.DateTime()
    message = fields.Function(lambda result: result.summary())


def _reader():
    return require_analytics(api_user(*ANALYTICS_ROLES))


@bp.route("/analytics/<any(credentials, reviewers, impact, equity):name>", methods=["GET"])
@bp.arguments(AnalyticsQuery, location="query", unknown=RAISE)
@bp.response(200, DashboardOut)
@bp.doc(security=BEARER)
@errors(422)
def get_analytics_dashboard(args: dict, name: str):
    """Every table of one dashboard (credentials, reviewers, impact, equity); admins and program leads."""
    return services.build_dashboard(_reader(), name, services.Filters(**args))


@bp.route("/analytics/<any(credentials, reviewers, impact, equity):name>/<table>", methods=["GET"])
@bp.arguments(AnalyticsQuery, location="query", unknown=RAISE)
@bp.response(200, TableOut)
@bp.doc(security=BEARER)
@errors(422)
def get_analytics_table(args: dict, name: str, table: str):
    """One table of a dashboard, with the same filters."""
    return services.build_table(_reader(), name, table, services.Filters(**args))


@bp.route("/analytics/refresh", methods=["POST"])
@bp.arguments(RefreshIn, unknown=RAISE)
@bp.response(200, RefreshOut)
@bp.doc(security=BEARER)
@errors(422)
def refresh_analytics(args: dict):
    """Refresh the dashboards' summaries now (the days changed since the last refresh, or every day
    with ``full``); admins and program leads."""
    result = services.refresh_analytics(require_analytics(writer()), full=args["full"])
    db.session.commit()
    return result
