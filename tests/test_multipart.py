"""The streaming multipart reader (``app.multipart``): the same results as Werkzeug's
parser however the body is cut into reads and buffers, the same errors and limits,
gunicorn's socket read directly, and memory that does not grow with the file."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser

from app.multipart import BodyReader, GunicornBodyReader, StreamingMultiPartParser
from app.storage import LocalStorage

BOUNDARY = b"b0undary-x"
MB = 1024 * 1024


def part(name: str, data: bytes, *, filename: str | None = None, content_type: str | None = None,
         extra: bytes = b"") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    head = b"Content-Disposition: " + disposition.encode() + b"\r\n"
    if content_type:
        head += b"Content-Type: " + content_type.encode() + b"\r\n"
    return b"--" + BOUNDARY + b"\r\n" + head + extra + b"\r\n" + data + b"\r\n"


def body(*parts: bytes, preamble: bytes = b"", epilogue: bytes = b"\r\n") -> bytes:
    return preamble + b"".join(parts) + b"--" + BOUNDARY + b"--" + epilogue


LOOKALIKES = (
    b"line one\r\nline two\r\n\r\n"
    b"\r\n--" + BOUNDARY + b"-x\r\n"  # a longer boundary
    b"\r\n--" + BOUNDARY + b" x\r\n"  # blanks, then not a line break
    b"no line break before--" + BOUNDARY + b"\r\n"
    b"\r\n--" + BOUNDARY[:-1] + b"\r\n"  # one byte short
    b"ends with a CR\r"
)

BODIES = {
    "field-and-file": body(part("note", b"hello"), part("file", os.urandom(3000), filename="plan.pdf",
                                                         content_type="application/pdf")),
    "preamble-and-epilogue": body(part("a", b"1"), preamble=b"This is a preamble.\r\n",
                                  epilogue=b"\r\nThis is an epilogue, ignored.\r\n"),
    "lookalikes-in-a-file": body(part("file", LOOKALIKES * 20, filename="notes.txt", content_type="text/plain")),
    "lookalikes-in-a-field": body(part("note", LOOKALIKES)),
    "several-fields-and-files": body(
        part("a", b"1"), part("file", b"first", filename="one.txt", content_type="text/plain"),
        part("a", "zwei \u00fc".encode()), part("file", b"second\r\n", filename="two.txt"),
        part("other", os.urandom(700), filename="x.bin", content_type="application/octet-stream"),
        part("latin", "caf\u00e9".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"),
    ),
    "empty-file-and-field": body(part("file", b"", filename="empty.pdf"), part("note", b""),
                                 part("blank", b"", filename="")),
    "lf-only": (b"--" + BOUNDARY + b"\nContent-Disposition: form-data; name=\"a\"\n\nvalue\n"
                b"--" + BOUNDARY + b"\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\n\n"
                b"x\ny\n--" + BOUNDARY + b"--\n"),
    "folded-header-and-blanks-after-the-boundary": (
        b"--" + BOUNDARY + b" \t\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\n\r\nv\r\n"
        b"--" + BOUNDARY + b"--  \r\n"),
    "blanks-after-boundaries-that-end-data": (
        body(part("f", b"x" * 50, filename="f.txt")).replace(b"\r\n--" + BOUNDARY + b"--", b"\r\n--" + BOUNDARY + b" \t \r\n"
             b"Content-Disposition: form-data; name=\"g\"\r\n\r\ny\r\n--" + BOUNDARY + b"--")),
    "no-line-break-after-the-last-boundary": body(part("a", b"1"), epilogue=b""),
    "only-the-last-boundary": b"--" + BOUNDARY + b"--\r\n",
    "data-ending-in-line-breaks": body(part("f", b"x\r\n\r\n\r", filename="f.txt"), part("g", b"\n\n")),
}

ERRORS = {
    "missing-last-boundary": body(part("a", b"1"))[: -len(b"--" + BOUNDARY + b"--\r\n")],
    "truncated-in-a-file": body(part("file", b"x" * 500, filename="f.pdf"))[:200],
    "truncated-in-headers": body(part("file", b"x", filename="f.pdf"))[:40],
    "no-boundary-at-all": b"just some bytes\r\n",
    "no-content-disposition": b"--" + BOUNDARY + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + BOUNDARY + b"--\r\n",
    "empty-body": b"",
}


class ShortReads(io.RawIOBase):
    """A stream that returns at most ``step`` bytes per read, as a socket may."""

    def __init__(self, data: bytes, step: int):
        self._data, self._step, self._position = data, step, 0

    def read(self, size: int = -1) -> bytes:
        size = self._step if size is None or size < 0 else min(size, self._step)
        piece = self._data[self._position : self._position + size]
        self._position += len(piece)
        return piece


def werkzeug_parse(data: bytes, **limits):
    return MultiPartParser(**limits).parse(io.BytesIO(data), BOUNDARY, len(data))


def streaming_parse(data: bytes, *, buffer_size: int = 256, step: int | None = None, **limits):
    parser = StreamingMultiPartParser(buffer_size=buffer_size, **limits)
    return parser.parse_body(BodyReader(ShortReads(data, step or len(data) + 1)), BOUNDARY, len(data))


def summary(result) -> tuple:
    form, files = result
    return (
        list(form.items(multi=True)),
        [(key, f.filename, f.content_type, list(f.headers.items()), f.read()) for key, f in files.items(multi=True)],
    )


@pytest.mark.parametrize("name", BODIES)
@pytest.mark.parametrize("buffer_size, step", [(160, None), (173, 1), (256, 7), (300, 64), (4096, None)])
def test_the_same_result_as_werkzeug(name: str, buffer_size: int, step: int | None) -> None:
    data = BODIES[name]
    expected = summary(werkzeug_parse(data))
    assert expected[0] or expected[1] or name == "only-the-last-boundary"  # the body is not refused as a whole
    assert summary(streaming_parse(data, buffer_size=buffer_size, step=step)) == expected


@pytest.mark.parametrize("step", [None, 1, 5])
def test_a_boundary_across_every_buffer_and_read_edge(step: int | None) -> None:
    buffer_size = 128
    for shift in range(buffer_size + 1):
        content = b"\r" * (shift % 3) + os.urandom(shift) + b"\r\n--" + BOUNDARY[:5] + b"\r"
        data = body(part("f", content, filename="f.bin"), part("g", b"after"))
        expected = summary(werkzeug_parse(data))
        assert summary(streaming_parse(data, buffer_size=buffer_size, step=step)) == expected, shift


@pytest.mark.parametrize("name", ERRORS)
@pytest.mark.parametrize("step", [None, 3])
def test_malformed_bodies_are_refused_as_werkzeug_refuses_them(name: str, step: int | None) -> None:
    data = ERRORS[name]
    with pytest.raises(ValueError):
        werkzeug_parse(data)
    with pytest.raises(ValueError):
        streaming_parse(data, step=step)


LIMITS = {
    "too-many-parts": (body(*(part(f"f{i}", b"x") for i in range(6))), {"max_form_parts": 5}),
    "field-over-the-memory-limit": (body(part("note", b"y" * 3000)), {"max_form_memory_size": 2000}),
    "header-block-over-the-memory-limit": (
        body(part("note", b"y", extra=b"X-Long: " + b"z" * 3000 + b"\r\n")), {"max_form_memory_size": 2000}),
    "epilogue-over-the-memory-limit": (body(part("a", b"1"), epilogue=b"\r\n" + b"e" * 5000),
                                       {"max_form_memory_size": 2000}),
}


@pytest.mark.parametrize("name", LIMITS)
def test_limits_are_werkzeugs(name: str) -> None:
    data, limits = LIMITS[name]
    with pytest.raises(RequestEntityTooLarge):
        werkzeug_parse(data, **limits)
    with pytest.raises(RequestEntityTooLarge):
        streaming_parse(data, buffer_size=8192, step=1000, **limits)


def test_files_are_not_held_to_the_memory_limit() -> None:
    data = body(part("file", os.urandom(10_000), filename="big.bin"), part("a", b"1"))
    expected = summary(werkzeug_parse(data, max_form_memory_size=2000, buffer_size=1000))
    assert summary(streaming_parse(data, buffer_size=1024, max_form_memory_size=2000)) == expected


def test_a_header_block_larger_than_a_buffer_is_refused() -> None:
    data = body(part("note", b"y", extra=b"X-Long: " + b"z" * 3000 + b"\r\n"))
    with pytest.raises(RequestEntityTooLarge):
        streaming_parse(data, buffer_size=1024)
    assert summary(streaming_parse(data, buffer_size=4096)) == summary(werkzeug_parse(data))


# --- lending buffers to the spool's hash thread ----------------------------------------------


def test_a_buffer_is_not_received_into_again_before_its_slices_are_hashed(monkeypatch, tmp_path: Path) -> None:
    import app.storage

    real_sha256 = hashlib.sha256

    class SlowHash:  # hashes late, so a buffer reused too early would change what it hashes
        def __init__(self) -> None:
            self._hash = real_sha256()

        def update(self, piece) -> None:
            time.sleep(0.0005)
            self._hash.update(piece)

        def hexdigest(self) -> str:
            return self._hash.hexdigest()

    monkeypatch.setattr(app.storage.hashlib, "sha256", SlowHash)
    content = os.urandom(300_000)
    data = body(part("file", content, filename="f.bin"))
    storage = LocalStorage(tmp_path)
    parser = StreamingMultiPartParser(buffer_size=4096, stream_factory=lambda **_: storage.spool_file())
    parser.buffer_count = 2
    files = parser.parse_body(BodyReader(io.BytesIO(data)), BOUNDARY, len(data))[1]
    spool = files["file"].stream
    assert spool.digest() == (len(content), real_sha256(content).hexdigest())
    assert spool.read() == content
    spool.close()


def _chunks(total: int, piece: bytes) -> Iterator[bytes]:
    while total > 0:
        yield piece[: min(total, len(piece))]
        total -= len(piece)


class GeneratedBody(io.RawIOBase):
    """A multipart body with one file of ``size`` random-looking bytes, made while it is read."""

    def __init__(self, size: int):
        self._parts = iter([part("file", b"", filename="big.pdf")[:-2], *_chunks(size, os.urandom(MB)),
                            b"\r\n--" + BOUNDARY + b"--\r\n"])
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while not self._pending:
            self._pending = next(self._parts, b"")
            if not self._pending:
                return b""
        piece, self._pending = self._pending[:size], self._pending[size:]
        return piece


@pytest.mark.parametrize("storage_kind", ["spool", "temporary file"])
def test_memory_does_not_grow_with_the_file_size(storage_kind: str, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    def peak(size: int) -> int:
        factory = (lambda **_: storage.spool_file()) if storage_kind == "spool" else (lambda **_: open(tmp_path / "t", "w+b"))  # noqa: SIM115
        parser = StreamingMultiPartParser(buffer_size=MB, stream_factory=factory)
        tracemalloc.start()
        try:
            files = parser.parse_body(BodyReader(GeneratedBody(size)), BOUNDARY, None)[1]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        stream = files["file"].stream
        stream.seek(0, os.SEEK_END)
        assert stream.tell() == size
        stream.close()
        return peak

    small, large = peak(4 * MB), peak(48 * MB)
    assert large < 8 * MB  # four 1 MB buffers, the generator's 1 MB piece and its slices
    assert large - small < MB


# --- gunicorn's socket ------------------------------------------------------------------------


def _gunicorn_environ(sock: socket.socket, length: int, already_received: bytes) -> dict:
    from gunicorn.http.body import Body, LengthReader
    from gunicorn.http.unreader import SocketUnreader

    sock.settimeout(10)  # a reader that loses count of the body fails instead of waiting for ever
    unreader = SocketUnreader(sock)
    unreader.unread(already_received)  # what gunicorn received with the request's headers
    return {"wsgi.input": Body(LengthReader(unreader, length)), "gunicorn.socket": sock}


@pytest.mark.parametrize("received_with_headers", [0, 100, "all", "all-and-the-next-request"])
def test_gunicorns_socket_is_read_directly_and_left_at_the_end_of_the_body(received_with_headers) -> None:
    content = os.urandom(3 * MB + 17)
    data = body(part("note", b"hi"), part("file", content, filename="f.pdf", content_type="application/pdf"))
    following = b"GET /next HTTP/1.1\r\n\r\n"
    early = {0: b"", 100: data[:100], "all": data, "all-and-the-next-request": data + following}[received_with_headers]
    server, client = socket.socketpair()
    client.settimeout(10)  # a parser that stops reading early must not hang the test
    sender = threading.Thread(target=client.sendall, args=(data[len(early[: len(data)]) :] + following,))
    sender.start()
    try:
        environ = _gunicorn_environ(server, len(data), early)
        reader = GunicornBodyReader.of(environ, len(data))
        assert reader is not None
        form, files = StreamingMultiPartParser(buffer_size=MB).parse_body(reader, BOUNDARY, len(data))
        assert form["note"] == "hi" and files["file"].read() == content
        body_ = environ["wsgi.input"]
        assert body_.reader.length == 0 and body_.read() == b""
        assert body_.reader.unreader.read(len(following)) == following  # the next request is intact
    finally:
        sender.join()
        server.close()
        client.close()


def test_a_refused_body_leaves_gunicorn_the_rest_of_it() -> None:
    data = body(part("note", b"y" * 5000), part("file", b"x" * 100_000, filename="f.pdf"))
    server, client = socket.socketpair()
    client.settimeout(10)  # a parser that stops reading early must not hang the test
    sender = threading.Thread(target=client.sendall, args=(data[4000:],))
    sender.start()
    try:
        environ = _gunicorn_environ(server, len(data), data[:4000])
        reader = GunicornBodyReader.of(environ, len(data))
        parser = StreamingMultiPartParser(buffer_size=1024, max_form_memory_size=2000)
        with pytest.raises(RequestEntityTooLarge):
            parser.parse_body(reader, BOUNDARY, len(data))
        body_ = environ["wsgi.input"]
        left = body_.reader.length
        rest = body_.read()
        assert 0 < len(rest) == left and data.endswith(rest)
    finally:
        sender.join()
        server.close()
        client.close()


def test_a_body_that_ends_early_on_gunicorns_socket_is_a_client_disconnect() -> None:
    data = body(part("file", b"x" * 10_000, filename="f.pdf"))
    server, client = socket.socketpair()
    client.sendall(data[:5000])
    client.close()
    try:
        environ = _gunicorn_environ(server, len(data), b"")
        with pytest.raises(ClientDisconnected):
            StreamingMultiPartParser(buffer_size=4096).parse_body(GunicornBodyReader.of(environ, len(data)), BOUNDARY,
                                                                  len(data))
    finally:
        server.close()


def test_other_streams_are_read_with_read() -> None:
    from gunicorn.http.body import Body, ChunkedReader
    from gunicorn.http.unreader import SocketUnreader

    server, client = socket.socketpair()
    try:
        assert GunicornBodyReader.of({"wsgi.input": io.BytesIO(b"x")}, 1) is None
        chunked = Body(ChunkedReader(None, SocketUnreader(server)))
        assert GunicornBodyReader.of({"wsgi.input": chunked, "gunicorn.socket": server}, None) is None
        environ = _gunicorn_environ(server, 10, b"")
        assert GunicornBodyReader.of(environ, 11) is None  # not the length Werkzeug was told
        assert GunicornBodyReader.of({**environ, "gunicorn.socket": client}, 10) is None
        environ["wsgi.input"].buf.write(b"x")  # something already read from the body
        assert GunicornBodyReader.of(environ, 10) is None
    finally:
        server.close()
        client.close()
