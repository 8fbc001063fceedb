"""Open Badges publishing: OB 2.0 (hosted and signed), OB 3.0, baking, keys, stacks, revocation."""

from flask import Blueprint

bp = Blueprint("openbadges", __name__, template_folder="templates")

from app.credentials.openbadges import publishing, stacks  # noqa: E402,F401  (award_issued receivers)
from app.credentials.openbadges.cache import install as install_assertion_cache  # noqa: E402
