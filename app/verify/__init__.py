"""Verification for HR: one credential by link, id, image, JSON, JWS or VC-JWT; rosters in bulk.

Nothing imports this package; it reads every other one. ``services.py`` holds the
rules (detection, checks, status), ``fetch.py`` the guarded fetcher for foreign
Open Badges 2.0 nodes, ``receipts.py`` the signed verification receipts.
"""

from flask import Blueprint

bp = Blueprint("verify", __name__, template_folder="templates")
