"""The public catalog: list with search and filters, and the credential page."""

from __future__ import annotations

from flask import render_template, request

from app.credentials import bp, services
from app.extensions import db
from app.markdown import render_markdown


@bp.app_template_filter("markdown")
def _markdown_filter(source: str | None):
    return render_markdown(source)


@bp.route("/credentials")
def catalog():
    search = (request.args.get("q") or "").strip()[:200]
    competency_id = request.args.get("competency", type=int)
    domain = (request.args.get("domain") or "").strip()
    kind = (request.args.get("kind") or "").strip()
    query = services.catalog_query(search=search, competency_id=competency_id, domain=domain, kind=kind)
    page = db.paginate(query, per_page=24, error_out=False)
    return render_template(
        "credentials/catalog.html",
        page=page,
        filters=services.catalog_filters(),
        search=search,
        competency_id=competency_id,
        domain=domain,
        kind=kind,
    )


@bp.route("/credentials/<slug>")
def detail(slug: str):
    credential = services.get_published_credential(slug)
    return render_template(
        "credentials/detail.html",
        credential=credential,
        stacks=services.stacks_containing(credential),
    )
