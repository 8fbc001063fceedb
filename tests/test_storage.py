"""Storage backends: one contract, checked against local disk, memory and a real S3
endpoint (moto in server mode, see tests/support/s3.py)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from app.errors import ValidationError
from app.storage import (
    S3_MULTIPART_THRESHOLD,
    S3_PART_SIZE,
    LocalStorage,
    MemoryStorage,
    S3Storage,
    Storage,
    StorageUnavailable,
    StoredFile,
    content_disposition,
    describe_limit,
    get_storage,
    validate_key,
)
from tests.support.s3 import S3Bucket, s3_bucket, s3_endpoint  # noqa: F401

MB = 1024 * 1024


class GeneratedStream:
    """A non-seekable reader producing ``total`` deterministic bytes in short reads,
    without ever holding more than one 64 KB block. Position-dependent content, so
    parts stored out of order would change the hash."""

    BLOCK = 64 * 1024

    def __init__(self, total: int, *, fail_after: int | None = None):
        self.total = total
        self.consumed = 0
        self.fail_after = fail_after

    @classmethod
    def block(cls, index: int) -> bytes:
        return hashlib.sha256(index.to_bytes(8, "big")).digest() * (cls.BLOCK // 32)

    @classmethod
    def expected_sha256(cls, total: int) -> str:
        digest = hashlib.sha256()
        for index in range(0, -(-total // cls.BLOCK)):
            digest.update(cls.block(index)[: min(cls.BLOCK, total - index * cls.BLOCK)])
        return digest.hexdigest()

    def read(self, size: int = -1) -> bytes:
        if self.fail_after is not None and self.consumed >= self.fail_after:
            raise OSError("the client went away")
        if self.consumed >= self.total:
            return b""
        index, offset = divmod(self.consumed, self.BLOCK)
        limit = self.BLOCK - offset if size is None or size < 0 else min(size, self.BLOCK - offset)
        chunk = self.block(index)[offset : offset + min(limit, self.total - self.consumed)]
        self.consumed += len(chunk)
        return chunk


@dataclass
class Backend:
    """A storage under test and a way to list everything it holds (including temp files
    and unfinished multipart uploads), to prove failures leave nothing behind."""

    storage: Storage
    contents: Callable[[], list[str]]
    bucket: S3Bucket | None = None


def _s3_contents(bucket: S3Bucket) -> Callable[[], list[str]]:
    def contents() -> list[str]:
        objects = bucket.client.list_objects_v2(Bucket=bucket.name).get("Contents", [])
        uploads = bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])
        return [o["Key"] for o in objects] + [f"multipart:{u['Key']}" for u in uploads]

    return contents


@pytest.fixture(params=["local", "memory", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        root = tmp_path / "files"
        return Backend(LocalStorage(root), lambda: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))
    if request.param == "memory":
        memory = MemoryStorage()
        return Backend(memory, memory.keys)
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    storage = S3Storage(bucket.name, endpoint_url=bucket.endpoint_url, region=bucket.region)
    return Backend(storage, _s3_contents(bucket), bucket)


def _read_all(storage: Storage, key: str) -> bytes:
    with storage.open(key) as handle:
        return handle.read()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the contract, on every backend ------------------------------------------------------


def test_round_trip_reports_size_and_sha256(backend: Backend) -> None:
    data = b"lesson plan\n" * 1000
    stored = backend.storage.save(io.BytesIO(data), key_prefix="evidence/7", max_bytes=len(data))

    assert stored == StoredFile(backend.storage.name, stored.key, len(data), hashlib.sha256(data).hexdigest())
    assert _read_all(backend.storage, stored.key) == data
    assert backend.storage.exists(stored.key)
    assert backend.contents() == [stored.key]


def test_keys_are_random_under_the_prefix(backend: Backend) -> None:
    first = backend.storage.save(io.BytesIO(b"same"), key_prefix="evidence/7", max_bytes=10)
    second = backend.storage.save(io.BytesIO(b"same"), key_prefix="evidence/7/", max_bytes=10)

    assert first.key != second.key
    for key in (first.key, second.key):
        assert re.fullmatch(r"evidence/7/[0-9a-f]{32}", key)
    assert first.sha256 == second.sha256


def test_empty_file_round_trips(backend: Backend) -> None:
    stored = backend.storage.save(io.BytesIO(b""), key_prefix="x", max_bytes=10)
    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert _read_all(backend.storage, stored.key) == b""


def test_over_limit_is_refused_and_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(ValidationError) as caught:
        backend.storage.save(io.BytesIO(b"x" * 5000), key_prefix="evidence/7", max_bytes=4096)

    assert caught.value.field == "file"
    assert "larger than the 4 KB limit" in caught.value.message
    assert backend.contents() == []


def test_over_limit_stops_reading_early(backend: Backend) -> None:
    stream = GeneratedStream(1024 * MB)
    with pytest.raises(ValidationError):
        backend.storage.save(stream, key_prefix="big", max_bytes=1 * MB)
    # Read at most the limit plus one of our reads, not the whole gigabyte.
    assert stream.consumed <= 1 * MB + GeneratedStream.BLOCK
    assert backend.contents() == []


def test_limit_is_inclusive(backend: Backend) -> None:
    stored = backend.storage.save(io.BytesIO(b"x" * 4096), key_prefix="p", max_bytes=4096)
    assert stored.size == 4096


def test_failing_source_propagates_and_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(OSError, match="client went away"):
        backend.storage.save(GeneratedStream(20 * MB, fail_after=2 * MB), key_prefix="p", max_bytes=100 * MB)
    assert backend.contents() == []


def test_large_file_streams_through_intact(backend: Backend) -> None:
    size = 20 * MB + 12345
    stored = backend.storage.save(GeneratedStream(size), key_prefix="video", max_bytes=100 * MB)

    assert stored.size == size
    assert stored.sha256 == GeneratedStream.expected_sha256(size)
    digest = hashlib.sha256()
    with backend.storage.open(stored.key) as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    assert digest.hexdigest() == stored.sha256


def test_delete(backend: Backend) -> None:
    stored = backend.storage.save(io.BytesIO(b"bye"), key_prefix="p", max_bytes=10)
    backend.storage.delete(stored.key)

    assert not backend.storage.exists(stored.key)
    with pytest.raises(FileNotFoundError):
        backend.storage.open(stored.key)
    backend.storage.delete(stored.key)  # deleting again is fine
    assert backend.contents() == []


def test_missing_key(backend: Backend) -> None:
    assert not backend.storage.exists("evidence/7/" + "0" * 32)
    with pytest.raises(FileNotFoundError):
        backend.storage.open("evidence/7/" + "0" * 32)


@pytest.mark.parametrize(
    "key",
    ["../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "", "a\\b", ".hidden", "a/./b", "C:/x", "a/b/", "a\x00b"],
)
def test_unsafe_keys_are_refused(backend: Backend, key: str) -> None:
    for call in (
        lambda: backend.storage.open(key),
        lambda: backend.storage.delete(key),
        lambda: backend.storage.exists(key),
        lambda: backend.storage.url_for_download(key),
    ):
        with pytest.raises(ValueError, match="unsafe storage key"):
            call()


@pytest.mark.parametrize("prefix", ["../up", "/abs", "a/../b", "a\\b"])
def test_unsafe_prefixes_are_refused(backend: Backend, prefix: str) -> None:
    with pytest.raises(ValueError):
        backend.storage.save(io.BytesIO(b"x"), key_prefix=prefix, max_bytes=10)
    assert backend.contents() == []


def test_download_url(backend: Backend) -> None:
    stored = backend.storage.save(io.BytesIO(b"%PDF-1.4 report"), key_prefix="p", max_bytes=100)
    url = backend.storage.url_for_download(
        stored.key, expires=60, filename='Résumé "final".pdf', content_type="application/pdf"
    )
    if backend.storage.name != "s3":
        assert url is None  # the app streams the file through its own authorized route
        return

    assert url is not None
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        disposition = response.headers["Content-Disposition"]
        content_type = response.headers["Content-Type"]
    assert body == b"%PDF-1.4 report"
    assert disposition == content_disposition('Résumé "final".pdf')
    assert disposition.startswith('attachment; filename="Resume _final_.pdf"')
    assert content_type == "application/pdf"


def test_download_url_expiry_is_bounded(backend: Backend) -> None:
    stored = backend.storage.save(io.BytesIO(b"x"), key_prefix="p", max_bytes=10)
    for expires in (0, -5, 8 * 24 * 3600):
        with pytest.raises(ValueError):
            backend.storage.url_for_download(stored.key, expires=expires)


def test_iter_keys_lists_what_is_stored_below_the_prefix(backend: Backend) -> None:
    first = backend.storage.save(io.BytesIO(b"a"), key_prefix="evidence/7", max_bytes=10)
    thumb = backend.storage.save(io.BytesIO(b"b"), key_prefix="evidence/7/thumbnails", max_bytes=10)
    other = backend.storage.save(io.BytesIO(b"c"), key_prefix="evidence/8", max_bytes=10)
    backend.storage.save(io.BytesIO(b"d"), key_prefix="badges", max_bytes=10)
    backend.storage.save(io.BytesIO(b"e"), key_prefix="evidence-old", max_bytes=10)

    assert sorted(backend.storage.iter_keys("evidence")) == sorted([first.key, thumb.key, other.key])
    assert sorted(backend.storage.iter_keys("evidence/7/")) == sorted([first.key, thumb.key])
    assert list(backend.storage.iter_keys("nothing/here")) == []
    backend.storage.delete(first.key)
    assert first.key not in set(backend.storage.iter_keys("evidence"))


def test_iter_keys_can_skip_recent_files(backend: Backend) -> None:
    from datetime import UTC, datetime, timedelta

    stored = backend.storage.save(io.BytesIO(b"a"), key_prefix="evidence/7", max_bytes=10)
    assert list(backend.storage.iter_keys("evidence", older_than=datetime.now(UTC) - timedelta(hours=1))) == []
    assert list(backend.storage.iter_keys("evidence", older_than=datetime.now(UTC) + timedelta(hours=1))) == [stored.key]


@pytest.mark.parametrize("prefix", ["../up", "/abs", "a/../b"])
def test_iter_keys_refuses_unsafe_prefixes(backend: Backend, prefix: str) -> None:
    with pytest.raises(ValueError):
        list(backend.storage.iter_keys(prefix))


def test_local_iter_keys_skips_partial_uploads(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    stored = storage.save(io.BytesIO(b"a"), key_prefix="evidence/7", max_bytes=10)
    (tmp_path / "evidence" / "7" / ".upload-abc.part").write_bytes(b"half")
    assert list(storage.iter_keys("evidence")) == [stored.key]


# --- memory use ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["local", "s3"])
def test_memory_does_not_grow_with_file_size(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Peak Python memory while saving stays flat from 25 to 50 MB and well under the file
    size. (MemoryStorage is excluded: keeping the bytes in memory is its job.)"""
    if name == "local":
        storage: Storage = LocalStorage(tmp_path)
        ceiling = 2 * MB
    else:
        bucket: S3Bucket = request.getfixturevalue("s3_bucket")
        storage = S3Storage(bucket.name, endpoint_url=bucket.endpoint_url, region=bucket.region)
        # Two buffered parts plus the transfer manager's look-ahead; see S3Storage.
        ceiling = 5 * S3_PART_SIZE
    storage.save(io.BytesIO(b"warm-up"), key_prefix="warm", max_bytes=10)  # build clients, pools

    peaks = {}
    for size in (25 * MB, 50 * MB):
        tracemalloc.start()
        try:
            stored = storage.save(GeneratedStream(size), key_prefix="big", max_bytes=100 * MB)
            peaks[size] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert stored.size == size

    assert peaks[50 * MB] < ceiling < 50 * MB, peaks
    assert peaks[50 * MB] < peaks[25 * MB] * 1.25 + MB, peaks


