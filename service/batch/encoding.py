"""Which text encoding a CSV export is in: a byte-order mark first, then UTF-8 if it decodes, then CP950.

Taiwanese ERP and Excel exports arrive as UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's
"Unicode text", usually tab-separated) or Big5/CP950 (older Traditional Chinese Windows). Guessing from a
sample can be wrong far into a file, so the whole file is checked in chunks (bounded memory, C speed).
If nothing decodes cleanly, UTF-8 with replacement is used and every row holding an undecodable byte is
reported as a row error rather than screened on mangled text. Big5-HKSCS (the Hong Kong extension) is
tried after CP950 for files that use its extra characters.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 20
REPLACEMENT = "\ufffd"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACKS = ("utf-8", "cp950", "big5hkscs")  # HKSCS: Hong Kong characters Big5 lacks


@dataclass(frozen=True)
class Encoding:
    """The codec to open the file with, and whether undecodable bytes must be flagged per row."""

    name: str
    lossy: bool = False


def detect_encoding(path: Path, override: str | None = None) -> Encoding:
    """The file's encoding: `override` if given (checked to exist), else BOM, UTF-8, CP950, Big5-HKSCS, lossy."""
    if override:
        try:
            codecs.lookup(override)  # raises LookupError for an unknown codec name
        except ValueError as exc:  # (a name Python cannot even look up, such as one with a NUL in it)
            raise LookupError(f"unknown encoding: {override!r}") from exc
        return Encoding(override, lossy=not _decodes(path, override))
    with path.open("rb") as stream:
        head = stream.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return Encoding(name, lossy=not _decodes(path, name))
    for name in _FALLBACKS:
        if _decodes(path, name):
            return Encoding(name)
    return Encoding("utf-8", lossy=True)


def _decodes(path: Path, name: str) -> bool:
    """True when the whole file decodes strictly in `name`, read chunk by chunk."""
    decoder = codecs.getincrementaldecoder(name)(errors="strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
