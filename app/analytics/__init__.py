"""Program analytics: dashboards, CSV exports and the figures' JSON API, for admins and program leads.

Analytics sits on top of every domain and only reads; each figure is one SQL
query (or a few) with the aggregates computed by the database.
"""

from flask import Blueprint

bp = Blueprint("analytics", __name__, template_folder="templates", url_prefix="/analytics")
