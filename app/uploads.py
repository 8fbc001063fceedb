"""Checks on uploaded evidence files, image thumbnails, and storing the result.

The teacher-journey code calls one function, ``store_upload()``, which:

1. spools the upload (memory first, then a temp file; the size limit is enforced
   while reading) unless the stream is already a seekable file at position 0,
   such as Werkzeug's spooled upload;
2. checks it (``check_upload``): a sane name, not empty, a type that libmagic
   recognises from the content and that is on the allow list, a file name
   ending that agrees with that type, and a kind the requirement accepts;
3. for images: decodes them safely (no decompression bombs, no truncated
   files), makes a JPEG thumbnail, and re-encodes the original from its pixels
   so no EXIF/GPS, XMP or text chunks are stored (GIFs are kept as uploaded:
   the format carries no EXIF block);
4. saves the file and the thumbnail through the storage interface, deleting
   what it saved if a later step fails.

Every refusal is a ``ValidationError("file", message)`` written for a teacher.
The stored ``content_type`` is the sniffed type, never the browser's claim;
download routes must still send it with ``X-Content-Type-Options: nosniff`` and
``Content-Disposition: attachment``.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, BinaryIO

import magic
from flask import Request
from werkzeug.formparser import FormDataParser
from PIL import Image, ImageOps, ImageSequence

from app.errors import ValidationError
from app.multipart import BUFFER_BYTES, BodyReader, GunicornBodyReader, StreamingMultiPartParser
from app.storage import CHUNK_SIZE, Readable, Storage, get_storage, too_large_error

log = logging.getLogger(__name__)

#: How much of the start of a file libmagic looks at.
SNIFF_BYTES = 64 * 1024
#: Uploads up to this size are spooled in memory, larger ones to a temp file.
SPOOL_MEMORY_BYTES = 1024 * 1024
#: Requests up to this size keep their files in memory (Werkzeug's own threshold) and are
#: parsed by Werkzeug's multipart parser; larger ones by ``StreamingMultiPartParser``.
SPOOL_IN_MEMORY_REQUEST_BYTES = 500 * 1024
#: Longest accepted file name, in characters (``Artifact.original_name`` holds 300).
MAX_NAME_LENGTH = 255
#: Largest image we decode (width x height). Pillow's own default is about 89
#: megapixels; a 40 MP photo is larger than any phone camera takes today.
MAX_IMAGE_PIXELS = 40_000_000
THUMBNAIL_MAX_SIDE = 480
#: Thumbnails are always JPEG (transparency is flattened onto white).
THUMBNAIL_CONTENT_TYPE = "image/jpeg"
#: The most entries an office document (a zip container) may have before we refuse
#: to inspect it; real documents have tens to a few thousand.
MAX_ZIP_ENTRIES = 20_000

#: The kinds a requirement can accept (``Requirement.accepted_types``), in display order.
KINDS: tuple[str, ...] = ("image", "pdf", "document", "text", "audio", "video")

KIND_LABELS: Mapping[str, str] = {
    "image": "images (PNG, JPEG, GIF or WebP)",
    "pdf": "PDF files",
    "document": "documents, spreadsheets or presentations (Word, Excel, PowerPoint or OpenDocument)",
    "text": "plain text or CSV files",
    "audio": "audio (MP3, M4A, Ogg, WAV or WebM)",
    "video": "video (MP4, WebM or MOV)",
}


@dataclass(frozen=True)
class FileType:
    """An accepted file type: its MIME type, how we name it to people, the kinds it
    counts as (primary first) and the name endings it may have (preferred first)."""

    mime: str
    label: str
    kinds: tuple[str, ...]
    extensions: tuple[str, ...]


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
_ODT = "application/vnd.oasis.opendocument.text"
_ODS = "application/vnd.oasis.opendocument.spreadsheet"
_ODP = "application/vnd.oasis.opendocument.presentation"
# Internal verdicts of the zip inspection; never on the allow list.
_MACRO_DOCUMENT = "x-upload/macro-document"
_DAMAGED_DOCUMENT = "x-upload/damaged-document"

ALLOWED_TYPES: Mapping[str, FileType] = {
    t.mime: t
    for t in (
        FileType("image/png", "a PNG image", ("image",), ("png",)),
        FileType("image/jpeg", "a JPEG image", ("image",), ("jpg", "jpeg")),
        FileType("image/gif", "a GIF image", ("image",), ("gif",)),
        FileType("image/webp", "a WebP image", ("image",), ("webp",)),
        FileType("application/pdf", "a PDF document", ("pdf",), ("pdf",)),
        FileType(_DOCX, "a Word document", ("document",), ("docx",)),
        FileType(_XLSX, "an Excel spreadsheet", ("document",), ("xlsx",)),
        FileType(_PPTX, "a PowerPoint presentation", ("document",), ("pptx",)),
        FileType(_ODT, "an OpenDocument text", ("document",), ("odt",)),
        FileType(_ODS, "an OpenDocument spreadsheet", ("document",), ("ods",)),
        FileType(_ODP, "an OpenDocument presentation", ("document",), ("odp",)),
        FileType("application/msword", "a Word 97-2003 document", ("document",), ("doc",)),
        FileType("application/vnd.ms-excel", "an Excel 97-2003 spreadsheet", ("document",), ("xls",)),
        FileType("application/vnd.ms-powerpoint", "a PowerPoint 97-2003 presentation", ("document",), ("ppt",)),
        # libmagic often calls a CSV plain text, and a one-column list CSV text.
        FileType("text/plain", "a plain text file", ("text",), ("txt", "csv", "text", "md")),
        FileType("text/csv", "a CSV file", ("text",), ("csv", "txt")),
        FileType("audio/mpeg", "an MP3 audio file", ("audio",), ("mp3",)),
        FileType("audio/mp4", "an M4A audio file", ("audio",), ("m4a", "mp4")),
        FileType("audio/ogg", "an Ogg audio file", ("audio",), ("ogg", "oga", "opus")),
        FileType("audio/wav", "a WAV audio file", ("audio",), ("wav",)),
        FileType("audio/webm", "a WebM audio file", ("audio",), ("webm", "weba")),
        # The container says nothing about whether there is a picture: an MP4 or
        # WebM may be a voice recording, so these count as audio too.
        FileType("video/mp4", "an MP4 video", ("video", "audio"), ("mp4", "m4v", "m4a")),
        FileType("video/webm", "a WebM video", ("video", "audio"), ("webm", "weba")),
        FileType("video/quicktime", "a QuickTime video", ("video",), ("mov", "qt")),
    )
}

# Different libmagic versions (and browsers) spell some types differently.
MIME_ALIASES: Mapping[str, str] = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/mp3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/x-ogg": "audio/ogg",
    "application/x-pdf": "application/pdf",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "video/x-m4v": "video/mp4",
    "application/csv": "text/csv",
}

_SCRIPT = "a script"
_DANGEROUS: Mapping[str, str] = {
    "text/html": "an HTML page",
    "application/xhtml+xml": "an HTML page",
    "image/svg+xml": "an SVG image",
    "image/svg": "an SVG image",
    "text/xml": "an XML document",
    "application/xml": "an XML document",
    "text/x-shellscript": "a shell script",
    "application/x-sh": "a shell script",
    "application/x-shellscript": "a shell script",
    "text/x-script.python": "a Python program",
    "text/x-python": "a Python program",
    "application/x-python-code": "a Python program",
    "application/javascript": "a JavaScript program",
    "text/javascript": "a JavaScript program",
    "application/x-javascript": "a JavaScript program",
    "text/x-php": "a PHP script",
    "text/x-perl": "a Perl script",
    "text/x-ruby": "a Ruby script",
    "text/x-lua": _SCRIPT,
    "text/x-tcl": _SCRIPT,
    "text/x-awk": _SCRIPT,
    "text/x-msdos-batch": "a Windows batch script",
    "application/x-bat": "a Windows batch script",
    "application/x-executable": "a program (Linux executable)",
    "application/x-pie-executable": "a program (Linux executable)",
    "application/x-sharedlib": "a program (Linux library)",
    "application/x-object": "a program (compiled object)",
    "application/x-elf": "a program (Linux executable)",
    "application/vnd.microsoft.portable-executable": "a program (Windows executable)",
    "application/x-dosexec": "a program (Windows executable)",
    "application/x-msdownload": "a program (Windows executable)",
    "application/x-msi": "a Windows installer",
    "application/x-mach-binary": "a program (macOS executable)",
    "application/java-archive": "a Java program",
    "application/x-java-applet": "a Java program",
    "application/x-java-archive": "a Java program",
}
_ARCHIVES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar",
        "application/x-rar-compressed",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
        "application/x-lzma",
        "application/x-iso9660-image",
        "application/x-apple-diskimage",
    }
)
_ODF_TYPES = frozenset({_ODT, _ODS, _ODP})
_ZIP_BASED = frozenset({"application/zip", _DOCX, _XLSX, _PPTX, *_ODF_TYPES})
_PIL_FORMATS: Mapping[str, str] = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
# Bidirectional controls can make "photo\u202egpj.exe" display as "photoexe.jpg".
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# --- type detection ------------------------------------------------------------------------


class UploadFormDataParser(FormDataParser):
    """Werkzeug's form parser, with multipart bodies larger than
    ``SPOOL_IN_MEMORY_REQUEST_BYTES`` (or of unknown length) read by
    ``StreamingMultiPartParser``: straight from gunicorn's socket when ``environ``
    shows the body there unread, else from ``stream``. Limits are Werkzeug's own."""

    environ: dict[str, Any] | None = None

    def _parse_multipart(self, stream, mimetype, content_length, options):  # type: ignore[no-untyped-def]
        if content_length is not None and content_length <= SPOOL_IN_MEMORY_REQUEST_BYTES:
            return super()._parse_multipart(stream, mimetype, content_length, options)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        parser = StreamingMultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=BUFFER_BYTES,
        )
        reader = GunicornBodyReader.of(self.environ or {}, content_length) or BodyReader(stream)
        form, files = parser.parse_body(reader, boundary, content_length)
        return stream, form, files


