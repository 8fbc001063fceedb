"""File storage behind one interface: local disk (default), S3 or compatible, memory (tests).

Every backend offers the same operations (``save``, ``open``, ``delete``,
``exists``, ``url_for_download``, and ``iter_keys`` for consistency checks) and
the same guarantees:

* ``save`` streams in chunks, so memory does not grow with the file (except in
  ``MemoryStorage``, whose whole point is to keep the bytes in memory); it
  counts and hashes while streaming and stops as soon as the size limit is
  passed, leaving nothing behind.
* Keys are chosen by the storage, random and unguessable (``{prefix}/{uuid4 hex}``),
  never derived from a user's file name. Keys with ``..``, absolute paths or
  unexpected characters are refused everywhere (defence in depth: keys come
  from our database, never from a request).
* A failing S3 endpoint (unreachable, 5xx, misconfigured) surfaces as
  ``StorageUnavailable`` (HTTP 503, code ``storage_unavailable``), so callers can
  keep the teacher's draft and tell her to try again.

The backend for an app is chosen by ``STORAGE_BACKEND`` and built once by
``get_storage()``, which caches it on ``app.extensions["storage"]``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import queue
import re
import tempfile
import threading
import unicodedata
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Protocol
from urllib.parse import quote

from flask import Flask, current_app

from app.errors import AppError, ValidationError

log = logging.getLogger(__name__)

#: Bytes read from the source per step while streaming to storage.
CHUNK_SIZE = 256 * 1024
#: S3 uploads above this size use multipart upload, in parts of ``S3_PART_SIZE``
#: (S3's smallest allowed part: with two parts buffered, an upload of any size
#: holds about 18 MB in memory; 8 MB parts would hold about 27 MB).
S3_MULTIPART_THRESHOLD = 8 * 1024 * 1024
S3_PART_SIZE = 5 * 1024 * 1024
#: Upload pieces waiting for the spool's hash thread, at most (``_BackgroundHash``).
HASH_QUEUE_PIECES = 8
#: A spool asks the disk to write what it holds every this many bytes (``_BackgroundSync``).
SPOOL_SYNC_BYTES = 16 * 1024 * 1024
#: The longest a presigned URL may live (the S3 SigV4 maximum, seven days).
MAX_URL_EXPIRY = 7 * 24 * 3600
#: Matches ``Artifact.storage_key`` (``String(500)``).
MAX_KEY_LENGTH = 500

# Segments start with a letter, digit, ``_`` or ``-``: no ``.``/``..``, no hidden files,
# no empty segments (so no leading ``/``), no backslashes, colons or NUL bytes.
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


class StorageUnavailable(AppError):
    """The file store could not be reached or refused the request (HTTP 503).

    Raised instead of the backend's own errors so views can keep what the
    teacher already entered and ask her to retry the upload later.
    """

    status = 503
    code = "storage_unavailable"
    default_message = "File storage is not available at the moment. Please try the upload again in a few minutes."


@dataclass(frozen=True)
class StoredFile:
    """What a successful ``save`` stored: enough to fill an artifact row."""

    backend: str
    key: str
    size: int
    sha256: str


class Readable(Protocol):
    """Anything with a binary ``read(size)``: files, ``BytesIO``, Werkzeug's ``FileStorage``."""

    def read(self, size: int = -1, /) -> bytes: ...


# --- keys and limits -----------------------------------------------------------------


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe relative storage key.

    Raises ``ValueError`` for empty or over-long keys, absolute paths, ``.``/``..``
    segments, backslashes or characters outside ``[A-Za-z0-9._-/]``.
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


def new_key(key_prefix: str) -> str:
    """A fresh random key under ``key_prefix`` (``"evidence/12"`` -> ``"evidence/12/<32 hex>"``).

    The prefix must itself be a safe key (or empty); raises ``ValueError`` otherwise.
    The random part has 122 bits of entropy and says nothing about the file.
    """
    prefix = key_prefix.rstrip("/")
    token = uuid.uuid4().hex
    return validate_key(f"{prefix}/{token}" if prefix else token)


