from flask import Blueprint

bp = Blueprint("reviewers", __name__, template_folder="templates")

from app.reviewers import policies  # noqa: E402,F401  (registers the reviewer read rules with evidence)
