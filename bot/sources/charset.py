"""Bytes from the web → correct Chinese text.

The order is the one browsers use: a byte-order mark, the HTTP header's charset, the document's
own declaration (``<meta charset>``, ``http-equiv``, the XML declaration), UTF-8, then
detection (charset-normalizer), and GB18030 when detection gives up.
GB2312 and GBK are read as GB18030, their superset, so a rare character a page declared as GB2312
but wrote in GBK still decodes. A declared charset that fails to decode is not trusted.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

SNIFF_BYTES = 4096
FALLBACK_CHARSET = "gb18030"
_DECLARED = re.compile(
    rb"""(?:<meta[^>]+charset\s*=\s*["']?|<\?xml[^>]+encoding\s*=\s*["'])([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
              "euc-cn": "gb18030", "hz-gb-2312": "gb18030", "ascii": "utf-8",
              "us-ascii": "utf-8", "iso-8859-1": "cp1252", "latin-1": "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


class UndecodableError(ValueError):
    """No charset reads these bytes as text."""


def normalized(name: str | None) -> str | None:
    """A codec name Python knows, widened to its superset; None when unknown."""
    if not name:
        return None
    lowered = name.strip().lower()
    lowered = _SUPERSETS.get(lowered, lowered)
    try:
        codec = codecs.lookup(lowered).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, codec)


def declared_charset(body: bytes) -> str | None:
    """The charset a document declares in its first bytes (meta tag or XML declaration)."""
    match = _DECLARED.search(body[:SNIFF_BYTES])
    return match[1].decode("ascii") if match else None


def decode_body(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """The text and the charset used; UndecodableError when nothing reads it."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding), encoding
    tried: list[str] = []
    for candidate in (header_charset, declared_charset(body), "utf-8"):
        encoding = normalized(candidate)
        if encoding is None or encoding in tried:
            continue
        tried.append(encoding)
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(body[: 256 * 1024]).best()
    # Detection gives up on short texts with rarer characters (Ⅳ, 堃); a Chinese site that
    # declares nothing and is not UTF-8 is GB18030 family far more often than anything else.
    for candidate in (best.encoding if best is not None else None, FALLBACK_CHARSET):
        encoding = normalized(candidate)
        if encoding is None:
            continue
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UndecodableError("not readable as text in any known charset")
