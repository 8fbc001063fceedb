"""The home page and the health check."""

from flask import render_template
from sqlalchemy import text

from app.credentials.services import catalog_query
from app.extensions import db
from app.main import bp


@bp.route("/")
def index():
    featured = db.session.scalars(catalog_query().limit(6)).all()
    return render_template("main/index.html", featured=featured)


@bp.route("/healthz")
def healthz():
    """For load balancers: the app answers and the database is reachable."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
