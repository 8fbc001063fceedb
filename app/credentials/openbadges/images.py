"""Badge images: a designer's upload (PNG, or SVG made safe) or a design drawn for the credential.

Every credential version has both a PNG (what baked PNGs are made from) and an
SVG (what baked SVGs are made from):

* uploaded PNG: checked with Pillow (a real, complete PNG, at most
  ``MAX_SIDE`` pixels a side), re-encoded from its pixels so no metadata
  travels; its SVG form embeds it as a ``data:`` image.
* uploaded SVG: parsed without DTDs or entities and rebuilt from an allow list
  of elements and attributes: no scripts, no ``foreignObject``, no event
  handlers, no links or styles that reach outside the document. The PNG form
  is the drawn design unless a PNG is uploaded too.
* nothing uploaded: a design drawn from the credential (a shape and a colour
  picked from its slug, the title wrapped across it), the same in PNG and SVG.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import textwrap
import xml.etree.ElementTree as ET
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app.accounts.models import User
from app.audit import record_event
from app.credentials.models import Credential
from app.errors import ValidationError
from app.storage import get_storage

MAX_IMAGE_BYTES = 1024 * 1024
MAX_SIDE = 2048
SIZE = 400
PNG = "image/png"
SVG = "image/svg+xml"

PALETTE = ["#1f6f8b", "#2e7d32", "#6a1b9a", "#b23a48", "#c77700", "#00695c", "#37474f", "#3949ab"]
SHAPES = ["circle", "hexagon", "shield"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

ALLOWED_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "symbol", "use", "pattern",
}
ALLOWED_ATTRIBUTES = {
    "id", "class", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "d", "points", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "opacity", "transform", "offset", "stop-color",
    "stop-opacity", "gradientUnits", "gradientTransform", "font-family", "font-size", "font-weight",
    "text-anchor", "dominant-baseline", "preserveAspectRatio", "clip-path", "mask", "href", "version",
    "patternUnits", "letter-spacing", "clip-rule", "role", "aria-label", "fx", "fy", "spreadMethod",
}
_URL_REF = re.compile(r"url\(\s*['\"]?([^)'\"]*)", re.I)


def _design(credential: Credential) -> tuple[str, str]:
    digest = hashlib.sha256(credential.slug.encode()).digest()
    return SHAPES[digest[0] % len(SHAPES)], PALETTE[digest[1] % len(PALETTE)]


def _shape_points(shape: str) -> list[tuple[float, float]]:
    c, r = SIZE / 2, SIZE / 2 - 12
    if shape == "hexagon":
        import math

        return [(c + r * math.cos(math.radians(60 * i - 90)), c + r * math.sin(math.radians(60 * i - 90)))
                for i in range(6)]
    # shield
    return [(40, 30), (360, 30), (360, 210), (200, 380), (40, 210)]


def _title_lines(name: str) -> list[str]:
    return textwrap.wrap(name, width=16)[:4] or [name[:16]]


@lru_cache(maxsize=256)
def _drawn(slug: str, name: str, shape: str, colour: str) -> tuple[bytes, bytes]:
    """(PNG bytes, SVG bytes) of the drawn design; pure, so cached per process."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse((12, 12, SIZE - 12, SIZE - 12), fill=colour, outline="#ffffff", width=8)
        outline = f'<circle cx="200" cy="200" r="188" fill="{colour}" stroke="#ffffff" stroke-width="8"/>'
    else:
        points = _shape_points(shape)
        draw.polygon(points, fill=colour, outline="#ffffff", width=8)
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        outline = f'<polygon points="{pts}" fill="{colour}" stroke="#ffffff" stroke-width="8"/>'
    font = ImageFont.load_default(size=34)
    lines = _title_lines(name)
    top = SIZE / 2 - (len(lines) - 1) * 21
    texts = []
    for i, line in enumerate(lines):
        y = top + i * 42
        draw.text((SIZE / 2, y), line, fill="#ffffff", font=font, anchor="mm")
        escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        texts.append(f'<text x="200" y="{y:.0f}" fill="#ffffff" font-family="sans-serif" font-size="30" '
                     f'text-anchor="middle" dominant-baseline="middle">{escaped}</text>')
    out = io.BytesIO()
    image.save(out, "PNG")
    title = name.replace("&", "&amp;").replace("<", "&lt;")
    svg = (f'<svg xmlns="{SVG_NS}" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" role="img">'
           f"<title>{title}</title>{outline}{''.join(texts)}</svg>")
    return out.getvalue(), svg.encode("utf-8")


def drawn_images(credential: Credential) -> tuple[bytes, bytes]:
    shape, colour = _design(credential)
    return _drawn(credential.slug, credential.name, shape, colour)


def _read(key: str) -> bytes:
    with get_storage().open(key) as handle:
        return handle.read()


