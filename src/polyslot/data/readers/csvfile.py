"""A CSV file's header, delimiter and encoding, read from its first 64 KB before any row.

The delimiter is sniffed among ``,`` ``;`` tab and ``|`` (the one that splits the first lines
into the same, largest number of fields) unless declared. The text must be UTF-8 (with or
without a byte-order mark) unless an ``encoding`` is declared (e.g. ``latin-1``); bytes that are
not UTF-8 stop at once with the hint to declare it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa

from polyslot.errors import DataError

__all__ = ["DELIMITERS", "csv_header", "sniff_delimiter"]

DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 1 << 16


def sniff_delimiter(text: str) -> str:
    """The delimiter splitting the first lines of ``text`` most consistently into most fields."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut
    best, best_score = ",", (False, 1)
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=d) if r]
        if not counts:
            continue
        score = (len(set(counts)) == 1, counts[0])
        if counts[0] > 1 and score > best_score:
            best, best_score = d, score
    return best


def _decode(head: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        try:
            return head.decode(encoding, errors="replace"), encoding
        except LookupError:
            raise DataError(f"unknown encoding {encoding!r}", source=str(path)) from None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a multi-byte character cut at the end
            raise DataError(
                f"not UTF-8 text (byte 0x{head[exc.start]:02x} at offset {exc.start}); declare "
                'the encoding in the mapping, e.g. encoding = "latin-1"',
                source=str(path),
            ) from None
        text = head[: exc.start].decode("utf-8")
    return text.removeprefix("\ufeff"), "utf-8"


def csv_header(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None
) -> tuple[tuple[str, ...], str, str]:
    """``(column names, delimiter, encoding)`` of the CSV file ``path``."""
    with pa.input_stream(str(path), compression="detect") as fh:
        head = fh.read(_HEAD_BYTES)
    text, encoding = _decode(head, path, encoding)
    delimiter = delimiter or sniff_delimiter(text)
    try:
        first = next(csv.reader(io.StringIO(text), delimiter=delimiter), None)
    except csv.Error as exc:
        raise DataError(
            f"the first line is not a CSV header ({exc}); expected delimited text",
            source=str(path),
        ) from None
    if not first:
        raise DataError("the file is empty; expected a CSV header line", source=str(path))
    return tuple(first), delimiter, encoding
