"""Reading a large article list (``.jsonl`` / ``.jsonl.gz``) a line at a time.

The whole-file reader (``source_files.read_source_text``) holds the file, its decoded text and
every parsed article at once: 1.7 GB of memory for a 55 MB list. Here the same checks run on a
stream (UTF-8 with or without BOM, else GB18030; no UTF-16, no NUL bytes, at most 1 % control
characters) so memory stays the size of one line, whatever the file's size. The file is read
twice — once to check it, once to store it — and its SHA-256 is taken on both reads, so a file
changed in between is noticed instead of half-stored.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from bot.ingest.source_files import (
    DEFAULT_MAX_INPUT_BYTES,
    MAX_CONTROL_CHAR_SHARE,
    UTF8_BOM,
    UTF16_BOMS,
    UnusableInputError,
    too_large_error,
)

READ_CHUNK_BYTES = 1 << 20
ALLOWED_CONTROLS = frozenset("\n\r\t\f")


@dataclass(frozen=True)
class StreamedSource:
    """What the checking read learnt about a file: how to decode it and its identity."""

    name: str
    path: Path
    encoding: str
    sha256: str
    size: int
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES  # the decompressed size both reads stop at


class _HashingReader(io.RawIOBase):
    """A binary reader that hashes every byte read through it (the raw, compressed bytes)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)



class _RawLines:
    """Each line's bytes (with its newline), decompressing ``.gz`` files on the way; once every
    line was read, ``sha256`` is the hash of the file's raw bytes. Reading stops with
    UnusableInputError once ``max_bytes`` (decompressed) were read: a gzip bomb, or a 2 GiB
    "line" without a newline, never reaches memory."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.sha256: str | None = None

    def __iter__(self) -> Iterator[bytes]:
        path = self.path
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise UnusableInputError(str(path), f"cannot read the file ({exc.strerror})") from exc
        with handle:
            hashing = _HashingReader(handle)
            buffered = io.BufferedReader(hashing, READ_CHUNK_BYTES)
            stream: BinaryIO = (
                gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
                if path.name.endswith(".gz") else buffered
            )
            total = 0
            try:
                while True:
                    line = stream.readline(READ_CHUNK_BYTES)
                    if not line:
                        break
                    total += len(line)
                    while not line.endswith(b"\n"):  # a line longer than one chunk
                        if total > self.max_bytes:
                            break
                        more = stream.readline(READ_CHUNK_BYTES)
                        if not more:
                            break
                        total += len(more)
                        line += more
                    if total > self.max_bytes:
                        raise too_large_error(str(path), self.max_bytes)
                    yield line
                while buffered.read(READ_CHUNK_BYTES):  # bytes after the gzip stream count too
                    pass
            except (OSError, EOFError, zlib.error) as exc:
                if isinstance(exc, OSError) and not path.name.endswith(".gz"):
                    raise UnusableInputError(
                        str(path), f"cannot read the file ({exc.strerror})"
                    ) from exc
                raise UnusableInputError(str(path), "not a readable gzip file") from exc
            self.sha256 = hashing.digest.hexdigest()


def check_text_stream(path: Path, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> StreamedSource:
    """The whole-file reader's checks, one line at a time: UnusableInputError if any fails
    (also once more than ``max_bytes`` were read, decompressed)."""
    try:
        return _check_as(path, "utf-8", max_bytes)
    except UnicodeDecodeError:
        pass
    try:
        return _check_as(path, "gb18030", max_bytes)
    except UnicodeDecodeError as exc:
        raise UnusableInputError(
            str(path),
            f"not readable as UTF-8 or GB18030 (bad byte at offset {exc.start}); "
            "save the file as UTF-8",
        ) from exc


def _check_as(path: Path, encoding: str, max_bytes: int) -> StreamedSource:
    """One checking read decoding as ``encoding``; UnicodeDecodeError (offset in the whole
    decompressed file) when the bytes are not that encoding."""
    source = str(path)
    offset = 0
    blank = True
    chars = controls = 0
    chosen = encoding
    lines = _RawLines(path, max_bytes)
    for line in lines:
        body = line
        if offset == 0:
            if line.startswith(UTF16_BOMS):
                raise UnusableInputError(source, "UTF-16 text is not supported; save it as UTF-8")
            if encoding == "utf-8" and line.startswith(UTF8_BOM):
                chosen, body = "utf-8-sig", line[len(UTF8_BOM):]
        if b"\x00" in line:
            raise UnusableInputError(source, "this is a binary file, not text")
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            start = offset + exc.start + (len(line) - len(body))
            raise UnicodeDecodeError(encoding, b"", start, start + 1, exc.reason) from exc
        blank = blank and not line.strip()
        chars += len(text)
        controls += sum(1 for ch in text if ord(ch) < 32 and ch not in ALLOWED_CONTROLS)
        offset += len(line)
    if blank:
        raise UnusableInputError(source, "the file is empty")
    if controls > MAX_CONTROL_CHAR_SHARE * chars:
        raise UnusableInputError(source, "this is a binary file, not text")
    assert lines.sha256 is not None
    return StreamedSource(path.name, path, chosen, lines.sha256, offset, max_bytes)


def text_lines(checked: StreamedSource) -> Iterator[tuple[int, str]]:
    """The file's lines as the whole-file reader numbers them (``str.splitlines``), decoded as
    the check decided; UnusableInputError if the file is no longer the one that was checked."""
    encoding = "utf-8" if checked.encoding == "utf-8-sig" else checked.encoding
    number = 0
    first = True
    lines = _RawLines(checked.path, checked.max_bytes)
    for line in lines:
        if first and checked.encoding == "utf-8-sig":
            line = line[len(UTF8_BOM):]
        first = False
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UnusableInputError(
                str(checked.path), "the file changed while it was being stored; "
                "ingest it again once it is complete (articles stored so far are kept once)"
            ) from exc
        for piece in text.splitlines():
            number += 1
            yield number, piece
    if lines.sha256 != checked.sha256:
        raise UnusableInputError(
            str(checked.path), "the file changed while it was being stored; "
            "ingest it again once it is complete (articles stored so far are kept once)"
        )
