"""The public Open Badges addresses, built on ``BASE_URL`` (never on the request's host).

Identifiers must not change once issued, so every id is ``BASE_URL`` plus the
path of a route of this blueprint; ``BASE_URL`` must stay the same for the life
of the deployment.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app

from app.web import site_url


#: ``BASE_URL`` + the path of an endpoint (works without a request).
absolute = site_url


def issuer_url(org_id: int) -> str:
    return absolute("openbadges.issuer", org_id=org_id)


def badge_class_url(credential_id: int) -> str:
    return absolute("openbadges.badge_class", credential_id=credential_id)


def assertion_url(uuid: str) -> str:
    return absolute("openbadges.assertion", uuid=uuid)


def key_url(kid: str) -> str:
    return absolute("openbadges.key", kid=kid)


def revocation_list_url(org_id: int) -> str:
    return absolute("openbadges.revocation_list", org_id=org_id)


def status_list_url(org_id: int) -> str:
    return absolute("openbadges.status_list", org_id=org_id)


def _did_web_root() -> str:
    parts = urlsplit(current_app.config["BASE_URL"])
    segments = [quote(parts.netloc, safe="")] + [quote(s, safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def platform_did() -> str:
    """The DID of the platform (document at ``/.well-known/did.json``)."""
    return _did_web_root()


def issuer_did(org_id: int) -> str:
    """``did:web`` of an issuer; resolves to ``BASE_URL/ob/issuers/<id>/did.json``."""
    return f"{_did_web_root()}:ob:issuers:{org_id}"


def verification_method(org_id: int, kid: str) -> str:
    return f"{issuer_did(org_id)}#{kid}"


def award_urls(award) -> dict[str, str]:
    """Every public address of one award (what ``GET /api/v1/me/awards`` lists)."""
    u = award.uuid
    return {
        "assertion": assertion_url(u),
        "badge_class": badge_class_url(award.credential_id),
        "baked_png": absolute("openbadges.baked", uuid=u, variant="hosted", fmt="png"),
        "baked_svg": absolute("openbadges.baked", uuid=u, variant="hosted", fmt="svg"),
        "signed_png": absolute("openbadges.baked", uuid=u, variant="signed", fmt="png"),
        "signed_svg": absolute("openbadges.baked", uuid=u, variant="signed", fmt="svg"),
        "jws": absolute("openbadges.signed_jws", uuid=u),
        "ob3_credential": absolute("openbadges.ob3_credential", uuid=u),
        "ob3_jwt": absolute("openbadges.ob3_jwt", uuid=u),
        "ob3_png": absolute("openbadges.baked", uuid=u, variant="ob3", fmt="png"),
        "ob3_svg": absolute("openbadges.baked", uuid=u, variant="ob3", fmt="svg"),
        "verification_page": assertion_url(u),
    }