class UploadRequest(Request):
    """The app's request class: large uploaded files are spooled where the storage
    backend can take them over (``Storage.spool_file``: local disk hard-links the
    spool into place) instead of a system temporary file that would be copied a
    second time. Small files stay in memory, as with Werkzeug's default. Large
    multipart bodies are read into reused buffers, from gunicorn's socket where
    possible (``UploadFormDataParser``)."""

    form_data_parser_class = UploadFormDataParser

    def make_form_data_parser(self) -> FormDataParser:
        parser = super().make_form_data_parser()
        if isinstance(parser, UploadFormDataParser):
            parser.environ = self.environ
        return parser

    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None, filename: str | None = None,
        content_length: int | None = None,
    ) -> BinaryIO:
        if total_content_length is not None and total_content_length > SPOOL_IN_MEMORY_REQUEST_BYTES:
            try:
                spool = get_storage().spool_file()
            except RuntimeError:  # storage misconfigured: the upload view reports it
                spool = None
            if spool is not None:
                return spool
        return super()._get_file_stream(total_content_length, content_type, filename, content_length)


def sniff(head: bytes) -> str:
    """The MIME type libmagic sees in the first bytes of a file, normalised
    (lower case, no parameters, aliases such as ``audio/x-wav`` -> ``audio/wav``).

    Never raises: unrecognisable content is ``application/octet-stream``, no
    content ``application/x-empty``. Office files inside zip containers may
    only be recognised as ``application/zip`` here; ``detect_type`` looks inside.
    """
    if not head:
        return "application/x-empty"
    try:
        mime = magic.from_buffer(head[:SNIFF_BYTES], mime=True)
    except (magic.MagicException, OSError):
        log.warning("libmagic could not identify an upload", exc_info=True)
        return "application/octet-stream"
    mime = (mime or "application/octet-stream").split(";", 1)[0].strip().lower()
    return MIME_ALIASES.get(mime, mime)


