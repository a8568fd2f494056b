"""Delimited text: which encoding it is in and which character separates its fields."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_path

from bot.errors import BinaryFile, EmptyFile, TruncatedFile

CHUNK = 1 << 20
SAMPLE = 64 * 1024
SNIFF_ROWS = 100
DELIMITERS = (",", ";", "\t", "|")
# Tried in order, each strictly over the whole file; GB18030 is a superset of GBK and GB2312.
ENCODINGS = ("utf-8", "gb18030")


@dataclass(frozen=True)
class TextFormat:
    encoding: str  # a Python codec name
    delimiter: str
    sample: str  # the start of the file, decoded, for callers that want to look
    # How many '"' bytes the file holds (None: not counted, as in UTF-16). In UTF-8 and
    # the other ASCII-compatible encodings read here, byte 0x22 is always a quote.
    quotes: int | None = None


def detect(path: Path, preferred_delimiter: str = ",") -> TextFormat:
    """The encoding and delimiter of a delimited text file, or a clear error."""
    encoding, quotes = _encoding(path)
    sample = read_sample(path, encoding)
    return TextFormat(encoding, sniff_delimiter(sample, preferred_delimiter), sample, quotes)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, GB18030, or charset-normalizer's guess."""
    return _encoding(path)[0]


def _encoding(path: Path) -> tuple[str, int | None]:
    """`detect_encoding`, and the number of quote bytes where it is meaningful."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    quotes = _check_text_bytes(path)
    for candidate in ("utf-8-sig",) if head.startswith(codecs.BOM_UTF8) else ENCODINGS:
        outcome = _decodes(path, candidate)
        if outcome == "ok":
            return candidate, quotes
        if outcome == "truncated":
            raise TruncatedFile(
                f"{path.name} is truncated: it ends in the middle of a {candidate} character."
            )
    best = from_path(path).best()
    if best is not None and _decodes(path, best.encoding) == "ok":
        return str(best.encoding), quotes
    raise BinaryFile(
        f"{path.name} is not readable text: it is in no encoding ThreadLab recognises "
        "(UTF-8, GB18030/GBK, ...), so it looks like binary data."
    )


def _check_text_bytes(path: Path) -> int:
    """Refuses NUL bytes (binary data) and files that hold nothing but whitespace; counts
    the quote bytes on the way."""
    content = False
    quotes = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            quotes += chunk.count(b'"')
            if b"\x00" in chunk:
                raise BinaryFile(
                    f"{path.name} holds binary data (NUL bytes), not text, "
                    "so it cannot be read as a table."
                )
            content = content or bool(chunk.strip(b" \t\r\n\f\v" + codecs.BOM_UTF8))
    if not content:
        raise EmptyFile(f"{path.name} is empty: it holds only whitespace, no header or rows.")
    return quotes


def _decodes(path: Path, encoding: str) -> str:
    """ "ok", "truncated" (only the very end fails) or "fails", decoding strictly in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as f:
        try:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
        except (UnicodeDecodeError, LookupError):
            return "fails"
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "truncated"
    return "ok"


def read_sample(path: Path, encoding: str) -> str:
    """The first whole lines of the file (about 64 KiB), decoded."""
    with path.open("rb") as f:
        raw = f.read(SAMPLE)
        more = bool(f.read(1))
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw)
    if more and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text.lstrip("\ufeff")


def sniff_delimiter(sample: str, preferred: str = ",") -> str:
    """The candidate that splits the sampled rows into the most fields, consistently.

    Each candidate is scored by the share of sampled rows (quotes respected) that have its
    most common field count, then by that count; ties go to `preferred`, then to the order of
    `DELIMITERS`. Text that no candidate splits is one column, read with `preferred`.
    """
    order = (preferred, *(d for d in DELIMITERS if d != preferred))
    best, best_key = preferred, (0.0, 1, 0)
    for rank, delimiter in enumerate(order):
        counts = _field_counts(sample, delimiter)
        if not counts:
            continue
        fields, hits = Counter(counts).most_common(1)[0]
        key = (hits / len(counts), fields, -rank)
        if fields >= 2 and key > best_key:
            best, best_key = delimiter, key
    return best


def _field_counts(sample: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    counts: list[int] = []
    try:
        for row in reader:
            if row:
                counts.append(len(row))
            if len(counts) >= SNIFF_ROWS:
                break
    except csv.Error:
        return []
    return counts
