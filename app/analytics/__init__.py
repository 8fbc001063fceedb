"""Program analytics: dashboards, CSV exports and the figures' JSON API, for admins and program leads.

Analytics sits on top of every domain and only reads the others' rows; each
figure is one SQL query (or a few) with the aggregates computed by the
database, from per-day summary tables (``models.py``, built by
``summaries.py``) where they answer it, live otherwise.
"""

from flask import Blueprint

bp = Blueprint("analytics", __name__, template_folder="templates", url_prefix="/analytics")

from app.analytics import hooks, models  # noqa: E402,F401  (summary tables, the refresh after decisions)
