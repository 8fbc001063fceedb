from flask import Blueprint

bp = Blueprint("reviewers", __name__, template_folder="templates")

from app.reviewers import hooks, policies  # noqa: E402,F401  (register the read rules, signal receivers, feedback loader)