def badge_png(credential: Credential) -> bytes:
    """The PNG the credential's badges are baked from."""
    return _read(credential.image_key) if credential.image_key else drawn_images(credential)[0]


def badge_svg(credential: Credential) -> bytes:
    """The SVG the credential's badges are baked from."""
    if credential.image_svg_key:
        return _read(credential.image_svg_key)
    if credential.image_key:
        encoded = base64.b64encode(_read(credential.image_key)).decode("ascii")
        return (f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="{SIZE}" height="{SIZE}" '
                f'viewBox="0 0 {SIZE} {SIZE}"><image width="{SIZE}" height="{SIZE}" '
                f'href="data:image/png;base64,{encoded}"/></svg>').encode("ascii")
    return drawn_images(credential)[1]


# --- uploads -------------------------------------------------------------------------------


def check_png(data: bytes) -> bytes:
    """A designer's PNG, re-encoded from its pixels (no metadata); raises ValidationError("png", ...)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError("png", "Badge images must be 1 MB or smaller.")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError("png", "This is not a PNG file. Export the badge as PNG and try again.")
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        if image.width > MAX_SIDE or image.height > MAX_SIDE:
            raise ValidationError("png", f"Badge images may be at most {MAX_SIDE} pixels on a side.")
        image.load()
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - decoders raise many types on hostile input
        raise ValidationError("png", "This PNG could not be read; it may be damaged. Export it again.") from None
    clean = Image.frombytes("RGBA", image.size, image.convert("RGBA").tobytes())
    out = io.BytesIO()
    clean.save(out, "PNG")
    return out.getvalue()


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _safe_reference(value: str) -> bool:
    return value.strip().startswith("#") or value.strip().startswith("data:image/png;base64,")


def _clean_element(element: ET.Element) -> None:
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in ALLOWED_ELEMENTS \
                or not child.tag.startswith("{" + SVG_NS + "}"):
            element.remove(child)
            continue
        _clean_element(child)
    for name, value in list(element.attrib.items()):
        local = _local(name)
        namespace_ok = "}" not in name or name.startswith("{" + XLINK_NS + "}")
        if not namespace_ok or local not in ALLOWED_ATTRIBUTES or local.lower().startswith("on"):
            del element.attrib[name]
        elif local == "href" and not value.strip().startswith("#"):
            del element.attrib[name]
        elif any(not _safe_reference(ref) for ref in _URL_REF.findall(value)) or "javascript:" in value.lower():
            del element.attrib[name]


def sanitize_svg(data: bytes) -> bytes:
    """An SVG rebuilt from the allow list; raises ValidationError("svg", ...) when it is not an SVG."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError("svg", "Badge images must be 1 MB or smaller.")
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.I):
        raise ValidationError("svg", "SVG files with a DOCTYPE or entities are not accepted. Export a plain SVG.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise ValidationError("svg", "This SVG could not be read. Export it again as plain SVG.") from None
    if root.tag != "{" + SVG_NS + "}svg":
        raise ValidationError("svg", "This is not an SVG image.")
    _clean_element(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def set_badge_image(credential: Credential, *, designer: User, png: bytes | None, svg: bytes | None) -> Credential:
    """Store a designer's PNG and/or SVG as the credential version's badge image (flushed).

    Raises ValidationError("png"|"svg", ...) for unusable files and when neither is given.
    """
    from app.credentials.policies import require_author

    require_author(designer, credential.issuer_id)
    if not png and not svg:
        raise ValidationError("png", "Choose a PNG or an SVG file to upload.")
    storage = get_storage()
    clean_png = check_png(png) if png else None
    clean_svg = sanitize_svg(svg) if svg else None
    if clean_png is not None:
        credential.image_key = storage.save(io.BytesIO(clean_png), key_prefix=f"badges/images/{credential.id}",
                                            max_bytes=4 * MAX_IMAGE_BYTES).key
    if clean_svg is not None:
        credential.image_svg_key = storage.save(io.BytesIO(clean_svg), key_prefix=f"badges/images/{credential.id}",
                                                max_bytes=4 * MAX_IMAGE_BYTES).key
    record_event(actor=designer, action="credential.badge_image", object_type="credential",
                 object_id=credential.id, png=clean_png is not None, svg=clean_svg is not None)
    from app.extensions import db

    db.session.flush()
    return credential


def clear_badge_image(credential: Credential, *, designer: User) -> Credential:
    """Go back to the drawn design (flushed). Baked images already issued keep theirs."""
    from app.credentials.policies import require_author

    require_author(designer, credential.issuer_id)
    credential.image_key = None
    credential.image_svg_key = None
    record_event(actor=designer, action="credential.badge_image_cleared", object_type="credential",
                 object_id=credential.id)
    return credential
