"""A streaming ``multipart/form-data`` reader for large request bodies.

Werkzeug's parser copies every byte of an upload several times in user space:
the server's buffers, ``LimitedStream``, the decoder's ``bytearray``, a slice and
a ``bytes()`` of each piece. This reader receives the body into a few reused
buffers (``recv_into`` on gunicorn's socket when the body has a known length and
nothing has read it yet, plain ``read()`` from any other stream), finds the
boundary with ``bytearray.find`` and writes file data as ``memoryview`` slices
of those buffers. A file spool that hashes in a thread of its own may borrow the
slices (``write_borrowed``): a buffer is only received into again once every
slice lent from it has been hashed.

The results are Werkzeug's: the same boundary rules (a line break, ``\\r\\n``,
``\\n`` or ``\\r``, before ``--boundary``; blanks and a line break, or ``--``,
after it), the same header parsing, form and file values, ``stream_factory``
calls and limits (``max_form_memory_size`` for fields and for the bytes held
while looking for a header block, preamble or epilogue, ``max_form_parts``).
Malformed bodies raise ``ValueError`` as Werkzeug's decoder does, so the form
parser treats them the same way (an empty form, by default); limits raise
``RequestEntityTooLarge``. A preamble or header block must also fit in one
buffer. Unlike Werkzeug's decoder, the result never depends on how the server
cuts the body into reads (a ``\r`` at the end of one read waits for the next).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import File

#: Size of each receive buffer; a header block or preamble must fit in one.
BUFFER_BYTES = 1024 * 1024
#: Buffers in rotation: one receives while slices of the others wait to be hashed.
BUFFER_COUNT = 4

_LINE_BREAK = rb"(?:\r\n|\n|\r)"
_BLANKS = rb"[^\S\n\r]*"
_BLANK_LINE = re.compile(rb"\r\n\r\n|\r\r|\n\n")
_DATA_START = re.compile(_LINE_BREAK)
_HEADER_CONTINUATION = re.compile(_LINE_BREAK + rb"[ \t]")
#: What makes ``--boundary`` a boundary: ``--`` (the last one), or blanks and a line break.
_AFTER_BOUNDARY = re.compile(rb"--|" + _BLANKS + _LINE_BREAK)
#: What may still become ``_AFTER_BOUNDARY`` (or a longer match of it) with more bytes.
_AFTER_BOUNDARY_SO_FAR = re.compile(rb"-?|" + _BLANKS + rb"\r?")
_CR, _LF = 13, 10


class BodyReader:
    """Reads a request body into caller's buffers: from ``stream.read()`` (one copy more)."""

    def __init__(self, stream: Any):
        self._read = stream.read

    def readinto(self, view: memoryview) -> int:
        data = self._read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Hand back anything taken from the server but not consumed (nothing, here)."""


class GunicornBodyReader(BodyReader):
    """Reads a body of known length straight from gunicorn's socket.

    Takes the bytes gunicorn already received (``take_buffered``; any beyond the
    body go straight back), then ``recv_into`` for exactly the rest of the body.
    gunicorn's ``LengthReader`` is kept counting what is left, and ``close`` hands
    back taken bytes not consumed, so gunicorn can still read or drain the rest.
    """

    def __init__(self, body: Any, sock: Any):
        self._reader = body.reader
        self._unreader = self._reader.unreader
        self._sock = sock
        taken = self._unreader.take_buffered()
        self._taken = memoryview(taken)[: self._reader.length]
        self._unreader.unread(taken[len(self._taken) :])

    @classmethod
    def of(cls, environ: dict[str, Any], content_length: int | None) -> GunicornBodyReader | None:
        """A reader for ``environ``'s body if it is gunicorn's, unread, of ``content_length`` bytes."""
        try:
            from gunicorn.http.body import Body, LengthReader
            from gunicorn.http.unreader import SocketUnreader
        except ImportError:  # pragma: no cover - gunicorn is a requirement
            return None
        body, sock = environ.get("wsgi.input"), environ.get("gunicorn.socket")
        if not (
            type(body) is Body
            and type(body.reader) is LengthReader
            and type(body.reader.unreader) is SocketUnreader
            and body.reader.unreader.sock is sock
            and content_length is not None
            and body.reader.length == content_length
            and body.buf.tell() == 0
        ):
            return None
        return cls(body, sock)

    def readinto(self, view: memoryview) -> int:
        size = min(len(view), self._reader.length)
        if size <= 0:
            return 0
        if self._taken:
            size = min(size, len(self._taken))
            view[:size] = self._taken[:size]
            self._taken = self._taken[size:]
        else:
            size = self._sock.recv_into(view, size)
            if not size:  # as Werkzeug's LimitedStream says when a body ends early
                raise ClientDisconnected()
        self._reader.length -= size
        return size

    def close(self) -> None:
        if self._taken:
            self._unreader.unread(bytes(self._taken))  # still counted in the reader's length
            self._taken = memoryview(b"")


class _Window:
    """The received bytes of the body still needed: ``buf[start:end]``.

    Receives into the free space after ``end``; when a buffer is full, the bytes
    still needed move to the start of the next buffer in rotation, once the
    slices lent from that one (``lend``) are no longer in use.
    """

    def __init__(self, reader: BodyReader, size: int, count: int):
        self._reader = reader
        self._size, self._count = size, count
        self._buffers: list[bytearray] = [bytearray(size)]
        self._waits: list[Callable[[], None] | None] = [None] * count
        self._index = 0
        self.buf = self._buffers[0]
        self.start = self.end = 0
        self.eof = False

    def lend(self, wait: Callable[[], None]) -> None:
        """Slices of the current buffer are in use until ``wait()`` returns."""
        self._waits[self._index] = wait

    def fill(self) -> bool:
        """Receive more bytes after ``end`` (offsets move if the bytes move to another
        buffer; ``end - start`` is kept). False at the end of the body, or when the
        bytes still needed fill a whole buffer."""
        if self.eof:
            return False
        if self.end == self._size:
            if self.start == 0:
                return False
            self._next_buffer()
        received = self._reader.readinto(memoryview(self.buf)[self.end :])
        self.end += received
        self.eof = received == 0
        return not self.eof

    def _next_buffer(self) -> None:
        self._index = (self._index + 1) % self._count
        wait, self._waits[self._index] = self._waits[self._index], None
        if wait is not None:
            wait()
        if self._index == len(self._buffers):
            self._buffers.append(bytearray(self._size))
        kept = self.end - self.start
        self._buffers[self._index][:kept] = memoryview(self.buf)[self.start : self.end]
        self.buf, self.start, self.end = self._buffers[self._index], 0, kept


class StreamingMultiPartParser(MultiPartParser):
    """Werkzeug's ``MultiPartParser`` (same arguments, ``stream_factory`` and limits;
    ``buffer_size`` is the size of each receive buffer), reading with ``parse_body``."""

    buffer_count = BUFFER_COUNT

    def parse_body(
        self, reader: BodyReader, boundary: bytes, content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        """The form fields and files of the body ``reader`` reads, as ``parse`` returns them.

        Raises ``ValueError`` for a malformed body, ``RequestEntityTooLarge`` past a limit.
        Always hands back to ``reader`` what it took from the server but did not consume.
        """
        marker = b"--" + boundary
        window = _Window(reader, max(self.buffer_size, 4 * len(marker)), self.buffer_count)
        try:
            return self._parse(window, marker, content_length)
        finally:
            reader.close()

    def _parse(
        self, window: _Window, marker: bytes, content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        preamble = re.compile(rb"%s?%s(?:--|%s%s)" % (_LINE_BREAK, re.escape(marker), _BLANKS, _LINE_BREAK))
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        found = self._search(window, preamble)
        if found is None:
            raise ValueError("Invalid form-data: no boundary")
        window.start, last = found.end(), found.group().endswith(b"--")
        while not last:
            found = self._search(window, _BLANK_LINE)
            if found is None:
                raise ValueError("Invalid form-data: a part's headers do not end")
            headers = _parse_headers(window.buf[window.start : found.start()])
            # The blank line's second line break belongs to the data (and may also be the boundary's).
            window.start = (found.start() + found.end()) // 2
            if "content-disposition" not in headers:
                raise ValueError("Missing Content-Disposition header")
            if self.max_form_parts is not None and len(fields) + len(files) >= self.max_form_parts:
                raise RequestEntityTooLarge()
            options = parse_options_header(headers["content-disposition"])[1]
            name, filename = options.get("name"), options.get("filename")
            if filename is None:
                chunks: list[bytes] = []
                last = self._read_data(window, marker, self._field_writer(window, chunks))
                fields.append((name, b"".join(chunks).decode(self.get_part_charset(headers), "replace")))  # type: ignore[arg-type]
            else:
                container = self.start_file_streaming(File(name, filename, headers), content_length)  # type: ignore[arg-type]
                last = self._read_data(window, marker, _file_writer(window, container))
                container.seek(0)
                files.append((name, FileStorage(container, filename, name, headers=headers)))  # type: ignore[arg-type]
        self._skip_epilogue(window)
        return self.cls(fields), self.cls(files)

    def _search(self, window: _Window, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
        """The first match of ``pattern`` in ``window``, receiving more until there is one
        that more bytes could not lengthen. None at the end of the body."""
        more = True
        while True:
            found = pattern.search(window.buf, window.start, window.end)
            if found is not None and (found.end() < window.end or not more):
                return found
            if not more:
                if window.eof:
                    return None
                raise RequestEntityTooLarge()  # a preamble or header block larger than a buffer
            if self.max_form_memory_size is not None and window.end - window.start > self.max_form_memory_size:
                raise RequestEntityTooLarge()
            more = window.fill()

    def _read_data(self, window: _Window, marker: bytes, write: Callable[[int, int], None]) -> bool:
        """Hand a part's data to ``write(start, end)`` (offsets in ``window.buf``) up to its
        boundary, and consume the boundary. True if it was the last one."""
        opening = _DATA_START.match(window.buf, window.start, window.end)
        if opening is None:  # the header block's end guarantees a line break here
            raise ValueError("Invalid form-data: a part's data does not start")
        data = search = opening.end()  # window.start stays on the line break: it may precede the boundary
        more = True
        while True:
            at = window.buf.find(marker, search, window.end)
            if at >= 0:
                breaks = _line_break_before(window.buf, at, window.start)
                after = at + len(marker)
                if not breaks:
                    search = at + 1
                    continue
                if not (more and _AFTER_BOUNDARY_SO_FAR.fullmatch(window.buf, after, window.end)):
                    tail = _AFTER_BOUNDARY.match(window.buf, after, window.end)
                    if tail is None:
                        search = at + 1
                        continue
                    write(data, max(data, at - breaks))
                    window.start = tail.end()
                    return tail.group() == b"--"
                keep, search = at - breaks, at  # undecided until more bytes arrive
            elif not more:
                raise ValueError("Invalid form-data: the body ends inside a part")
            else:
                # A boundary found later starts after ``search`` (or after the bytes
                # still needed for one ending beyond ``end``), its line break 2 bytes before.
                search = max(search, window.end - len(marker) + 1)
                keep = search - 2
            if keep > data:
                write(data, keep)
                window.start = data = keep
            data, search = data - window.start, search - window.start  # offsets from the start survive a fill
            more = window.fill()
            data, search = data + window.start, search + window.start

    def _field_writer(self, window: _Window, chunks: list[bytes]) -> Callable[[int, int], None]:
        """Collects a field's value, refusing more than ``max_form_memory_size`` bytes."""
        size = 0

        def write(start: int, end: int) -> None:
            nonlocal size
            size += end - start
            if self.max_form_memory_size is not None and size > self.max_form_memory_size:
                raise RequestEntityTooLarge()
            chunks.append(bytes(window.buf[start:end]))

        return write

    def _skip_epilogue(self, window: _Window) -> None:
        """Receive the rest of the body, holding at most ``max_form_memory_size`` bytes as Werkzeug does."""
        size = window.end - window.start
        window.start = window.end
        while window.fill():
            size += window.end - window.start
            window.start = window.end
            if self.max_form_memory_size is not None and size > self.max_form_memory_size:
                raise RequestEntityTooLarge()


