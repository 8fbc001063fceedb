"""API: the program figures as JSON, for admins and program leads (bearer token).

The same services as the dashboards: ``GET /api/v1/analytics/{dashboard}`` gives
every table of a dashboard, ``GET /api/v1/analytics/{dashboard}/{table}`` one
table; both take the dashboards' filters as query arguments.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError as SchemaError, fields, validate, validates_schema

from app.accounts.auth import api_user
from app.analytics import services
from app.analytics.policies import ANALYTICS_ROLES, require_analytics
from app.api import BEARER, bp
from app.api.submissions import errors


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


class DashboardOut(Schema):
    key = fields.String()
    title = fields.String()
    tables = fields.List(fields.Nested(TableOut))


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