def detect_type(file: BinaryIO) -> str:
    """The MIME type of a whole, seekable file: ``sniff`` on its start, then, for zip
    containers, a look at the entries to tell Word/Excel/PowerPoint/OpenDocument
    files from plain archives and to spot macros.

    Returns ``file`` to position 0. Never raises for odd content; only I/O errors
    from ``file`` propagate.
    """
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    mime = sniff(head)
    if mime in _ZIP_BASED or (mime == "application/octet-stream" and head.startswith(b"PK\x03\x04")):
        mime = _zip_container_type(file, sniffed=mime)
        file.seek(0)
    return mime


def _zip_container_type(file: BinaryIO, *, sniffed: str) -> str:
    """What a zip container holds, from its entry names (nothing is decompressed except
    ODF's tiny ``mimetype`` entry)."""
    office_claimed = sniffed != "application/zip" and sniffed != "application/octet-stream"
    entries = _zip_entry_count(file)
    if entries is None or entries > MAX_ZIP_ENTRIES:
        return _DAMAGED_DOCUMENT if office_claimed else "application/zip"
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names:
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    return _MACRO_DOCUMENT
                for folder, mime in (("word/", _DOCX), ("xl/", _XLSX), ("ppt/", _PPTX)):
                    if any(name.startswith(folder) for name in names):
                        return mime
                return "application/zip"
            if "mimetype" in names and archive.getinfo("mimetype").file_size <= 200:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared in _ODF_TYPES:
                    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
                        return _MACRO_DOCUMENT
                    return declared
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError,
            NotImplementedError, RuntimeError, struct.error):
        return _DAMAGED_DOCUMENT if office_claimed else "application/zip"
    return "application/zip"


