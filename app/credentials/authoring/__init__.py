"""Catalog authoring for designers: frameworks, modules, credentials, versions, sharing."""

from flask import Blueprint

bp = Blueprint("authoring", __name__, url_prefix="/author", template_folder="templates")
