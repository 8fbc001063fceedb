"""Baking: one uncompressed iTXt chunk before IEND, nothing else touched; SVG elements; sanitizing SVG."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image

from app.credentials.openbadges import baking, images
from app.errors import ValidationError


def png_bytes(size=(64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "PNG")
    return out.getvalue()


def chunks(data: bytes):
    pos, found = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        found.append((kind, body, data[pos:pos + 12 + length]))
        pos += 12 + length
    return found


def test_png_gets_one_uncompressed_itxt_before_iend_without_reencoding():
    source = png_bytes()
    payload = json.dumps({"id": "https://example.org/a/1", "name": "Ünïcode"})
    baked = baking.bake_png(source, payload)
    before, after = chunks(source), chunks(baked)
    assert [c for c in after if c[0] != b"iTXt"] == before  # every original chunk byte for byte
    assert [c[0] for c in after][-2:] == [b"iTXt", b"IEND"]
    itxt = [c for c in after if c[0] == b"iTXt"]
    assert len(itxt) == 1
    body = itxt[0][1]
    assert body.startswith(b"openbadges\0\0\0")  # keyword, compression flag 0, method 0
    assert baking.unbake_png(baked) == payload
    assert len(baked) == len(source) + len(itxt[0][2])
    Image.open(io.BytesIO(baked)).load()  # still a valid image


def test_rebaking_replaces_the_payload():
    baked = baking.bake_png(baking.bake_png(png_bytes(), "first"), "second")
    assert baking.unbake_png(baked) == "second"
    assert sum(1 for c in chunks(baked) if c[0] == b"iTXt") == 1
    both = baking.bake_png(baked, "{}", keyword=baking.OB3_KEYWORD)
    assert baking.unbake_png(both) == "second" and baking.unbake_png(both, keyword=baking.OB3_KEYWORD) == "{}"


def test_not_a_png_is_refused():
    with pytest.raises(baking.BakingError):
        baking.bake_png(b"GIF89a....", "x")
    with pytest.raises(baking.BakingError):
        baking.bake_png(png_bytes()[:-20], "x")


def test_svg_hosted_and_signed():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
    hosted = baking.bake_svg(svg, verify="https://example.org/a/1", embedded_json='{"a": "]]>"}')
    assert hosted.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" '
                             b'xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://example.org/a/1">')
    assert baking.unbake_svg(hosted) == {"verify": "https://example.org/a/1", "text": '{"a": "]]>"}'}
    signed = baking.bake_svg(svg, verify="aaa.bbb.ccc")
    assert b'<openbadges:assertion verify="aaa.bbb.ccc"/>' in signed
    rebaked = baking.bake_svg(signed, verify="ddd.eee.fff")
    assert rebaked.count(b"openbadges:assertion") == 1 and rebaked.count(b"xmlns:openbadges") == 1
    with pytest.raises(baking.BakingError):
        baking.bake_svg(b"<html></html>", verify="x")


HOSTILE_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)" viewBox="0 0 10 10">
<script>alert(1)</script>
<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
<image href="https://evil.example/track.png" width="10" height="10"/>
<use xlink:href="https://evil.example/sprite.svg#a"/>
<use href="#ok"/>
<rect id="ok" width="10" height="10" fill="url(https://evil.example/x)" onclick="steal()"/>
<circle cx="5" cy="5" r="2" fill="url(#grad)" style="background:url(https://evil.example/y)"/>
<a href="javascript:alert(1)"><text>hi</text></a>
</svg>"""


def test_svg_is_sanitized():
    clean = images.sanitize_svg(HOSTILE_SVG)
    text = clean.decode()
    for bad in ["script", "onload", "onclick", "foreignObject", "evil.example", "javascript", "<image", "style="]:
        assert bad not in text, bad
    assert 'href="#ok"' in text and 'fill="url(#grad)"' in text and "<rect" in text


@pytest.mark.parametrize("data,message", [
    (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "DOCTYPE"),
    (b"<svg", "could not be read"),
    (b'<html xmlns="http://www.w3.org/1999/xhtml"></html>', "not an SVG"),
])
def test_unusable_svg_is_refused(data, message):
    with pytest.raises(ValidationError) as refused:
        images.sanitize_svg(data)
    assert refused.value.field == "svg" and message in refused.value.message


def test_png_checks():
    assert images.check_png(png_bytes()).startswith(b"\x89PNG")
    for data in [b"not an image", png_bytes()[:50], png_bytes((3000, 10))]:
        with pytest.raises(ValidationError) as refused:
            images.check_png(data)
        assert refused.value.field == "png"


def test_drawn_design_is_a_png_and_an_svg(app, org):
    from tests import factories

    credential = factories.micro_credential(org, name="A rather long credential title for wrapping")
    png, svg = images.drawn_images(credential)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (images.SIZE, images.SIZE)
    assert b"<title>A rather long credential title for wrapping</title>" in svg
    assert images.sanitize_svg(svg)  # our own drawing passes our own sanitizer