def describe_limit(max_bytes: int) -> str:
    """A size limit as people say it: ``"100 MB"``, ``"1.5 MB"``, ``"512 KB"``, ``"100 bytes"``."""
    mb = max_bytes / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.0f} MB" if mb == int(mb) or mb >= 10 else f"{mb:.1f} MB"
    if max_bytes >= 1024:
        return f"{round(max_bytes / 1024)} KB"
    return f"{max_bytes} bytes"


def too_large_error(max_bytes: int) -> ValidationError:
    """The ``ValidationError`` every backend raises when a file passes ``max_bytes``."""
    return ValidationError(
        "file",
        f"This file is larger than the {describe_limit(max_bytes)} limit. "
        "Make it smaller (for example, export a shorter clip or a compressed PDF) and try again.",
    )


def content_disposition(filename: str | None) -> str:
    """A ``Content-Disposition: attachment`` value naming ``filename`` safely.

    Carries an ASCII fallback (quotes, backslashes and control characters
    replaced) and the exact UTF-8 name per RFC 6266 / RFC 5987. With no name,
    plain ``attachment``.
    """
    if not filename:
        return "attachment"
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C").strip() or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r'["\\]', "_", fallback).strip() or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class _MeteredReader:
    """Reads from ``source``, hashing and counting; raises once more than ``max_bytes`` came through.

    Deliberately not seekable (no ``seek``/``tell``), so boto's transfer manager
    reads it once, front to back, and every byte is hashed exactly once.
    ``read(n)`` returns exactly ``n`` bytes unless the source is exhausted,
    because the transfer manager sizes multipart parts from single reads.
    """

    def __init__(self, source: Readable, max_bytes: int):
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self._source = source
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self.size = 0
        self.too_large = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._max_bytes - self.size + 1  # everything allowed, plus one byte to notice an overflow
        first = self._source.read(size)
        if not first:
            return b""
        self._count(first)
        if len(first) >= size:
            return first
        # A short read: keep reading until ``size`` bytes or the end. BytesIO hands its
        # buffer back without a copy, so a part is held in memory once, not twice.
        buffer = io.BytesIO()
        buffer.write(first)
        del first
        while (wanted := size - buffer.tell()) > 0:
            chunk = self._source.read(min(wanted, CHUNK_SIZE))
            if not chunk:
                break
            self._count(chunk)
            buffer.write(chunk)
        return buffer.getvalue()

    def _count(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._max_bytes:
            self.too_large = True
            raise too_large_error(self._max_bytes)
        self._hash.update(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class _BackgroundHash:
    """sha256 of the pieces handed to ``update``, computed in a thread of its own.

    hashlib releases the interpreter lock while it hashes a large piece, so the
    request thread goes on receiving and writing the upload while this thread
    hashes what was written before: on two cores, hashing no longer adds to the
    upload's duration. The queue holds at most ``HASH_QUEUE_PIECES`` pieces, so
    a slow hash slows the writer instead of growing memory. A piece must not
    change until it is hashed (``update`` says when).
    """

    _END = object()

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pieces: queue.Queue[Any] = queue.Queue(maxsize=HASH_QUEUE_PIECES)
        self._handed = self._hashed = 0
        self._progress = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="upload-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (piece := self._pieces.get()) is not self._END:
            self._hash.update(piece)
            with self._progress:
                self._hashed += 1
                self._progress.notify_all()

    def update(self, piece: bytes | memoryview) -> Callable[[], None]:
        """Queue ``piece``; the function returned waits until it is hashed."""
        self._pieces.put(piece)
        self._handed += 1
        ticket = self._handed
        return lambda: self._wait(ticket)

    def _wait(self, ticket: int) -> None:
        with self._progress:
            self._progress.wait_for(lambda: self._hashed >= ticket or not self._thread.is_alive())

    def hexdigest(self) -> str:
        """The digest of everything handed over; ends the thread (call once)."""
        self.stop()
        return self._hash.hexdigest()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._pieces.put(self._END)
            self._thread.join()


def _nothing_to_wait_for() -> None:
    pass


class _BackgroundSync:
    """``fdatasync`` of a file in a thread of its own, whenever asked (``request``), so
    the disk writes an upload while the rest is still arriving and the fsync that
    stores it has little left to do. A failed sync is kept and raised by ``finish``:
    Linux reports a failed writeback to one sync call only."""

    def __init__(self, fd: int):
        self._fd = fd
        self._wanted = threading.Event()
        self._finished = False
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="upload-fdatasync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._finished:
                return
            try:
                sync(self._fd)
            except OSError as exc:
                self._error = exc
                return

    def request(self) -> None:
        self._wanted.set()

    def finish(self) -> None:
        """End the thread (after a sync in progress); raises the ``OSError`` of a failed sync."""
        self._finished = True
        self._wanted.set()
        self._thread.join()
        if self._error is not None:
            raise self._error


def _finish_quietly(sync: _BackgroundSync) -> None:
    try:
        sync.finish()
    except OSError:  # the spool is being thrown away
        pass


class HashingSpool:
    """A file that hashes (sha256) and counts the bytes written to it, for upload spools.

    The request parser writes an upload front to back once; the digest taken on
    the way is then the digest of the file, and storing it needs no second read.
    Hashing runs beside the writes (``_BackgroundHash``), started with the first
    write. Every ``SPOOL_SYNC_BYTES`` a third thread starts the disk writing what
    is there (``_BackgroundSync``); ``sync()`` waits for it and fsyncs the rest.
    Any write that is not at the end of what was written so far (after a seek, or
    a truncate) makes ``digest()`` None, so callers fall back to reading the file.
    Everything else (read, seek, name, fileno, close) is the wrapped file's.
    """

    def __init__(self, file: Any):
        self._file = file
        self._hash: _BackgroundHash | None = None
        self._sync: _BackgroundSync | None = None
        self._valid = True
        self._written = self._sync_requested = 0
        self._digest: str | None = None

    def write(self, data: Any) -> int:
        # The hash thread reads the piece later: hand it bytes, which cannot change.
        return self._write(data if type(data) is bytes else bytes(memoryview(data)))[0]

    def write_borrowed(self, data: memoryview) -> Callable[[], None]:
        """Write ``data`` like ``write``, letting the hash thread read ``data`` itself later
        instead of a copy: the caller must leave those bytes unchanged until the function
        returned has returned."""
        return self._write(data)[1]

    def _write(self, data: bytes | memoryview) -> tuple[int, Callable[[], None]]:
        if self._valid and self._file.tell() != self._written:
            self._invalidate()
        count = self._file.write(data)
        if not self._valid:
            return count, _nothing_to_wait_for
        if self._hash is None:
            self._hash = _BackgroundHash()
            weakref.finalize(self, self._hash.stop)
        self._written += count
        if self._written - self._sync_requested >= SPOOL_SYNC_BYTES:
            self._sync_requested = self._written
            if self._sync is None:
                self._sync = _BackgroundSync(self._file.fileno())
                weakref.finalize(self, _finish_quietly, self._sync)
            self._sync.request()
        return count, self._hash.update(data if count == len(data) else data[:count])

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def truncate(self, size: int | None = None) -> int:
        self._invalidate()
        return self._file.truncate(size)

    def _invalidate(self) -> None:
        self._valid = False
        if self._hash is not None:
            self._hash.stop()

    def digest(self) -> tuple[int, str] | None:
        """(size, sha256 hex) of the file, when it was written front to back; else None."""
        if not self._valid:
            return None
        if self._digest is None:
            self._digest = self._hash.hexdigest() if self._hash is not None else hashlib.sha256().hexdigest()
        return self._written, self._digest

    def sync(self) -> None:
        """Flush and fsync the file, after the background syncs; raises their ``OSError`` too."""
        self._file.flush()
        if self._sync is not None:
            sync, self._sync = self._sync, None
            sync.finish()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._hash is not None:
            self._hash.stop()
        if self._sync is not None:  # before the file descriptor can be closed and reused
            sync, self._sync = self._sync, None
            _finish_quietly(sync)
        self._file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._file)

    def __enter__(self) -> HashingSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the interface ---------------------------------------------------------------------


class Storage(ABC):
    """Where evidence and badge files live. Subclasses are safe to share between threads."""

    #: Recorded on each row as ``storage_backend``.
    name: ClassVar[str]

    @abstractmethod
    def save(self, stream: Readable, *, key_prefix: str, max_bytes: int) -> StoredFile:
        """Store everything ``stream`` yields under a new random key below ``key_prefix``.

        Streams in chunks and computes size and sha256 on the way. Raises
        ``ValidationError("file", ...)`` as soon as more than ``max_bytes`` arrive,
        and then leaves nothing stored; raises ``StorageUnavailable`` when the
        store fails. Errors raised by ``stream`` itself propagate unchanged, also
        leaving nothing stored.
        """

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary file-like object reading the stored bytes as a stream; close it when done.

        Raises ``FileNotFoundError`` when nothing is stored under ``key``,
        ``StorageUnavailable`` when the store fails, ``ValueError`` for an unsafe key.
        """

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file under ``key``; deleting a missing key is not an error.

        Raises ``StorageUnavailable`` when the store fails, ``ValueError`` for an unsafe key.
        """

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``. Raises ``StorageUnavailable`` when the store fails."""

    @abstractmethod
    def iter_keys(self, prefix: str, *, older_than: datetime | None = None) -> Iterator[str]:
        """Every stored key below ``prefix`` (``"evidence"`` yields ``"evidence/12/<hex>"``, ...).

        For consistency checks (``flask storage check``), not for request paths:
        it walks the whole prefix. With ``older_than`` (an aware datetime), only
        files last written before that moment, so a check can leave uploads that
        are still in flight alone. Never yields a partial upload or a name that is
        not a valid key. Raises ``ValueError`` for an unsafe prefix,
        ``StorageUnavailable`` when the store fails.
        """

    def spool_file(self) -> BinaryIO | None:
        """A temporary file for an incoming upload that ``save`` can take over without
        copying it again, or None (the default: uploads are spooled wherever the
        request parser likes, and ``save`` streams them from there)."""
        return None

    def url_for_download(
        self,
        key: str,
        *,
        expires: int = 300,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        """A short-lived URL that downloads ``key`` directly from the store, or None.

        None means the backend cannot hand out such URLs (local disk, memory):
        the app must stream the file through its own authorized route, using
        ``open()`` and ``content_disposition()``. URLs always force a download
        (``attachment``) so uploaded content is never rendered on a page.
        Raises ``ValueError`` for an unsafe key or an ``expires`` outside 1 s to 7 days.
        """
        validate_key(key)
        _check_expiry(expires)
        return None


def _prefix_key(prefix: str) -> str:
    """``prefix`` without its trailing slash, checked like a key (``ValueError`` if unsafe)."""
    return validate_key(prefix.rstrip("/"))


def _check_expiry(expires: int) -> None:
    if not 1 <= expires <= MAX_URL_EXPIRY:
        raise ValueError(f"expires must be between 1 and {MAX_URL_EXPIRY} seconds")


# --- local disk --------------------------------------------------------------------------


class LocalStorage(Storage):
    """Files under ``root`` on local disk; key ``a/b`` is the file ``root/a/b``.

    Writes go to a temporary file in the target directory and are renamed into
    place atomically, so readers never see a partial file.
    """

    name = "local"
    #: Where incoming uploads are spooled (hidden: never a key, never listed).
    SPOOL_DIR = ".incoming"

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self._spools: weakref.WeakSet[Any] = weakref.WeakSet()

    def spool_file(self) -> BinaryIO | None:
        """A named temporary file below the root, on the same file system as the
        stored files, so ``save`` can hard-link it into place instead of writing
        every byte a second time. It hashes and counts what is written to it, so
        ``save`` need not read it again. Deleted when closed; None if it cannot be made."""
        try:
            spool_dir = self.root / self.SPOOL_DIR
            spool_dir.mkdir(parents=True, exist_ok=True)
            spool = HashingSpool(
                tempfile.NamedTemporaryFile(dir=spool_dir, prefix=".spool-", suffix=".part")  # noqa: SIM115
            )
        except OSError as exc:
            log.warning("Could not spool an upload under %s: %s", self.root, exc)
            return None
        self._spools.add(spool)
        return spool  # type: ignore[return-value]

    def _own_spool(self, stream: Readable) -> Any | None:
        """``stream`` if it is one of our spool files, complete and at its start."""
        spool = getattr(stream, "stream", stream)  # Werkzeug's FileStorage wraps it
        try:
            if spool in self._spools and not spool.closed and spool.tell() == 0:
                return spool
        except (TypeError, OSError, ValueError):
            pass
        return None

    def _adopt_spool(self, spool: HashingSpool, key_prefix: str, max_bytes: int) -> StoredFile | None:
        """Size-check a spooled upload and hard-link it under a new key, with the hash taken
        while it was written (read again only if it was not written front to back).
        None when the file system cannot link (the caller copies instead)."""
        key = new_key(key_prefix)
        path = self._path(key)
        digest = spool.digest()
        if digest is None:
            reader = _MeteredReader(spool, max_bytes)
            while reader.read(CHUNK_SIZE):
                pass
            size, sha256 = reader.size, reader.sha256
            spool.seek(0)
        else:
            size, sha256 = digest
            if size > max_bytes:
                raise too_large_error(max_bytes)
        with _local_errors():
            spool.sync()
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(spool.name, path)
        except OSError as exc:
            log.info("Could not link a spooled upload into place (%s); copying it", exc)
            spool.seek(0)
            return None
        return StoredFile(self.name, key, size, sha256)

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):  # a symlink pointing out of the root
            raise ValueError(f"unsafe storage key: {key!r}")
        return path

    def save(self, stream: Readable, *, key_prefix: str, max_bytes: int) -> StoredFile:
        spool = self._own_spool(stream)
        if spool is not None:
            stored = self._adopt_spool(spool, key_prefix, max_bytes)
            if stored is not None:
                return stored
        key = new_key(key_prefix)
        path = self._path(key)
        reader = _MeteredReader(stream, max_bytes)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The temp name starts with ".", which no key segment may, so it never collides.
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
        except OSError as exc:
            raise _local_unavailable(exc) from exc
        try:
            with os.fdopen(fd, "wb") as out:
                # Errors from the source stream propagate as they are; only our own
                # file system failures mean the storage is unavailable.
                while chunk := reader.read(CHUNK_SIZE):
                    with _local_errors():
                        out.write(chunk)
                with _local_errors():
                    out.flush()
                    os.fsync(out.fileno())
            with _local_errors():
                os.replace(tmp_name, path)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise
        return StoredFile(self.name, key, reader.size, reader.sha256)

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise FileNotFoundError(key) from None
        except OSError as exc:
            raise _local_unavailable(exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _local_unavailable(exc) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def iter_keys(self, prefix: str, *, older_than: datetime | None = None) -> Iterator[str]:
        base = self._path(_prefix_key(prefix)) if prefix.strip("/") else self.root
        cutoff = older_than.timestamp() if older_than is not None else None
        try:
            if not base.is_dir():
                return
            for dirpath, dirnames, filenames in os.walk(base):
                # Temp files (".upload-*.part") and hidden directories are never keys.
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    path = Path(dirpath, name)
                    key = path.relative_to(self.root).as_posix()
                    if name.startswith(".") or not _KEY_RE.fullmatch(key) or not path.is_file():
                        continue
                    if cutoff is not None and path.stat().st_mtime >= cutoff:
                        continue
                    yield key
        except OSError as exc:
            raise _local_unavailable(exc) from exc


@contextmanager
def _local_errors() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise _local_unavailable(exc) from exc


def _local_unavailable(exc: OSError) -> StorageUnavailable:
    log.error("Local file storage failed: %s", exc)
    return StorageUnavailable()


# --- memory ------------------------------------------------------------------------------


class MemoryStorage(Storage):
    """Files kept in a dict, for tests. ``save`` streams and limits like the others,
    but the stored bytes naturally live in memory."""

    name = "memory"

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}
        self._saved_at: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def save(self, stream: Readable, *, key_prefix: str, max_bytes: int) -> StoredFile:
        key = new_key(key_prefix)
        reader = _MeteredReader(stream, max_bytes)
        buffer = io.BytesIO()
        while chunk := reader.read(CHUNK_SIZE):
            buffer.write(chunk)
        with self._lock:
            self._files[key] = buffer.getvalue()
            self._saved_at[key] = datetime.now(UTC)
        return StoredFile(self.name, key, reader.size, reader.sha256)

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        with self._lock:
            data = self._files.get(key)
        if data is None:
            raise FileNotFoundError(key)
        return io.BytesIO(data)

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._files.pop(key, None)
            self._saved_at.pop(key, None)

    def exists(self, key: str) -> bool:
        validate_key(key)
        with self._lock:
            return key in self._files

    def keys(self) -> list[str]:
        """Every stored key, sorted (for tests)."""
        with self._lock:
            return sorted(self._files)

    def iter_keys(self, prefix: str, *, older_than: datetime | None = None) -> Iterator[str]:
        below = _prefix_key(prefix) + "/" if prefix.strip("/") else ""
        with self._lock:
            saved = sorted(self._saved_at.items())
        for key, saved_at in saved:
            if key.startswith(below) and (older_than is None or saved_at < older_than):
                yield key


# --- S3 ----------------------------------------------------------------------------------


class S3Storage(Storage):
    """Objects in an S3 bucket, or any S3-compatible store given ``endpoint_url``.

    Uploads go through boto3's transfer manager: one PUT below
    ``S3_MULTIPART_THRESHOLD``, a multipart upload above it, with at most a few
    parts in memory at once. Downloads are presigned GET URLs forcing
    ``attachment``. Credentials come from boto3's usual chain (the
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` environment variables,
    an instance role, ...).
    """

    name = "s3"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any | None = None,
    ):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config as BotoConfig

        if not bucket:
            raise ValueError("S3Storage needs a bucket name (S3_BUCKET)")
        self.bucket = bucket
        if client is None:
            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                config=BotoConfig(
                    signature_version="s3v4",
                    # S3-compatible stores (MinIO, moto, Ceph) expect path-style URLs.
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=60,
                ),
            )
        self.client = client
        self.transfer_config = TransferConfig(
            multipart_threshold=S3_MULTIPART_THRESHOLD,
            multipart_chunksize=S3_PART_SIZE,
            max_concurrency=2,
            preferred_transfer_client="classic",
        )
        # Parts of a non-seekable stream are buffered in memory; s3transfer's default
        # of 10 such parts (80 MB) would defeat streaming. Not a TransferConfig argument.
        self.transfer_config.max_in_memory_upload_chunks = 2

    def save(self, stream: Readable, *, key_prefix: str, max_bytes: int) -> StoredFile:
        key = new_key(key_prefix)
        reader = _MeteredReader(stream, max_bytes)
        try:
            self.client.upload_fileobj(reader, self.bucket, key, Config=self.transfer_config)
        except BaseException as exc:
            self._discard_partial(key)
            if reader.too_large:
                raise too_large_error(max_bytes) from None
            if _is_s3_error(exc):
                raise _s3_unavailable("upload", exc) from exc
            raise
        return StoredFile(self.name, key, reader.size, reader.sha256)

    def _discard_partial(self, key: str) -> None:
        """Best effort after a failed upload: abort multipart uploads and delete the object.

        The transfer manager already aborts its multipart upload on failure;
        this makes sure, and never raises (the original error matters more).
        """
        try:
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key)
            for upload in listing.get("Uploads", []):
                if upload.get("Key") == key:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"])
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001 - cleanup must not mask the upload error
            log.warning("Could not clean up failed S3 upload %s: %s", key, exc)

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(key) from None
            if _is_s3_error(exc):
                raise _s3_unavailable("download", exc) from exc
            raise
        return response["Body"]

    def delete(self, key: str) -> None:
        validate_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_s3_error(exc):
                raise _s3_unavailable("delete", exc) from exc
            raise

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_not_found(exc):
                return False
            if _is_s3_error(exc):
                raise _s3_unavailable("check", exc) from exc
            raise
        return True

    def iter_keys(self, prefix: str, *, older_than: datetime | None = None) -> Iterator[str]:
        below = _prefix_key(prefix) + "/" if prefix.strip("/") else ""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=below)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if not _KEY_RE.fullmatch(key) or len(key) > MAX_KEY_LENGTH:
                        continue
                    if older_than is not None and item["LastModified"] >= older_than:
                        continue
                    yield key
        except Exception as exc:
            if _is_s3_error(exc):
                raise _s3_unavailable("list", exc) from exc
            raise

    def url_for_download(
        self,
        key: str,
        *,
        expires: int = 300,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        validate_key(key)
        _check_expiry(expires)
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
        }
        if content_type:
            params["ResponseContentType"] = content_type
        try:
            # Signing is local: no request is made here.
            return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
        except Exception as exc:
            if _is_s3_error(exc):
                raise _s3_unavailable("sign", exc) from exc
            raise


def _is_s3_error(exc: BaseException) -> bool:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError
    from s3transfer.exceptions import S3UploadFailedError as TransferUploadFailed

    return isinstance(exc, (BotoCoreError, ClientError, Boto3Error, TransferUploadFailed))


def _is_not_found(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in {"NoSuchKey", "404", "NotFound"} or (
        status == 404 and error.get("Code") != "NoSuchBucket"
    )


def _s3_unavailable(action: str, exc: BaseException) -> StorageUnavailable:
    log.error("S3 %s failed: %s: %s", action, type(exc).__name__, exc)
    return StorageUnavailable()


# --- choosing the backend ----------------------------------------------------------------


def build_storage(config: Mapping[str, Any]) -> Storage:
    """A new backend from app config (``STORAGE_BACKEND`` and its settings).

    Raises ``RuntimeError`` naming the setting when the configuration is unusable.
    Makes no network calls.
    """
    backend = (config.get("STORAGE_BACKEND") or "local").strip().lower()
    if backend == "local":
        root = config.get("STORAGE_LOCAL_ROOT")
        if not root:
            raise RuntimeError("STORAGE_LOCAL_ROOT must be set when STORAGE_BACKEND is 'local'")
        return LocalStorage(root)
    if backend == "s3":
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise RuntimeError("S3_BUCKET must be set when STORAGE_BACKEND is 's3'")
        return S3Storage(bucket, endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("S3_REGION"))
    if backend == "memory":
        return MemoryStorage()
    raise RuntimeError(f"STORAGE_BACKEND must be 'local', 's3' or 'memory', not {backend!r}")


def get_storage(app: Flask | None = None) -> Storage:
    """The storage backend of ``app`` (default: the current app), built on first use and cached
    on ``app.extensions["storage"]``. Tests may put their own backend there first."""
    target: Flask = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    storage = target.extensions.get("storage")
    if storage is None:
        storage = target.extensions.setdefault("storage", build_storage(target.config))
    return storage