def _file_writer(window: _Window, container: Any) -> Callable[[int, int], None]:
    """Writes a file's data to ``container``; one with ``write_borrowed`` (a hashing spool)
    gets slices of the receive buffer, which are then not received into until it is done."""
    borrow = getattr(container, "write_borrowed", None)

    def write(start: int, end: int) -> None:
        piece = memoryview(window.buf)[start:end]
        if borrow is None:
            container.write(piece)
        else:
            window.lend(borrow(piece))

    return write


def _line_break_before(buf: bytearray, at: int, floor: int) -> int:
    """The length of the line break right before ``buf[at]`` (2, 1 or 0), looking no lower than ``floor``."""
    if at - 2 >= floor and buf[at - 2] == _CR and buf[at - 1] == _LF:
        return 2
    if at - 1 >= floor and buf[at - 1] in (_CR, _LF):
        return 1
    return 0


def _parse_headers(block: bytes | bytearray) -> Headers:
    """A part's header block as Werkzeug's decoder reads it: continuation lines joined,
    one ``name: value`` per line, blanks around both stripped."""
    headers: list[tuple[str, str]] = []
    for line in _HEADER_CONTINUATION.sub(b" ", block).splitlines():
        line = line.strip(b" \t")
        if line:
            name, _, value = line.decode().partition(":")
            headers.append((name.strip(" \t"), value.strip(" \t")))
    return Headers(headers)
