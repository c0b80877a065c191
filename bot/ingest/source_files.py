"""Reading operator-supplied files: encodings, size and sanity checks, dates from file names.

Pages arrive as whatever a PDF-to-text tool or a web desk's export wrote. UTF-8 (with or without
BOM) and GB18030 (a superset of GBK/GB2312) are read; anything else is refused with a reason
rather than guessed at, because a wrongly decoded page would be stored as mojibake.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

MAX_PAGE_BYTES = 5 * 1024 * 1024  # a dense broadsheet page is ~30 KB of text; 5 MB is not a page
# What one .jsonl(.gz) may grow to when decompressed (NEWSBRIEF_MAX_INPUT_MB): a 2 MB gzip of
# spaces is 2 GiB, so decompression stops at this limit instead of filling the memory.
DEFAULT_MAX_INPUT_BYTES = 200 * 1024 * 1024
_GUNZIP_CHUNK = 1024 * 1024
MAX_CONTROL_CHAR_SHARE = 0.01
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_PAGE_AFTER_DATE = re.compile(r"(?<!\d)\d{4}-?\d{2}-?\d{2}[-_](?:p|page)?(\d{1,3})(?!\d)", re.I)


class UnusableInputError(ValueError):
    """Input the program will not take (wrong encoding, binary, too large, malformed, undated).

    The CLI turns it into exit status 2 with this message; nothing from the input is stored.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class FileIdentity:
    """What a file looked like when read: the settle rule compares these before and after."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> FileIdentity:
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def shown_name(name: str) -> str:
    """A file name as logs and messages show it: quoted, control characters escaped (a newline
    in a name cannot forge a log line); Chinese stays readable."""
    return repr(name)


def read_regular_file(
    path: Path, *, max_bytes: int, follow_symlinks: bool = False
) -> tuple[bytes, FileIdentity]:
    """The bytes of a regular file, refusing FIFOs, devices and files over ``max_bytes`` before
    reading (``O_NONBLOCK``: opening a FIFO cannot hang), and symlinks unless
    ``follow_symlinks`` (an operator naming a file on the command line may use a link; the drop
    folder may not, so a link cannot pull in a file from outside it)."""
    source = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnusableInputError(source, "a symbolic link; only regular files are read") \
                from exc
        raise UnusableInputError(source, f"cannot read the file ({exc.strerror})") from exc
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise UnusableInputError(source, "not a regular file (a FIFO, device or folder)")
        if status.st_size > max_bytes:
            raise UnusableInputError(
                source, f"{status.st_size / 1_048_576:.1f} MB is too large "
                f"(limit {max_bytes / 1_048_576:.0f} MB for one file); is this the right file?",
            )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UnusableInputError(source, "the file grew past the size limit while read")
        return data, FileIdentity.of(status)
    except OSError as exc:
        raise UnusableInputError(source, f"cannot read the file ({exc.strerror})") from exc
    finally:
        os.close(fd)


def gunzip_bounded(raw: bytes, max_bytes: int, source: str) -> bytes:
    """Decompress a gzip stream chunk by chunk, stopping as soon as the output passes
    ``max_bytes`` (nothing past the limit is ever held in memory)."""
    out = bytearray()
    data = raw
    while data:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)  # one gzip member
        pending = data
        try:
            while pending:
                out += decompressor.decompress(pending, _GUNZIP_CHUNK)
                if len(out) > max_bytes:
                    raise too_large_error(source, max_bytes)
                pending = decompressor.unconsumed_tail
                if decompressor.eof:
                    break
            while not decompressor.eof:
                chunk = decompressor.decompress(b"", _GUNZIP_CHUNK)
                if not chunk:
                    break
                out += chunk
                if len(out) > max_bytes:
                    raise too_large_error(source, max_bytes)
        except zlib.error as exc:
            raise UnusableInputError(source, "not a readable gzip file") from exc
        if not decompressor.eof:
            raise UnusableInputError(source, "not a readable gzip file (it ends early)")
        data = decompressor.unused_data  # a concatenated member follows (``cat a.gz b.gz``)
    return bytes(out)


def too_large_error(source: str, max_bytes: int) -> UnusableInputError:
    return UnusableInputError(
        source, f"decompresses to more than {max_bytes / 1_048_576:.0f} MB "
        "(NEWSBRIEF_MAX_INPUT_MB); split the file or raise the limit",
    )


@dataclass(frozen=True)
class SourceText:
    name: str
    text: str
    encoding: str
    sha256: str
    size: int


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM or not) or GB18030; refuse binaries and other encodings."""
    if not data.strip():
        raise UnusableInputError(source, "the file is empty")
    if data.startswith(UTF16_BOMS):
        raise UnusableInputError(source, "UTF-16 text is not supported; save it as UTF-8")
    if b"\x00" in data:
        raise UnusableInputError(source, "this is a binary file, not text")
    if data.startswith(UTF8_BOM):
        text, encoding = _strict(data[len(UTF8_BOM) :], "utf-8", source), "utf-8-sig"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _strict(data, "gb18030", source), "gb18030"
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > MAX_CONTROL_CHAR_SHARE * len(text):
        raise UnusableInputError(source, "this is a binary file, not text")
    return text, encoding


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnusableInputError(
            source,
            f"not readable as UTF-8 or GB18030 (bad byte at offset {exc.start}); "
            "save the file as UTF-8",
        ) from exc


def read_source_text(path: Path, *, max_bytes: int | None = None) -> SourceText:
    """Read and decode one regular file (``.gz`` files are decompressed first, bounded)."""
    limit = max_bytes if max_bytes is not None else DEFAULT_MAX_INPUT_BYTES
    raw, _ = read_regular_file(path, max_bytes=limit, follow_symlinks=True)
    return source_text_from_bytes(path.name, raw, max_bytes=max_bytes, source=str(path))


def source_text_from_bytes(
    name: str, raw: bytes, *, max_bytes: int | None = None, source: str | None = None
) -> SourceText:
    """Decode an uploaded or read file's bytes; ``name`` gives the date and the gzip hint.
    ``max_bytes`` bounds the (decompressed) size; without it the default input limit does."""
    source = source or name
    digest = hashlib.sha256(raw).hexdigest()
    if name.endswith(".gz"):
        raw = gunzip_bounded(
            raw, max_bytes if max_bytes is not None else DEFAULT_MAX_INPUT_BYTES, source
        )
    if max_bytes is not None and len(raw) > max_bytes:
        raise UnusableInputError(
            source,
            f"{len(raw) / 1_048_576:.1f} MB is far too large for one newspaper page "
            f"(limit {max_bytes / 1_048_576:.0f} MB); is this the right file?",
        )
    text, encoding = decode_text(raw, source)
    return SourceText(name=name, text=text, encoding=encoding, sha256=digest, size=len(raw))


def edition_date_from_name(name: str) -> date | None:
    """A ``YYYY-MM-DD`` or ``YYYYMMDD`` date in a file name, if it is a real calendar date."""
    for match in _DATE_IN_NAME.finditer(name):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def page_number_from_name(name: str) -> int | None:
    """The page number that follows the date, as in ``xsrb-2023-07-31-01.txt``."""
    match = _PAGE_AFTER_DATE.search(name)
    return int(match[1]) if match else None


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` or ``YYYYMMDD``; ValueError with a readable message otherwise."""
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real calendar date") from exc
