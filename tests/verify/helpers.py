"""Send one input to /verify (the page) or POST /api/v1/verify and read the status back."""

from __future__ import annotations

import io
import re

from app.credentials.openbadges import publishing

CHANNELS = ["page", "api"]


def verify(client, channel: str, *, text: str | None = None, data: bytes | None = None, filename: str = "badge.png",
           email: str | None = None) -> tuple[str, dict[str, bool | None], str]:
    """(status, {check name: passed}, page text or message) for one input through ``channel``."""
    if channel == "api":
        if data is not None:
            form = {"file": (io.BytesIO(data), filename), **({"email": email} if email else {})}
            response = client.post("/api/v1/verify", data=form, content_type="multipart/form-data")
        else:
            response = client.post("/api/v1/verify", json={"input": text, **({"email": email} if email else {})})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return body["status"], {c["name"]: c["passed"] for c in body["checks"]}, body["message"]
    form = {"email": email or ""}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    else:
        form["text"] = text
    response = client.post("/verify", data=form, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    status = re.search(r'data-status="([a-z_]+)"', page).group(1)
    checks = {}
    for mark, name in re.findall(r'class="verify-check verify-check--([a-z-]+)" data-check="([a-z_]+)"', page):
        checks[name] = {"passed": True, "failed": False}.get(mark)
    return status, checks, page


def document(award, kind: str) -> str:
    return publishing.document(award, kind).body


def baked(award, kind: str) -> bytes:
    return publishing.read_baked(publishing.document(award, kind))
