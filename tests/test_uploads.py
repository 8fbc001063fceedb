"""Upload checks: sniffed types against the allow list, names, accepted kinds, safe
image decoding, thumbnails and metadata stripping, and storing without leftovers."""

from __future__ import annotations

import hashlib
import io
import os
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.errors import ValidationError
from app.storage import LocalStorage, MemoryStorage, Storage, StorageUnavailable
from app.uploads import (
    ALLOWED_TYPES,
    KIND_LABELS,
    KINDS,
    MAX_IMAGE_PIXELS,
    THUMBNAIL_MAX_SIDE,
    check_upload,
    clean_filename,
    discard_upload,
    make_thumbnail,
    sniff,
    store_upload,
    strip_metadata,
)

MB = 1024 * 1024
GPS_IFD = 0x8825
ORIENTATION = 0x0112


# --- sample files, generated -------------------------------------------------------------


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save_args) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "teal" if mode in {"RGB", "RGBA"} else 1).save(out, fmt, **save_args)
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    exif[0x0110] = "Model 12"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def jpeg_with_gps(size: tuple[int, int] = (800, 400), orientation: int | None = 6) -> bytes:
    data = image_bytes("JPEG", size, exif=gps_exif(orientation))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the sample must carry GPS"
    return data


def zip_bytes(entries: list[tuple[str, str]], stored_first: tuple[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first[0], stored_first[1], compress_type=zipfile.ZIP_STORED)
        for name, content in entries:
            archive.writestr(name, content)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def ooxml(folder: str, main: str, *extra: str) -> bytes:
    return zip_bytes(
        [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", "<Relationships/>"), (f"{folder}/{main}", "<x/>")]
        + [(name, "x") for name in extra]
    )


def docx(*extra: str) -> bytes:
    return ooxml("word", "document.xml", *extra)


def odt() -> bytes:
    return zip_bytes([("content.xml", "<office:document-content/>")], ("mimetype", "application/vnd.oasis.opendocument.text"))


def minimal_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 800)
    return out.getvalue()


def mp4_header(brand: bytes = b"isom") -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"iso2" + b"\x00\x00\x00\x08free"


def webm_header() -> bytes:
    return bytes.fromhex("1a45dfa39f4286810142f7810142f2810442f381084282847765626d4287810442858102") + b"\x00" * 50


def mp3_header() -> bytes:
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400


ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 100


def noisy_png(size: tuple[int, int] = (200, 200)) -> bytes:
    """A PNG whose pixel data does not compress, so cutting the file loses pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "PNG")
    return out.getvalue()


def check(name: str, data: bytes, accepted_kinds: list[str] | None = None, max_bytes: int = 10 * MB):
    return check_upload(name, io.BytesIO(data), accepted_kinds=accepted_kinds, max_bytes=max_bytes)


def refusal(name: str, data: bytes, accepted_kinds: list[str] | None = None, max_bytes: int = 10 * MB) -> str:
    with pytest.raises(ValidationError) as caught:
        check(name, data, accepted_kinds, max_bytes)
    assert caught.value.field == "file"
    assert caught.value.fields == {"file": [caught.value.message]}
    return caught.value.message


# --- accepted files ----------------------------------------------------------------------

ACCEPTED: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("classroom.png", lambda: image_bytes("PNG"), "image/png", "image"),
    ("classroom.JPG", lambda: image_bytes("JPEG"), "image/jpeg", "image"),
    ("classroom.jpeg", lambda: image_bytes("JPEG"), "image/jpeg", "image"),
    ("anchor-chart.gif", lambda: image_bytes("GIF"), "image/gif", "image"),
    ("board.webp", lambda: image_bytes("WEBP"), "image/webp", "image"),
    ("unit plan.pdf", minimal_pdf, "application/pdf", "pdf"),
    ("lesson plan.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
    ("grades.xlsx", lambda: ooxml("xl", "workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
    ("slides.pptx", lambda: ooxml("ppt", "presentation.xml"), "application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"),
    ("reflection.odt", odt, "application/vnd.oasis.opendocument.text", "document"),
    ("scores.csv", lambda: b"student,before,after\nA,12,15\nB,9,14\nC,11,13\n", "text/csv", "text"),
    ("reflection.txt", lambda: "Today my students tried the think-pair-share routine. Ça a marché.\n".encode(), "text/plain", "text"),
    ("feedback.wav", wav, "audio/wav", "audio"),
    ("read-aloud.mp3", mp3_header, "audio/mpeg", "audio"),
    ("lesson.mp4", mp4_header, "video/mp4", "video"),
    ("lesson.webm", webm_header, "video/webm", "video"),
]


@pytest.mark.parametrize("name, make, content_type, kind", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_allowed_files_are_accepted(name: str, make: Callable[[], bytes], content_type: str, kind: str) -> None:
    data = make()
    with check(name, data) as checked:
        assert (checked.content_type, checked.kind, checked.size) == (content_type, kind, len(data))
        assert checked.original_name == name
        assert checked.file.read() == data


def test_office_files_are_recognised_even_when_libmagic_sees_a_zip() -> None:
    # [Content_Types].xml not first: many libmagic versions then only say "zip".
    data = zip_bytes([("word/document.xml", "<w/>"), ("_rels/.rels", "x"), ("[Content_Types].xml", CONTENT_TYPES)])
    with check("essay.docx", data) as checked:
        assert checked.kind == "document"
        assert checked.content_type.endswith("wordprocessingml.document")


def test_every_allowed_type_has_a_known_kind_and_extensions() -> None:
    for file_type in ALLOWED_TYPES.values():
        assert set(file_type.kinds) <= set(KINDS) and file_type.extensions
    assert set(KIND_LABELS) == set(KINDS)


# --- refused files -----------------------------------------------------------------------

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html>\n<html><body><script>fetch('/api/v1/me')</script></body></html>\n"

REFUSED = [
    ("diagram.png", SVG, "looks like an SVG image; HTML, SVG, scripts and programs cannot be uploaded"),
    ("notes.txt", HTML, "looks like an HTML page; HTML, SVG, scripts and programs cannot be uploaded"),
    ("page.html", HTML, "looks like an HTML page"),
    ("data.txt", b'<?xml version="1.0"?>\n<root><a>1</a></root>\n', "looks like an XML document"),
    ("setup.sh", b"#!/bin/sh\ncurl http://example.com | sh\n", "looks like a shell script"),
    ("notes.txt", b"#!/bin/bash\nrm -rf ~\n", "looks like a shell script"),
    ("grader.txt", b"#!/usr/bin/env python3\nimport os\nos.system('id')\n", "looks like a Python program"),
    ("app.js", b"#!/usr/bin/env node\nconsole.log(1)\n", "looks like a JavaScript program"),
    ("photo.png", ELF_HEADER, "looks like a program (Linux executable)"),
    ("tool.exe", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00" + b"\x00" * 100, "looks like a program (macOS executable)"),
    ("report.pdf", image_bytes("PNG"), "This file is a PNG image, but its name ends in .pdf. Rename it to end in .png"),
    ("photo", image_bytes("JPEG"), "its name has no ending. Rename it to end in .jpg"),
    ("essay.pdf", docx(), "This file is a Word document, but its name ends in .pdf"),
    ("photos.zip", zip_bytes([("a.jpg", "x")]), "looks like a compressed archive"),
    ("photos.docx", zip_bytes([("a.jpg", "x")]), "looks like a compressed archive"),
    ("backup.tar.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 40, "looks like a compressed archive"),
    ("macros.docx", docx("word/vbaProject.bin"), "contains macros"),
    ("blank.txt", b"", "This file is empty"),
    # Fixed bytes: libmagic reads about 1 in 20 random strings as a DOS program or a PGP key.
    ("mystery.bin", b"\x00\x01\x02\x03" * 16, "We could not tell what kind of file this is"),
    ("rich.rtf", b"{\\rtf1\\ansi hello}", "This kind of file (text/rtf) cannot be uploaded"),
]


@pytest.mark.parametrize("name, data, message", REFUSED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSED)])
def test_refused_files_say_why(name: str, data: bytes, message: str) -> None:
    assert message in refusal(name, data)


def test_unknown_type_lists_what_the_requirement_accepts() -> None:
    message = refusal("rich.rtf", b"{\\rtf1\\ansi hello}", ["image", "pdf"])
    assert message.endswith("You can upload images (PNG, JPEG, GIF or WebP) or PDF files.")


def test_damaged_office_file_is_refused() -> None:
    data = docx()
    message = refusal("essay.docx", data[: len(data) - 30])  # the central directory is cut off
    assert "could not be opened; it may be damaged" in message


# --- accepted kinds ----------------------------------------------------------------------


def test_requirement_kinds_are_honoured() -> None:
    message = refusal("lesson plan.docx", docx(), ["image", "pdf"])
    assert message == (
        "This part of the submission accepts images (PNG, JPEG, GIF or WebP) or PDF files; "
        "this file is a Word document."
    )
    with check("board.png", image_bytes("PNG"), ["image", "pdf"]) as checked:
        assert checked.kind == "image"


@pytest.mark.parametrize("kinds", [None, []])
def test_no_kinds_means_any_allowed_kind(kinds) -> None:
    with check("lesson plan.docx", docx(), kinds) as checked:
        assert checked.kind == "document"


def test_a_video_container_counts_as_audio_when_only_audio_is_accepted() -> None:
    with check("voice-note.webm", webm_header(), ["audio"]) as checked:
        assert (checked.content_type, checked.kind) == ("video/webm", "audio")
    assert "accepts audio" in refusal("clip.mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide", ["audio"])


# --- names and sizes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ms.lee\\Desktop\\plan.pdf", "plan.pdf"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("  spaced \t out .pdf  ", "spaced out .pdf"),
        ("bell\x07\x00.txt", "bell.txt"),
        ("Cafe\u0301 notes.txt", "Café notes.txt"),
        (".bashrc", "bashrc"),
        ("...", ""),
        (None, ""),
    ],
)
def test_clean_filename(raw, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.parametrize("name", ["", "   ", None, "/", "..."])
def test_a_name_is_required(name) -> None:
    with pytest.raises(ValidationError, match="Choose a file to upload"):
        check_upload(name, io.BytesIO(b"hello"), accepted_kinds=None, max_bytes=100)


def test_overlong_names_are_refused() -> None:
    assert "file name is too long" in refusal("a" * 300 + ".txt", b"hello\n")


@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "stream"])
def test_oversized_uploads_are_refused_before_reading_everything(seekable: bool) -> None:
    class Source(io.RawIOBase):
        """10 MB of text, counting how much was read."""

        def __init__(self) -> None:
            self.data = io.BytesIO(b"x" * (10 * MB))
            self.consumed = 0

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return seekable

        def seek(self, offset: int, whence: int = 0) -> int:
            if not seekable:
                raise OSError("not seekable")
            return self.data.seek(offset, whence)

        def tell(self) -> int:
            return self.data.tell()

        def read(self, size: int = -1) -> bytes:
            chunk = self.data.read(size)
            self.consumed += len(chunk)
            return chunk

    source = Source()
    with pytest.raises(ValidationError, match="larger than the 1 MB limit"):
        check_upload("notes.txt", source, accepted_kinds=None, max_bytes=MB)
    assert source.consumed <= MB + 256 * 1024


def test_werkzeug_file_storage_is_accepted_as_is() -> None:
    data = image_bytes("PNG")
    upload = FileStorage(stream=io.BytesIO(data), filename="board.png", content_type="text/html")
    with check_upload(upload.filename, upload, accepted_kinds=["image"], max_bytes=MB) as checked:
        # The browser's claimed type is ignored; the content decides.
        assert checked.content_type == "image/png"
        assert checked.file.read() == data


def test_sniff() -> None:
    assert sniff(b"") == "application/x-empty"
    assert sniff(wav()) == "audio/wav"  # libmagic says audio/x-wav
    assert sniff(image_bytes("PNG")[:64]) == "image/png"


# --- images: thumbnails, metadata, bombs ---------------------------------------------------


def test_thumbnail_is_small_upright_and_has_no_exif() -> None:
    thumbnail = make_thumbnail(io.BytesIO(jpeg_with_gps((800, 400), orientation=6)))

    image = Image.open(io.BytesIO(thumbnail))
    assert image.format == "JPEG"
    assert image.size == (240, 480)  # orientation 6 turned the landscape photo upright
    assert max(image.size) <= THUMBNAIL_MAX_SIDE
    assert "exif" not in image.info
    assert len(image.getexif()) == 0
    assert b"PhoneCam" not in thumbnail


@pytest.mark.parametrize(
    "fmt, mode, size",
    [("PNG", "RGBA", (1000, 200)), ("PNG", "P", (50, 50)), ("GIF", "P", (600, 600)), ("WEBP", "RGB", (900, 900)), ("PNG", "I;16", (500, 20))],
)
def test_thumbnails_of_every_image_type(fmt: str, mode: str, size: tuple[int, int]) -> None:
    image = Image.open(io.BytesIO(make_thumbnail(io.BytesIO(image_bytes(fmt, size, mode)))))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert max(image.size) == min(THUMBNAIL_MAX_SIDE, max(size))


def test_strip_metadata_removes_gps_and_keeps_the_picture_upright() -> None:
    original = jpeg_with_gps((800, 400), orientation=6)
    stripped = strip_metadata(io.BytesIO(original))

    image = Image.open(io.BytesIO(stripped))
    assert image.format == "JPEG"
    assert image.size == (400, 800)
    assert len(image.getexif()) == 0
    assert b"PhoneCam" not in stripped


def test_strip_metadata_removes_png_text_and_exif_chunks() -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Location", "Room 12, Lincoln Elementary")
    original = image_bytes("PNG", mode="RGBA", pnginfo=text, exif=gps_exif())
    assert b"Lincoln" in original and b"PhoneCam" in original

    stripped = strip_metadata(io.BytesIO(original))
    assert b"Lincoln" not in stripped and b"PhoneCam" not in stripped
    image = Image.open(io.BytesIO(stripped))
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (64, 48))


def test_gif_is_kept_as_uploaded() -> None:
    data = image_bytes("GIF")
    assert strip_metadata(io.BytesIO(data)) == data


@pytest.mark.parametrize("size", [(20000, 20000), (8000, 8000)], ids=["over-pillow-limit", "over-our-limit"])
def test_decompression_bombs_are_refused(size: tuple[int, int]) -> None:
    bomb = image_bytes("PNG", size, mode="1")
    assert len(bomb) < 100 * 1024  # tiny on disk, huge in memory
    assert size[0] * size[1] > MAX_IMAGE_PIXELS

    for process in (make_thumbnail, strip_metadata):
        with pytest.raises(ValidationError, match="too large to process.*40 megapixels"):
            process(io.BytesIO(bomb))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_are_refused(fmt: str) -> None:
    if fmt == "PNG":
        data = noisy_png()
    else:
        out = io.BytesIO()
        Image.frombytes("RGB", (200, 200), os.urandom(120000)).save(out, "JPEG", quality=95)
        data = out.getvalue()
    truncated = data[: len(data) * 2 // 3]  # pixels are missing, not just the end marker

    with pytest.raises(ValidationError, match="could not be read; it may be damaged"):
        make_thumbnail(io.BytesIO(truncated))


def test_non_images_are_refused_by_the_image_steps() -> None:
    with pytest.raises(ValidationError, match="could not be read"):
        make_thumbnail(io.BytesIO(minimal_pdf()))


# --- store_upload ------------------------------------------------------------------------


@pytest.fixture(params=["memory", "local"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    return MemoryStorage() if request.param == "memory" else LocalStorage(tmp_path / "files")


def stored_keys(storage: Storage) -> list[str]:
    if isinstance(storage, MemoryStorage):
        return storage.keys()
    assert isinstance(storage, LocalStorage)
    return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file())


def read(storage: Storage, key: str) -> bytes:
    with storage.open(key) as handle:
        return handle.read()


def test_store_image_upload(storage: Storage) -> None:
    original = jpeg_with_gps((1200, 900), orientation=None)
    upload = store_upload(
        storage, "C:\\fakepath\\Ms Lee's class.jpg", io.BytesIO(original),
        accepted_kinds=["image"], max_bytes=10 * MB, key_prefix="evidence/5",
    )

    assert upload.backend == storage.name
    assert (upload.original_name, upload.content_type, upload.kind) == ("Ms Lee's class.jpg", "image/jpeg", "image")
    assert upload.key.startswith("evidence/5/") and "Lee" not in upload.key
    assert upload.thumbnail_key and upload.thumbnail_key.startswith("evidence/5/thumbnails/")
    assert stored_keys(storage) == sorted([upload.key, upload.thumbnail_key])

    body = read(storage, upload.key)
    assert (upload.size, upload.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    stored_image = Image.open(io.BytesIO(body))
    assert stored_image.size == (1200, 900)
    assert not stored_image.getexif().get_ifd(GPS_IFD) and b"PhoneCam" not in body
    thumbnail = Image.open(io.BytesIO(read(storage, upload.thumbnail_key)))
    assert thumbnail.size == (480, 360)


def test_store_image_keeping_metadata_when_asked(storage: Storage) -> None:
    original = jpeg_with_gps()
    upload = store_upload(
        storage, "x.jpg", io.BytesIO(original), accepted_kinds=None, max_bytes=MB,
        key_prefix="p", strip_image_metadata=False,
    )
    assert read(storage, upload.key) == original


def test_store_document_upload_is_stored_unchanged(storage: Storage) -> None:
    data = minimal_pdf()
    upload = store_upload(
        storage, "unit plan.pdf", io.BytesIO(data), accepted_kinds=["pdf"], max_bytes=MB, key_prefix="evidence/5"
    )
    assert upload.thumbnail_key is None
    assert (upload.size, upload.sha256, upload.kind) == (len(data), hashlib.sha256(data).hexdigest(), "pdf")
    assert read(storage, upload.key) == data
    assert stored_keys(storage) == [upload.key]


@pytest.mark.parametrize(
    "name, data, kinds, max_bytes",
    [
        ("notes.txt", HTML, None, MB),
        ("report.pdf", image_bytes("PNG"), None, MB),
        ("plan.docx", docx(), ["image"], MB),
        ("big.txt", b"x" * 5000, None, 4096),
        ("photo.png", noisy_png()[:20000], None, MB),
        ("bomb.png", image_bytes("PNG", (8000, 8000), mode="1"), None, MB),
    ],
    ids=["html", "mismatch", "kind", "too-big", "truncated", "bomb"],
)
def test_refused_uploads_leave_nothing_stored(storage: Storage, name: str, data: bytes, kinds, max_bytes: int) -> None:
    with pytest.raises(ValidationError):
        store_upload(storage, name, io.BytesIO(data), accepted_kinds=kinds, max_bytes=max_bytes, key_prefix="p")
    assert stored_keys(storage) == []


def test_a_failed_thumbnail_save_removes_the_original() -> None:
    class FailsSecondSave(MemoryStorage):
        saves = 0

        def save(self, stream, *, key_prefix, max_bytes):
            self.saves += 1
            if self.saves == 2:
                raise StorageUnavailable()
            return super().save(stream, key_prefix=key_prefix, max_bytes=max_bytes)

    storage = FailsSecondSave()
    with pytest.raises(StorageUnavailable):
        store_upload(storage, "a.png", io.BytesIO(image_bytes("PNG")), accepted_kinds=None, max_bytes=MB, key_prefix="p")
    assert storage.saves == 2
    assert storage.keys() == []


def test_discard_upload_removes_file_and_thumbnail(storage: Storage) -> None:
    upload = store_upload(storage, "a.png", io.BytesIO(image_bytes("PNG")), accepted_kinds=None, max_bytes=MB, key_prefix="p")
    discard_upload(storage, upload)
    assert stored_keys(storage) == []
    discard_upload(storage, upload)  # idempotent


def test_store_upload_through_the_app_storage(app) -> None:
    from app.storage import get_storage

    storage = get_storage()
    upload = store_upload(
        storage, "scores.csv", io.BytesIO(b"a,b\n1,2\n3,4\n"), accepted_kinds=["text"],
        max_bytes=app.config["MAX_UPLOAD_BYTES"], key_prefix="evidence/1",
    )
    assert upload.backend == "memory" and storage.exists(upload.key)


# --- reading the request body ----------------------------------------------------------------


class _RecordingInput:
    """A WSGI input stream that records the size of every read the app makes."""

    def __init__(self, data: bytes):
        self._stream = io.BytesIO(data)
        self.reads: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._stream.readline(size)


def _multipart_request(app, body: bytes, *, field: str = "x" * 10):
    from werkzeug.test import EnvironBuilder

    from app.uploads import UploadRequest

    builder = EnvironBuilder(method="POST", data={"note": field, "file": (io.BytesIO(body), "plan.pdf")})
    environ = builder.get_environ()
    recorder = _RecordingInput(environ["wsgi.input"].read())
    environ["wsgi.input"] = recorder
    environ["wsgi.input_terminated"] = True  # as gunicorn says
    request = UploadRequest(environ)
    request.max_form_memory_size = app.config.get("MAX_FORM_MEMORY_SIZE")
    return request, recorder


def test_the_request_body_is_read_in_large_blocks(app) -> None:
    from app.multipart import BUFFER_BYTES

    body = b"%PDF-1.4\n" + os.urandom(5 * 1024 * 1024) + b"\n%%EOF\n"
    request, recorder = _multipart_request(app, body)
    assert request.files["file"].read() == body and request.form["note"] == "x" * 10
    body_reads = [size for size in recorder.reads if size and size > 0]
    # One read per megabyte (Werkzeug's default parser would make 80 reads of 64 KB).
    assert max(body_reads) == BUFFER_BYTES and len(body_reads) <= 8


def test_a_small_form_memory_limit_still_parses_large_files_and_refuses_large_fields(app) -> None:
    from werkzeug.exceptions import RequestEntityTooLarge

    app.config["MAX_FORM_MEMORY_SIZE"] = 100 * 1024  # smaller than the parser's usual slices
    body = os.urandom(2 * 1024 * 1024)
    request, _ = _multipart_request(app, body)
    assert request.files["file"].read() == body
    request, _ = _multipart_request(app, b"small", field="y" * (200 * 1024))
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018 - parsing is what raises