def _zip_entry_count(file: BinaryIO) -> int | None:
    """The entry count from a zip's end-of-central-directory record, read before
    ``zipfile`` builds an object per entry (a crafted zip can declare millions).
    None when there is no such record; 65535 stands for "zip64, probably huge"."""
    size = file.seek(0, os.SEEK_END)
    tail_size = min(size, 22 + 65535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or position + 22 > len(tail):
        return None
    (total,) = struct.unpack("<H", tail[position + 10 : position + 12])
    return total


# --- names ---------------------------------------------------------------------------------


def clean_filename(filename: str | None) -> str:
    """The name to show and store for an upload: its last path component, NFC-normalised,
    without control or bidirectional-override characters, whitespace collapsed and
    leading/trailing dots and spaces removed. Empty when nothing usable is left.

    Never used to build a storage key or path.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}
    )
    return " ".join(name.split()).strip(" .")


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


# --- checking ------------------------------------------------------------------------------


@dataclass
class CheckedUpload:
    """An upload that passed ``check_upload``: what it is, and a seekable ``file``
    positioned at 0 holding its bytes. Use it as a context manager (or call
    ``close``) to release the spooled copy; a caller's own stream is left open."""

    original_name: str
    extension: str
    content_type: str
    kind: str
    label: str
    size: int
    file: BinaryIO
    _owns_file: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._owns_file:
            self.file.close()

    def __enter__(self) -> CheckedUpload:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def accepted_phrase(kinds: Iterable[str] | None) -> str:
    """``["image", "pdf"]`` -> ``"images (PNG, JPEG, GIF or WebP) or PDF files"``."""
    labels = [KIND_LABELS[k] for k in _normalise_kinds(kinds)]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _normalise_kinds(kinds: Iterable[str] | None) -> list[str]:
    """Known kinds in display order; None or nothing known means every kind."""
    wanted = {k.strip().lower() for k in kinds or () if isinstance(k, str)}
    known = [k for k in KINDS if k in wanted]
    return known or list(KINDS)


def check_upload(
    filename: str | None,
    stream: Readable,
    *,
    accepted_kinds: Iterable[str] | None,
    max_bytes: int,
) -> CheckedUpload:
    """Check an uploaded file and return it, sniffed and spooled, ready to store.

    ``accepted_kinds`` are the requirement's kinds (see ``KINDS``); None or an
    empty list accepts every kind on the allow list, unknown names are ignored.
    Refuses, with ``ValidationError("file", message)``: a missing or over-long
    name; an empty file or one over ``max_bytes`` (detected while reading, so an
    oversized upload is not read to the end); content that is not on the allow
    list (HTML, SVG, XML, scripts, programs, archives, macro documents, anything
    unrecognised), naming what it looks like; a name ending that does not match
    the content (a PNG called ``.pdf``, HTML called ``.txt``); a kind the
    requirement does not accept, listing what it does.
    """
    name = clean_filename(filename)
    if not name:
        raise ValidationError("file", "Choose a file to upload.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            "file",
            f"The file name is too long ({len(name)} characters; at most {MAX_NAME_LENGTH}). "
            "Rename the file with a shorter name and try again.",
        )
    file, size, owned = _spool(stream, max_bytes)
    try:
        if size == 0:
            raise ValidationError("file", "This file is empty. Choose the file you meant to upload.")
        mime = detect_type(file)
        file_type = ALLOWED_TYPES.get(mime)
        if file_type is None:
            raise ValidationError("file", _refusal_message(mime, accepted_kinds))
        extension = _extension(name)
        if extension not in file_type.extensions:
            raise ValidationError("file", _extension_message(file_type, extension))
        accepted = _normalise_kinds(accepted_kinds)
        kind = next((k for k in file_type.kinds if k in accepted), None)
        if kind is None:
            raise ValidationError(
                "file",
                f"This part of the submission accepts {accepted_phrase(accepted)}; "
                f"this file is {file_type.label}.",
            )
        file.seek(0)
        return CheckedUpload(
            original_name=name,
            extension=extension,
            content_type=file_type.mime,
            kind=kind,
            label=file_type.label,
            size=size,
            file=file,
            _owns_file=owned,
        )
    except BaseException:
        if owned:
            file.close()
        raise


def _spool(stream: Readable, max_bytes: int) -> tuple[BinaryIO, int, bool]:
    """A seekable file at position 0 with the upload's bytes, its size, and whether we own it.

    A stream that is already seekable and at its start (Werkzeug's spooled upload)
    is used as is after a size check; anything else is copied into a
    SpooledTemporaryFile, stopping as soon as ``max_bytes`` is passed.
    """
    if _seekable_at_start(stream):
        file: BinaryIO = stream  # type: ignore[assignment]
        size = file.seek(0, os.SEEK_END)
        file.seek(0)
        if size > max_bytes:
            raise too_large_error(max_bytes)
        return file, size, False
    spool: BinaryIO = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # type: ignore[assignment]
    size = 0
    try:
        while chunk := stream.read(CHUNK_SIZE):
            size += len(chunk)
            if size > max_bytes:
                raise too_large_error(max_bytes)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool, size, True


def _seekable_at_start(stream: object) -> bool:
    try:
        return bool(stream.seekable()) and stream.tell() == 0  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def _refusal_message(mime: str, accepted_kinds: Iterable[str] | None) -> str:
    can_upload = f"You can upload {accepted_phrase(accepted_kinds)}."
    if mime == _MACRO_DOCUMENT:
        return (
            "This document contains macros, which cannot be uploaded. Save a copy without macros "
            "(as .docx, .xlsx or .pptx) and upload that."
        )
    if mime == _DAMAGED_DOCUMENT:
        return "This document could not be opened; it may be damaged. Save it again and retry."
    what = _DANGEROUS.get(mime) or (_SCRIPT if mime.startswith("text/x-script") else None)
    if what:
        return f"This file looks like {what}; HTML, SVG, scripts and programs cannot be uploaded."
    if mime in _ARCHIVES:
        return (
            "This file looks like a compressed archive (such as a ZIP file); archives cannot be uploaded. "
            "Upload the files inside it one at a time."
        )
    if mime == "application/x-empty":
        return "This file is empty. Choose the file you meant to upload."
    if mime == "application/octet-stream":
        return f"We could not tell what kind of file this is, so it cannot be uploaded. {can_upload}"
    return f"This kind of file ({mime}) cannot be uploaded. {can_upload}"


def _extension_message(file_type: FileType, extension: str) -> str:
    suggested = "." + file_type.extensions[0]
    if not extension:
        return (
            f"This file is {file_type.label}, but its name has no ending. "
            f"Rename it to end in {suggested} and try again."
        )
    return (
        f"This file is {file_type.label}, but its name ends in .{extension}. "
        f"Rename it to end in {suggested}, or choose the file you meant."
    )


# --- images --------------------------------------------------------------------------------


def _open_image(stream: Readable, *, formats: Iterable[str] | None = None, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode an uploaded image (the first frame), or raise ValidationError.

    Refuses images over ``MAX_IMAGE_PIXELS`` before decoding any pixels (checked
    here rather than by lowering Pillow's global limit and turning its warning
    into an error inside ``warnings.catch_warnings``, which is process-wide and
    not thread-safe; Pillow's own bomb error is mapped too), and truncated or
    corrupt files (``load()`` decodes everything, unlike ``verify()``).
    """
    source = stream if _seekable_at_start(stream) else io.BytesIO(stream.read())
    try:
        image = Image.open(source, formats=list(formats or _PIL_FORMATS.values()))  # type: ignore[arg-type]
        _check_pixels(image.width, image.height)
        if draft_size and image.format == "JPEG":
            image.draft(None, draft_size)  # decode at 1/2, 1/4 or 1/8 scale: less memory for thumbnails
        image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("file", _too_many_pixels_message()) from None
    except Exception as exc:  # noqa: BLE001 - decoders raise many types on hostile input
        log.info("Refused an image upload that did not decode: %s: %s", type(exc).__name__, exc)
        raise ValidationError(
            "file",
            "This image could not be read; it may be damaged or only partly uploaded. "
            "Export or save it again and retry.",
        ) from None
    return image


def _check_pixels(width: int, height: int, frames: int = 1) -> None:
    if width * height * frames > MAX_IMAGE_PIXELS:
        raise ValidationError("file", _too_many_pixels_message(width, height))


def _too_many_pixels_message(width: int | None = None, height: int | None = None) -> str:
    size = f" ({width:,} x {height:,} pixels)" if width and height else ""
    return (
        f"This image is too large to process{size}; the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels. "
        "Resize it (for example, to 4000 pixels on the longest side) and try again."
    )


def _flatten_rgb(image: Image.Image) -> Image.Image:
    """An RGB copy; transparency is composited onto white."""
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _fresh(image: Image.Image, mode: str) -> Image.Image:
    """A new image holding only ``image``'s pixels in ``mode``: no EXIF, XMP, text
    chunks or any other ``info`` survives."""
    converted = image if image.mode == mode else image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _thumbnail_bytes(image: Image.Image) -> bytes:
    """JPEG bytes, at most ``THUMBNAIL_MAX_SIDE`` px a side, upright, without metadata."""
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), Image.Resampling.LANCZOS)
    clean = _fresh(_flatten_rgb(upright), "RGB")
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _stripped_bytes(image: Image.Image) -> bytes | None:
    """The image re-encoded from its pixels (orientation applied) in its own format, or
    None to keep the original bytes (GIF: no EXIF block, and re-encoding would lose
    its palette and animation).

    Keeps the ICC colour profile, which says nothing about the person or place.
    """
    fmt = image.format
    if fmt == "GIF":
        return None
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    out = io.BytesIO()
    if fmt == "WEBP" and getattr(image, "n_frames", 1) > 1:
        _check_pixels(image.width, image.height, image.n_frames)
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            frames.append(_fresh(frame, "RGBA"))
            durations.append(int(frame.info.get("duration", 100)))
        frames[0].save(
            out, "WEBP", save_all=True, append_images=frames[1:], duration=durations,
            loop=int(image.info.get("loop", 0)), quality=90, **extra,
        )
        return out.getvalue()
    upright = ImageOps.exif_transpose(image)
    if fmt == "JPEG":
        mode = upright.mode if upright.mode in {"RGB", "L", "CMYK"} else "RGB"
        _fresh(upright, mode).save(out, "JPEG", quality=92, **extra)
    elif fmt == "PNG":
        if upright.mode == "P":
            clean = Image.frombytes("P", upright.size, upright.tobytes())
            clean.putpalette(upright.getpalette() or [])
            transparency = upright.info.get("transparency")
            if transparency is not None:
                extra["transparency"] = transparency
        else:
            supported = {"1", "L", "LA", "I;16", "RGB", "RGBA"}
            clean = _fresh(upright, upright.mode if upright.mode in supported else "RGBA")
        clean.save(out, "PNG", optimize=False, **extra)
    elif fmt == "WEBP":
        has_alpha = upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info
        _fresh(upright, "RGBA" if has_alpha else "RGB").save(out, "WEBP", quality=90, **extra)
    else:  # pragma: no cover - only the four allowed formats are opened
        raise ValueError(f"unexpected image format {fmt}")
    return out.getvalue()


def make_thumbnail(stream: Readable) -> bytes:
    """A JPEG thumbnail (``THUMBNAIL_CONTENT_TYPE``) of a PNG, JPEG, GIF or WebP image:
    at most ``THUMBNAIL_MAX_SIDE`` pixels on its longer side, turned upright per its
    EXIF orientation, and built from pixel data alone, so it carries no EXIF (GPS
    included) or other metadata.

    Raises ``ValidationError("file", ...)`` for images over ``MAX_IMAGE_PIXELS``
    (decompression bombs), truncated or corrupt files, and non-images. A stream
    that is not seekable is read into memory first: pass a checked upload's file.
    """
    image = _open_image(stream, draft_size=(THUMBNAIL_MAX_SIDE * 2, THUMBNAIL_MAX_SIDE * 2))
    return _thumbnail_bytes(image)


def strip_metadata(stream: Readable) -> bytes:
    """The image's bytes without EXIF (GPS included), XMP or text metadata.

    JPEG, PNG and WebP are re-encoded from their pixels in the same format, turned
    upright first since the orientation tag goes too (JPEG at quality 92, so this
    is a lossy step for JPEG; PNG stays lossless); the ICC colour profile is kept.
    GIF is returned unchanged: it has no EXIF block. Raises ``ValidationError``
    like ``make_thumbnail``.
    """
    source: Readable = stream if _seekable_at_start(stream) else io.BytesIO(stream.read())
    image = _open_image(source)
    stripped = _stripped_bytes(image)
    if stripped is not None:
        return stripped
    source.seek(0)  # type: ignore[attr-defined]
    return source.read()


# --- storing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredUpload:
    """Everything an ``Artifact`` row records about a stored file.

    ``size`` and ``sha256`` describe the bytes actually stored (for images, the
    copy without metadata). ``thumbnail_key`` is set for images; thumbnails are
    ``THUMBNAIL_CONTENT_TYPE``.
    """

    backend: str
    key: str
    original_name: str
    content_type: str
    kind: str
    size: int
    sha256: str
    thumbnail_key: str | None


def store_upload(
    storage: Storage,
    filename: str | None,
    stream: Readable,
    *,
    accepted_kinds: Iterable[str] | None,
    max_bytes: int,
    key_prefix: str,
    strip_image_metadata: bool = True,
) -> StoredUpload:
    """Check an uploaded file and store it (and, for images, a thumbnail) under ``key_prefix``.

    Raises ``ValidationError("file", ...)`` for anything ``check_upload`` refuses
    and for images that do not decode safely; ``StorageUnavailable`` when the
    store fails. On any error nothing is left in storage. Images are stored
    without EXIF/GPS unless ``strip_image_metadata`` is False.
    If the caller's database work fails afterwards, ``discard_upload`` removes
    the files again.
    """
    with check_upload(filename, stream, accepted_kinds=accepted_kinds, max_bytes=max_bytes) as checked:
        body: BinaryIO = checked.file
        body_size = checked.size
        thumbnail: bytes | None = None
        if checked.kind == "image":
            image = _open_image(checked.file, formats=[_PIL_FORMATS[checked.content_type]])
            thumbnail = _thumbnail_bytes(image)
            stripped = _stripped_bytes(image) if strip_image_metadata else None
            del image  # not image.close(): that would close checked.file too
            if stripped is not None:
                body, body_size = io.BytesIO(stripped), len(stripped)
            checked.file.seek(0)
        # Re-encoding can make an image slightly larger; the upload itself was within the limit.
        stored = storage.save(body, key_prefix=key_prefix, max_bytes=max(max_bytes, body_size))
        thumbnail_key = None
        if thumbnail is not None:
            try:
                saved = storage.save(
                    io.BytesIO(thumbnail), key_prefix=_join_prefix(key_prefix, "thumbnails"), max_bytes=len(thumbnail)
                )
            except BaseException:
                _delete_quietly(storage, stored.key)
                raise
            thumbnail_key = saved.key
        return StoredUpload(
            backend=stored.backend,
            key=stored.key,
            original_name=checked.original_name,
            content_type=checked.content_type,
            kind=checked.kind,
            size=stored.size,
            sha256=stored.sha256,
            thumbnail_key=thumbnail_key,
        )


def discard_upload(storage: Storage, upload: StoredUpload) -> None:
    """Delete a stored upload and its thumbnail, e.g. when the database work that was to
    record it failed. Never raises: failures are logged (the files are unreachable anyway)."""
    for key in (upload.key, upload.thumbnail_key):
        if key:
            _delete_quietly(storage, key)


def _delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # noqa: BLE001 - cleanup must not hide the error that caused it
        log.warning("Could not delete %s from %s storage after a failed upload", key, storage.name, exc_info=True)


def _join_prefix(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


__all__ = [
    "ALLOWED_TYPES",
    "KINDS",
    "KIND_LABELS",
    "MAX_IMAGE_PIXELS",
    "THUMBNAIL_CONTENT_TYPE",
    "CheckedUpload",
    "FileType",
    "StoredUpload",
    "accepted_phrase",
    "check_upload",
    "clean_filename",
    "detect_type",
    "discard_upload",
    "make_thumbnail",
    "sniff",
    "store_upload",
    "strip_metadata",
]