# --- S3 specifics --------------------------------------------------------------------------


def _record(storage: S3Storage, operation: str) -> list[str]:
    calls: list[str] = []
    storage.client.meta.events.register(
        f"before-call.s3.{operation}", lambda params, **_: calls.append(params.get("url_path", ""))
    )
    return calls


def test_s3_large_upload_is_multipart(s3_bucket: S3Bucket) -> None:  # noqa: F811
    storage = S3Storage(s3_bucket.name, endpoint_url=s3_bucket.endpoint_url, region=s3_bucket.region)
    created = _record(storage, "CreateMultipartUpload")
    parts = _record(storage, "UploadPart")
    size = 20 * MB
    assert size > S3_MULTIPART_THRESHOLD

    stored = storage.save(GeneratedStream(size), key_prefix="video", max_bytes=100 * MB)

    assert len(created) == 1
    assert len(parts) == -(-size // S3_PART_SIZE)
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=stored.key)
    assert head["ContentLength"] == size
    assert stored.sha256 == GeneratedStream.expected_sha256(size)
    assert s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", []) == []


def test_s3_small_upload_is_a_single_put(s3_bucket: S3Bucket) -> None:  # noqa: F811
    storage = S3Storage(s3_bucket.name, endpoint_url=s3_bucket.endpoint_url, region=s3_bucket.region)
    created = _record(storage, "CreateMultipartUpload")
    storage.save(io.BytesIO(b"x" * MB), key_prefix="p", max_bytes=10 * MB)
    assert created == []


