"""The teacher's dashboard: reads learning, evidence and awards (it sits on top,
like portfolio and analytics, so it may read every domain)."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, template_folder="templates")
