from flask import Blueprint

bp = Blueprint("reviewers", __name__, template_folder="templates")