def test_s3_over_limit_during_multipart_aborts_the_upload(s3_bucket: S3Bucket) -> None:  # noqa: F811
    storage = S3Storage(s3_bucket.name, endpoint_url=s3_bucket.endpoint_url, region=s3_bucket.region)
    created = _record(storage, "CreateMultipartUpload")

    with pytest.raises(ValidationError, match="larger than the 12 MB limit"):
        storage.save(GeneratedStream(40 * MB), key_prefix="video", max_bytes=12 * MB)

    # A multipart upload really was under way. Whether a part request started before the
    # limit tripped depends on the transfer threads' timing, so only the creation is asserted.
    assert len(created) == 1
    assert s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", []) == []
    assert s3_bucket.client.list_objects_v2(Bucket=s3_bucket.name).get("KeyCount", 0) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.save(io.BytesIO(b"draft evidence"), key_prefix="p", max_bytes=100),
        lambda s: s.save(GeneratedStream(20 * MB), key_prefix="p", max_bytes=100 * MB),
        lambda s: s.open("p/" + "0" * 32),
        lambda s: s.exists("p/" + "0" * 32),
        lambda s: s.delete("p/" + "0" * 32),
        lambda s: list(s.iter_keys("p")),
    ],
    ids=["save", "save-multipart", "open", "exists", "delete", "iter_keys"],
)
def test_s3_endpoint_down_raises_storage_unavailable(call, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    storage = S3Storage("evidence", endpoint_url=f"http://127.0.0.1:{_free_port()}", region="us-east-1")

    with pytest.raises(StorageUnavailable) as caught:
        call(storage)

    assert caught.value.status == 503
    assert caught.value.code == "storage_unavailable"
    assert "try" in caught.value.message


def test_s3_missing_bucket_is_unavailable(s3_endpoint) -> None:  # noqa: F811
    storage = S3Storage("no-such-bucket", endpoint_url=s3_endpoint.url, region="us-east-1", client=s3_endpoint.client())
    with pytest.raises(StorageUnavailable):
        storage.save(io.BytesIO(b"x"), key_prefix="p", max_bytes=10)


def test_storage_unavailable_renders_503_envelope(make_app) -> None:
    app = make_app()

    def broken():
        raise StorageUnavailable()

    app.add_url_rule("/api/v1/_storage_down", view_func=broken)
    response = app.test_client().get("/api/v1/_storage_down")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"


# --- choosing the backend ------------------------------------------------------------------


def test_testing_config_uses_memory(app) -> None:
    storage = get_storage()
    assert isinstance(storage, MemoryStorage)
    assert get_storage(app) is storage is app.extensions["storage"]


def test_local_backend_from_config(make_app, tmp_path: Path) -> None:
    app = make_app(STORAGE_BACKEND="local", STORAGE_LOCAL_ROOT=str(tmp_path / "files"))
    storage = get_storage(app)

    assert isinstance(storage, LocalStorage)
    stored = storage.save(io.BytesIO(b"hello"), key_prefix="evidence/1", max_bytes=10)
    assert (tmp_path / "files" / stored.key).read_bytes() == b"hello"


def test_s3_backend_from_config(make_app, s3_bucket: S3Bucket) -> None:  # noqa: F811
    app = make_app(
        STORAGE_BACKEND="s3", S3_BUCKET=s3_bucket.name, S3_ENDPOINT_URL=s3_bucket.endpoint_url, S3_REGION="us-east-1"
    )
    storage = get_storage(app)

    assert isinstance(storage, S3Storage)
    stored = storage.save(io.BytesIO(b"hello"), key_prefix="evidence/1", max_bytes=10)
    body = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=stored.key)["Body"].read()
    assert body == b"hello"


