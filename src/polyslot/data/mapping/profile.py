"""Profile a raw source's columns: what kind of values each holds, samples, vocabulary.

Used by ``polyslot map`` (:mod:`polyslot.data.mapping.draft`) to guess a mapping. Values are
classified on the first rows only (:data:`PROFILE_ROWS`): ``datetime`` (a date and a clock
time), ``date`` (a date only), ``time`` (a clock time only), ``number``, ``text`` or ``empty``.
For slashed or dotted dates the day/month order is judged from the values seen (a first field
above 12 means day first, a second field above 12 means month first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["PROFILE_ROWS", "ColumnProfile", "profile_frame", "tokens"]

PROFILE_ROWS = 20_000
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$")
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?$")
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


@dataclass(frozen=True)
class ColumnProfile:
    """What one source column holds (on the profiled rows).

    Attributes
    ----------
    name : str
        Source column name.
    kind : str
        ``datetime``, ``date``, ``time``, ``number``, ``text`` or ``empty``.
    filled, distinct : int
        Non-empty values and distinct values.
    samples : tuple of str
        Up to three distinct values, most frequent first.
    vocabulary : tuple of (str, int)
        Distinct values with their counts when there are at most 30 (else empty).
    date_format : str or None
        strftime format of the date part (``None`` for ISO 8601 or no date).
    day_first_certain : bool
        Whether the day/month order of a slashed date was decided by a value above 12.
    seconds : bool
        Whether clock times carry seconds.
    rows : int
        Rows profiled (empty values included).
    numbers : tuple of float or None
        ``(min, median, max)`` of a ``number`` column.
    whole : bool
        Whether every value of a ``number`` column is a whole number.
    ones : int
        Values equal to 1 in a ``number`` column (a visit counter's first visits).
    """

    name: str
    kind: str
    filled: int
    distinct: int
    samples: tuple[str, ...]
    vocabulary: tuple[tuple[str, int], ...] = ()
    date_format: str | None = None
    day_first_certain: bool = True
    seconds: bool = False
    rows: int = 0
    numbers: tuple[float, float, float] | None = None
    whole: bool = False
    ones: int = 0

    @property
    def unique(self) -> bool:
        """Whether every profiled row holds a value and no value repeats."""
        return self.rows > 0 and self.filled == self.rows == self.distinct

    @property
    def tokens(self) -> tuple[str, ...]:
        """Lower-case words of the name (``"Appointment ID"`` -> ``("appointment", "id")``)."""
        return tokens(self.name)


def tokens(name: str) -> tuple[str, ...]:
    """Lower-case words of a column name, splitting ``_``, spaces, punctuation and camelCase."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return tuple(t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t)


def _slashed_format(matches: list[re.Match[str]]) -> tuple[str, bool]:
    a = max(int(m.group(1)) for m in matches)
    b = max(int(m.group(3)) for m in matches)
    sep = matches[0].group(2)
    year = "%Y" if len(matches[0].group(4)) == 4 else "%y"
    if b > 12 >= a:
        return f"%m{sep}%d{sep}{year}", True
    return f"%d{sep}%m{sep}{year}", a > 12


def _classify(values: pd.Series) -> tuple[str, str | None, bool, bool]:
    """(kind, date format, order certain, seconds) of non-empty text values."""
    if values.empty:
        return "empty", None, True, False
    v = values.str.strip()
    if v.str.fullmatch(_TIME).all():
        return "time", None, True, bool(v.str.count(":").max() >= 2)
    iso = v.str.fullmatch(_ISO)
    if iso.all():
        has_time = v.str.contains(r"\d:\d", regex=True)
        return (
            ("datetime" if has_time.any() else "date"),
            None,
            True,
            bool(v.str.count(":").max() >= 2),
        )
    for pattern in (_DMY, _YMD):
        found = [pattern.fullmatch(x) for x in v.head(2000)]
        if found and all(found):
            ms = [m for m in found if m is not None]
            if pattern is _DMY:
                fmt, certain = _slashed_format(ms)
            else:
                s = ms[0].group(2)
                fmt, certain = f"%Y{s}%m{s}%d", True
            has_time = any(m.group(5) for m in ms)
            secs = any((m.group(5) or "").count(":") >= 2 for m in ms)
            return ("datetime" if has_time else "date"), fmt, certain, secs
    if v.str.fullmatch(_NUMBER).all():
        return "number", None, True, False
    return "text", None, True, False


def profile_frame(df: pd.DataFrame) -> list[ColumnProfile]:
    """Profile every column of ``df`` (raw rows as read)."""
    out = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            text = s.dt.strftime("%Y-%m-%d %H:%M:%S").where(s.notna())
        else:
            text = s.astype("string")
        text = text.where(text.str.strip() != "").dropna()
        counts = text.value_counts()
        kind, fmt, certain, secs = _classify(text.head(PROFILE_ROWS).astype(str))
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            midnight = (s.dropna().dt.normalize() == s.dropna()).all()
            kind, fmt = ("date" if midnight else "datetime"), None
        vocab = tuple((str(k), int(n)) for k, n in counts.items()) if len(counts) <= 30 else ()
        numbers, whole, ones = None, False, 0
        if kind == "number":
            nums = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").dropna()
            if len(nums):
                numbers = (float(nums.min()), float(nums.median()), float(nums.max()))
                whole = bool((nums == nums.round()).all())
                ones = int((nums == 1).sum())
        out.append(
            ColumnProfile(
                name=str(col),
                kind=kind,
                filled=int(len(text)),
                distinct=int(len(counts)),
                samples=tuple(str(k) for k in counts.index[:3]),
                vocabulary=vocab,
                date_format=fmt,
                day_first_certain=certain,
                seconds=secs,
                rows=int(len(s)),
                numbers=numbers,
                whole=whole,
                ones=ones,
            )
        )
    return out
