"""JSON-LD processing for OB 3.0 with the two contexts vendored in ``contexts/``.

The document loader answers only those two URLs, from the files shipped with
the application; anything else is refused, so canonicalizing a credential
never touches the network and a credential naming an unknown context cannot
be signed or verified.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from pyld import jsonld

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_FILES = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OB_V3: "ob-context-3.0.3.json",
}
CONTEXT_DIR = Path(__file__).with_name("contexts")


class UnknownContext(jsonld.JsonLdError):
    pass


@lru_cache(maxsize=None)
def _context(url: str) -> dict:
    return json.loads((CONTEXT_DIR / _FILES[url]).read_text("utf-8"))


def offline_loader(url: str, options: dict | None = None) -> dict:
    """pyld document loader serving the vendored contexts only."""
    if url not in _FILES:
        raise UnknownContext(f"refusing to load {url}: only the vendored contexts are available",
                             "jsonld.LoadDocumentError", code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": copy.deepcopy(_context(url))}


def canonize(document: dict) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of ``document``."""
    return jsonld.normalize(
        document,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": offline_loader, "safe": True},
    )


__all__ = ["CREDENTIALS_V2", "OB_V3", "canonize", "offline_loader"]
