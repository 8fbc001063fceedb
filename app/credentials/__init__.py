from flask import Blueprint

bp = Blueprint("credentials", __name__, template_folder="templates")