@pytest.mark.parametrize(
    "overrides, setting",
    [
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": None}, "S3_BUCKET"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND"),
        ({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_ROOT": ""}, "STORAGE_LOCAL_ROOT"),
    ],
)
def test_unusable_config_names_the_setting(make_app, overrides: dict, setting: str) -> None:
    app = make_app(**overrides)
    with pytest.raises(RuntimeError, match=setting):
        get_storage(app)


# --- helpers -------------------------------------------------------------------------------


def test_content_disposition() -> None:
    assert content_disposition(None) == "attachment"
    header = content_disposition('Évaluation "unité 3"\r\nX-Injected: 1.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="Evaluation _unite 3_X-Injected: 1.pdf"; filename*=UTF-8\'\'')
    assert "%C3%89valuation" in header


@pytest.mark.parametrize(
    "size, text", [(100 * MB, "100 MB"), (int(1.5 * MB), "1.5 MB"), (512 * 1024, "512 KB"), (100, "100 bytes")]
)
def test_describe_limit(size: int, text: str) -> None:
    assert describe_limit(size) == text


def test_validate_key_accepts_our_keys() -> None:
    assert validate_key("evidence/12/" + "a" * 32) == "evidence/12/" + "a" * 32
    with pytest.raises(ValueError):
        validate_key("x" * 501)


# --- spooled uploads on local disk ---------------------------------------------------------


def test_local_storage_adopts_its_spool_without_copying(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    spool = storage.spool_file()
    data = os.urandom(3 * MB)
    spool.write(data)
    spool.seek(0)
    stored = storage.save(spool, key_prefix="evidence/1", max_bytes=10 * MB)
    path = tmp_path / "files" / stored.key
    assert path.read_bytes() == data and stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert os.stat(spool.name).st_ino == path.stat().st_ino  # linked, not written again
    spool.close()
    assert path.read_bytes() == data
    assert list((tmp_path / "files" / LocalStorage.SPOOL_DIR).iterdir()) == []
    assert list(storage.iter_keys("evidence")) == [stored.key]


def test_a_spool_over_the_limit_is_refused_and_not_linked(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    spool = storage.spool_file()
    spool.write(b"x" * (2 * MB))
    spool.seek(0)
    with pytest.raises(ValidationError, match="larger than"):
        storage.save(spool, key_prefix="evidence/1", max_bytes=MB)
    spool.close()
    assert list(storage.iter_keys("evidence")) == []


def test_a_spool_written_front_to_back_is_hashed_while_written_not_read_again(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    spool = storage.spool_file()
    pieces = [os.urandom(300 * 1024) for _ in range(5)]
    for piece in pieces:
        spool.write(piece)
    spool.seek(0)
    reads: list[int] = []
    real_read = spool._file.read
    spool._file.read = lambda size=-1: reads.append(size) or real_read(size)
    stored = storage.save(spool, key_prefix="evidence/1", max_bytes=10 * MB)
    data = b"".join(pieces)
    assert reads == []  # size and sha256 came from the writes
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "files" / stored.key).read_bytes() == data
    spool.close()


def _hash_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "upload-sha256"]


def test_a_spool_hashes_in_one_thread_that_ends_with_the_digest_or_the_close(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    before = len(_hash_threads())
    first, second = storage.spool_file(), storage.spool_file()
    assert len(_hash_threads()) == before  # none until something is written
    data = bytearray(os.urandom(MB))
    first.write(data)
    data[:10] = b"0123456789"  # the caller may reuse its buffer once write() returns
    first.write(memoryview(data)[: MB // 2])
    second.write(b"x" * 1000)
    assert len(_hash_threads()) == before + 2
    original = Path(first.name)
    first.flush()
    written = original.read_bytes()
    assert first.digest() == (len(written), hashlib.sha256(written).hexdigest())
    assert first.digest() == (len(written), hashlib.sha256(written).hexdigest())  # asked twice: the same
    second.close()
    assert len(_hash_threads()) == before
    first.close()


def test_a_borrowed_piece_is_hashed_before_its_waiter_returns(tmp_path: Path) -> None:
    spool = LocalStorage(tmp_path / "files").spool_file()
    buffer = bytearray(os.urandom(MB))
    waits = [spool.write_borrowed(memoryview(buffer)[i : i + MB // 4]) for i in range(0, MB, MB // 4)]
    waits[-1]()  # pieces are hashed in order: the last one done means all are
    expected = bytes(buffer)
    buffer[:] = bytes(MB)  # the caller may now reuse its buffer
    assert spool.digest() == (MB, hashlib.sha256(expected).hexdigest())
    spool.flush()
    assert Path(spool.name).read_bytes() == expected
    spool.close()


def test_a_spool_starts_writing_to_disk_while_it_is_written(monkeypatch, tmp_path: Path) -> None:
    import app.storage

    synced: list[int] = []
    monkeypatch.setattr(app.storage, "SPOOL_SYNC_BYTES", MB)
    monkeypatch.setattr(app.storage.os, "fdatasync", lambda fd: synced.append(fd), raising=False)
    storage = LocalStorage(tmp_path / "files")
    spool = storage.spool_file()
    for _ in range(4):
        spool.write(os.urandom(MB // 2))
        time.sleep(0.01)
    spool.seek(0)
    stored = storage.save(spool, key_prefix="evidence/1", max_bytes=10 * MB)
    assert synced and set(synced) == {spool.fileno()}
    assert not [t for t in threading.enumerate() if t.name == "upload-fdatasync"]  # ended before the fsync
    assert stored.size == 2 * MB
    spool.close()


def test_a_failed_background_sync_fails_the_save(monkeypatch, tmp_path: Path) -> None:
    import app.storage

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(app.storage, "SPOOL_SYNC_BYTES", MB)
    monkeypatch.setattr(app.storage.os, "fdatasync", failing, raising=False)
    storage = LocalStorage(tmp_path / "files")
    spool = storage.spool_file()
    spool.write(os.urandom(2 * MB))
    spool.seek(0)
    # Linux reports a failed writeback to one sync call: the final fsync alone might succeed.
    with pytest.raises(StorageUnavailable):
        storage.save(spool, key_prefix="evidence/1", max_bytes=10 * MB)
    spool.close()
    assert list(storage.iter_keys("evidence")) == []


@pytest.mark.parametrize("rewrite", ["seek", "truncate"])
def test_a_spool_changed_behind_its_writes_is_hashed_by_reading_it(tmp_path: Path, rewrite: str) -> None:
    storage = LocalStorage(tmp_path / "files")
    spool = storage.spool_file()
    spool.write(b"a" * 1000)
    if rewrite == "seek":
        spool.seek(10)
        spool.write(b"b" * 10)
    else:
        spool.truncate(500)
    assert spool.digest() is None
    spool.flush()
    expected = Path(spool.name).read_bytes()
    spool.seek(0)
    stored = storage.save(spool, key_prefix="evidence/1", max_bytes=10 * MB)
    assert stored.size == len(expected) and stored.sha256 == hashlib.sha256(expected).hexdigest()
    assert (tmp_path / "files" / stored.key).read_bytes() == expected
    spool.close()


def test_other_streams_and_other_backends_are_copied(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    other = LocalStorage(tmp_path / "other")
    foreign = other.spool_file()  # another backend's spool is just a file to copy
    foreign.write(b"hello")
    foreign.seek(0)
    stored = storage.save(foreign, key_prefix="evidence/1", max_bytes=10)
    assert os.stat(foreign.name).st_ino != (tmp_path / "files" / stored.key).stat().st_ino
    assert MemoryStorage().spool_file() is None


def test_large_uploads_through_the_app_are_spooled_into_local_storage(make_app, tmp_path: Path) -> None:
    from app.evidence import services
    from app.extensions import db
    from tests import factories

    app = make_app(STORAGE_BACKEND="local", STORAGE_LOCAL_ROOT=str(tmp_path / "files"))
    with app.app_context():
        org = factories.organization()
        teacher = factories.user(organization=org)
        credential = factories.micro_credential(org)
        file_part = credential.requirements[1]
        draft = services.start_attempt(teacher=teacher, credential=credential)
        db.session.commit()
        body = b"%PDF-1.4\n" + os.urandom(2 * MB) + b"\n%%EOF\n"
        response = app.test_client(user=teacher).post(
            f"/submissions/{draft.id}/files/{file_part.id}", content_type="multipart/form-data",
            data={f"part-{file_part.id}-file": (io.BytesIO(body), "plan.pdf")},
        )
        assert response.status_code == 302
        artifact = draft.artifacts[0]
        assert (tmp_path / "files" / artifact.storage_key).read_bytes() == body
        assert artifact.sha256 == hashlib.sha256(body).hexdigest()
        assert list((tmp_path / "files" / LocalStorage.SPOOL_DIR).iterdir()) == []  # the spool is gone
        assert services.check_storage(grace=timedelta(0)).clean
