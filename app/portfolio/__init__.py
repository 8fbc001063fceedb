"""The earner's backpack: her portfolio of awards, the public profile, sharing and the export.

It sits on top of the domains (like verify and analytics): it may read every
package, and nothing imports it except the API.
"""

from flask import Blueprint

bp = Blueprint("portfolio", __name__, template_folder="templates")
