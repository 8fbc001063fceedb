"""API: the published catalog."""

from __future__ import annotations

from sqlalchemy import select

from app.api import bp, public
from app.api.schemas import CatalogPage, CatalogQuery, CredentialDetail, ErrorEnvelope
from app.credentials import services
from app.credentials.models import Credential
from app.errors import NotFound
from app.extensions import db


@bp.route("/credentials", methods=["GET"])
@bp.arguments(CatalogQuery, location="query")
@bp.response(200, CatalogPage)
@public
def list_credentials(args: dict):
    """The published catalog (newest version of each credential); no token needed."""
    query = services.catalog_query(
        search=args["q"], competency_id=args["competency"], domain=args["domain"], kind=args["kind"]
    )
    page = db.paginate(query, page=args["page"], per_page=args["per_page"], error_out=False)
    return {"items": page.items, "page": page.page, "pages": page.pages, "total": page.total}


@bp.route("/credentials/<int:credential_id>", methods=["GET"])
@bp.response(200, CredentialDetail)
@bp.alt_response(404, schema=ErrorEnvelope, description="No such published credential")
@public
def get_credential(credential_id: int):
    """One published credential with its requirements, rubric (criteria with levels) and policy."""
    slug = db.session.scalar(
        select(Credential.slug).where(Credential.id == credential_id, Credential.published.is_(True))
    )
    if slug is None:
        raise NotFound("No published credential has that id.")
    credential = services.get_published_credential(slug)
    if credential.id != credential_id:
        # An older published version: still readable by id, with the same shape.
        credential = db.get_or_404(Credential, credential_id)
    return credential
