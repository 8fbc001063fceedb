"""Authoring services: every rule of the designer-facing catalog editor.

Split by subject; import from here. Each function takes the acting author,
checks the authoring policy, flushes and never commits.
"""

from app.credentials.authoring.services.credentials import *  # noqa: F401,F403
from app.credentials.authoring.services.frameworks import *  # noqa: F401,F403
from app.credentials.authoring.services.interchange import (  # noqa: F401
    KEEP,
    apply_document,
    create_from_document,
    export_document,
    update_from_document,
)  # noqa: F401
from app.credentials.authoring.services.modules import *  # noqa: F401,F403
from app.credentials.authoring.services.sharing import *  # noqa: F401,F403
from app.credentials.authoring.services.versions import *  # noqa: F401,F403
