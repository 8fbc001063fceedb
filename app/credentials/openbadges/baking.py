"""Baking: put an assertion (or credential) inside a badge image, and read it back.

PNG: one uncompressed ``iTXt`` chunk (keyword ``openbadges`` for OB 2.0,
``openbadgecredential`` for OB 3.0) inserted just before ``IEND``. The image
data is not decoded or re-encoded: chunks are copied byte for byte, so baking
costs about one copy of the file. An existing chunk with the same keyword is
dropped first, so baking a baked image replaces its payload.

SVG: the ``xmlns:openbadges`` namespace on the root element and one
``<openbadges:assertion>`` (OB 2.0) or ``<openbadges:credential>`` (OB 3.0)
element right after the opening ``<svg>`` tag: ``verify="URL"`` plus the JSON
as CDATA for hosted assertions, ``verify="JWS"`` for signed ones.
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.sax.saxutils import quoteattr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB2_KEYWORD = "openbadges"
OB3_KEYWORD = "openbadgecredential"
OB2_SVG_NS = "http://openbadges.org"
OB3_SVG_NS = "https://purl.imsglobal.org/ob/v3p0"


class BakingError(ValueError):
    """The image is not a PNG or SVG that can carry a badge."""


def _chunks(data: bytes):
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image")
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise BakingError("truncated PNG chunk")
        yield kind, data[pos + 8:pos + 8 + length], pos, end
        pos = end
        if kind == b"IEND":
            return
    raise BakingError("PNG has no IEND chunk")


def _itxt_keyword(body: bytes) -> str:
    return body.split(b"\0", 1)[0].decode("latin-1")


def itxt_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt chunk: keyword, flags 0/0, empty language and translated keyword, UTF-8 text."""
    body = keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    return struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)


def bake_png(image: bytes, payload: str, *, keyword: str = OB2_KEYWORD) -> bytes:
    """``image`` with ``payload`` in one iTXt chunk before IEND (any old chunk of ``keyword`` removed)."""
    parts: list[bytes] = [PNG_SIGNATURE]
    for kind, body, start, end in _chunks(image):
        if kind == b"iTXt" and _itxt_keyword(body) == keyword:
            continue
        if kind == b"IEND":
            parts.append(itxt_chunk(keyword, payload))
        parts.append(image[start:end])
    return b"".join(parts)


def unbake_png(image: bytes, *, keyword: str = OB2_KEYWORD) -> str | None:
    """The text of the ``keyword`` iTXt chunk, or None."""
    for kind, body, _start, _end in _chunks(image):
        if kind == b"iTXt" and _itxt_keyword(body) == keyword:
            rest = body[len(keyword.encode("latin-1")) + 1:]
            if len(rest) < 2 or rest[0] != 0:
                raise BakingError("compressed iTXt chunks are not used for badges")
            _language, rest = rest[2:].split(b"\0", 1)
            _translated, text = rest.split(b"\0", 1)
            return text.decode("utf-8")
    return None


_SVG_OPEN = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE)
_BAKED = re.compile(rb"<openbadges:(?:assertion|credential)\b.*?(?:/>|</openbadges:(?:assertion|credential)>)", re.S)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(image: bytes, *, verify: str, embedded_json: str | None = None, ob3: bool = False) -> bytes:
    """``image`` with the badge element after ``<svg>``; ``embedded_json`` goes in as CDATA."""
    image = _BAKED.sub(b"", image)
    match = _SVG_OPEN.search(image)
    if match is None:
        raise BakingError("not an SVG image")
    tag = match.group(0)
    namespace = OB3_SVG_NS if ob3 else OB2_SVG_NS
    element_name = "openbadges:credential" if ob3 else "openbadges:assertion"
    tag = re.sub(rb'\sxmlns:openbadges\s*=\s*("[^"]*"|\'[^\']*\')', b"", tag)
    closing = b"/>" if tag.endswith(b"/>") else b">"
    if closing == b"/>":
        raise BakingError("the SVG root element is empty")
    tag = tag[: -len(closing)].rstrip() + f' xmlns:openbadges="{namespace}"'.encode() + closing
    if embedded_json is None:
        element = f"<{element_name} verify={quoteattr(verify)}/>"
    else:
        element = f"<{element_name} verify={quoteattr(verify)}>{_cdata(embedded_json)}</{element_name}>"
    return image[: match.start()] + tag + element.encode("utf-8") + image[match.end():]


def unbake_svg(image: bytes) -> dict | None:
    """``{"verify": ..., "text": ...}`` of the baked element, or None."""
    match = re.search(
        rb"<openbadges:(assertion|credential)\b[^>]*?verify=(\"[^\"]*\"|'[^']*')[^>]*?(/>|>(.*?)</openbadges:\1>)",
        image, re.S,
    )
    if match is None:
        return None
    from html import unescape

    text = match.group(4) or b""
    text = re.sub(rb"^<!\[CDATA\[|\]\]>$", b"", text.strip()).replace(b"]]]]><![CDATA[>", b"]]>")
    return {"verify": unescape(match.group(2)[1:-1].decode()), "text": text.decode() or None}


__all__ = [
    "BakingError", "OB2_KEYWORD", "OB3_KEYWORD", "bake_png", "bake_svg", "itxt_chunk", "unbake_png", "unbake_svg",
]
