"""Text to datetimes: ISO 8601 (Arrow's strict cast, else pandas) and strftime formats.

``timestamp_formats`` of a mapping are parsed with Arrow's ``strptime`` (C++), checked for
impossible dates that it rolls over (31.02. -> 03.03.), before ISO 8601.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_iso", "parse_formats", "strptime_checked"]

_OFFSET_RE = r"(?:Z|[+-]\d{2}:?\d{2})\s*$"


def _one_chunk(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _parse_fast(text: pd.Series) -> pd.Series | None:
    """Arrow's strict ISO 8601 cast (C++); None if any value needs the lenient pandas parser.

    The cast accepts ``YYYY-MM-DD``, ``YYYY-MM-DD[ T]hh:mm[:ss[.fff]]`` and rejects impossible
    dates (2025-02-30), offsets and anything else as a whole, hence the fallback.
    """
    try:
        out = pc.cast(pa.array(text.array), pa.timestamp("us"))  # zero-copy input
    except pa.ArrowInvalid:
        return None
    return pd.Series(out.to_numpy(zero_copy_only=False), index=text.index).astype("datetime64[ns]")


def parse_iso(text: pd.Series) -> pd.Series:
    """ISO 8601 text to datetimes; UTC offsets are dropped, keeping the wall-clock time."""
    fast = _parse_fast(text)
    if fast is not None:
        return fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except ValueError:  # naive and offset-bearing values mixed
            parsed = None
    if parsed is None or not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        text = text.str.replace(_OFFSET_RE, "", regex=True)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    return parsed


_DIRECTIVES = {
    "d": r"(?P<day>\d{1,2})",
    "m": r"\d{1,2}",
    "Y": r"\d{4}",
    "y": r"\d{2}",
    "H": r"\d{1,2}",
    "I": r"\d{1,2}",
    "M": r"\d{1,2}",
    "S": r"\d{1,2}",
    "f": r"\d+",
    "p": r"[AaPp][Mm]",
    "b": r"[A-Za-z]+",
    "B": r"[A-Za-z]+",
    "z": r"[+-]\d{2}:?\d{2}",
    "%": "%",
}


def _day_pattern(fmt: str) -> str | None:
    """A regex capturing the day-of-month field of text in ``fmt`` (None if unsupported)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            d = _DIRECTIVES.get(fmt[i + 1])
            if d is None:
                return None
            out.append(d)
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "^" + "".join(out) + "$"


def strptime_checked(arr: pa.Array, fmt: str) -> pa.Array:
    """``arr`` parsed by ``fmt``; null where it does not fit or names an impossible date.

    Arrow's strptime (C++) rolls an impossible day over into the next month (31.02. becomes
    03.03.); such a result lands on day 1 to 3, so for those rows the day written in the text
    is compared with the parsed day, and a difference makes the value null (unparseable).
    """
    parsed = pc.strptime(arr, format=fmt, unit="ns", error_is_null=True)
    pattern = _day_pattern(fmt) if "%d" in fmt else None
    if pattern is None:
        return parsed
    early = pc.fill_null(pc.less_equal(pc.day(parsed), 3), False)
    if not pc.any(early).as_py():
        return parsed
    rows = np.flatnonzero(early.to_numpy(zero_copy_only=False))
    written = pc.struct_field(pc.extract_regex(arr.take(pa.array(rows)), pattern), "day")
    days = pc.cast(written, pa.int64()).to_numpy(zero_copy_only=False)
    rolled = days != pc.day(parsed.take(pa.array(rows))).to_numpy(zero_copy_only=False)
    if not rolled.any():
        return parsed
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows[rolled]] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)


def parse_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Text to datetimes by ``formats`` (in order), then ISO 8601 for what none of them fits.

    Arrow's ``strptime`` (C++) parses each format; a value it cannot parse stays null for the
    next format; values with surrounding spaces are trimmed and tried again.
    """
    arr = _one_chunk(pa.array(text.array))
    out = None
    for fmt in formats:
        parsed = strptime_checked(arr, fmt)
        out = parsed if out is None else pc.coalesce(out, parsed)
        if out.null_count == arr.null_count:
            break
    assert out is not None
    result = pd.Series(out.to_numpy(zero_copy_only=False), index=text.index)
    rest = (result.isna() & text.notna()).to_numpy(dtype=bool)
    if rest.any():
        again = text[rest].str.strip()
        retry = pd.Series(pd.NaT, index=again.index, dtype="datetime64[ns]")
        for fmt in formats:
            got = pd.Series(
                strptime_checked(_one_chunk(pa.array(again.array)), fmt).to_numpy(
                    zero_copy_only=False
                ),
                index=again.index,
            )
            retry = retry.fillna(got)
        iso = parse_iso(again[retry.isna()])
        if isinstance(iso.dtype, pd.DatetimeTZDtype):
            iso = iso.dt.tz_localize(None)
        retry = retry.fillna(iso.astype("datetime64[ns]"))
        result = result.fillna(retry)
    return result.astype("datetime64[ns]")
