"""Coerce raw source values to their contract types, remembering what could not be parsed.

A raw chunk (all strings from CSV, typed values from Parquet or DuckDB) becomes a typed chunk:
strings are ``string[pyarrow]``, timestamps and dates ``datetime64`` (``[ns]`` when parsed
from text, the source's resolution otherwise), numbers, counts and weekdays ``float64`` (cast
to integers after validation), times of day ``"HH:MM"`` strings. An empty text is a missing
value.
A value that is present but cannot be parsed becomes null, and the row gets a note in one of
the hidden columns ``__bad_<kind>`` (``"column='value'"``); the pandera schema in
:mod:`polyslot.data.rules` turns those notes into quarantine reasons.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from polyslot.data.rules.timeformats import parse_formats, parse_iso
from polyslot.data.schema import STATUSES, TableSpec

__all__ = [
    "coerce_frame",
    "unparseable_rows",
    "BAD_COLUMNS",
    "STRING_DTYPE",
    "to_text",
    "is_text_categorical",
]

STRING_DTYPE = pd.StringDtype("pyarrow")

#: Hidden note columns, by the reason code they feed.
BAD_COLUMNS: dict[str, str] = {
    "__bad_timestamp": "unparseable_timestamp",
    "__bad_number": "unparseable_number",
    "__bad_time": "unparseable_time",
    "__bad_weekday": "invalid_weekday",
}
_KIND_NOTE = {
    "timestamp": "__bad_timestamp",
    "date": "__bad_timestamp",
    "float": "__bad_number",
    "int": "__bad_number",
    "time": "__bad_time",
    "weekday": "__bad_weekday",
}

_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_TIME_RE = r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$"


def _no_text(index: pd.Index) -> pd.Series:
    """An all-null ``string[pyarrow]`` series (ten times faster than from the scalar NA)."""
    return pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array([pa.nulls(len(index), pa.large_string())])),
        index=index,
    )


def _empty(kind: str, index: pd.Index) -> pd.Series:
    """An all-missing column of contract type ``kind`` (a timestamp is ``NaT``, not ``NaN``:
    the rules compare it with other timestamps)."""
    if kind in ("string", "time"):
        return _no_text(index)
    if kind in ("timestamp", "date"):
        return pd.Series(np.full(len(index), np.datetime64("NaT"), "datetime64[ns]"), index=index)
    return pd.Series(np.nan, index=index, dtype="float64")


def _one_chunk(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _normalise_status(s: pd.Series) -> pd.Series:
    """``s.str.strip().str.lower()``, computed only for the values not already canonical.

    Stripping and lower-casing a whole chunk costs about 30 ms per 500,000 rows; nearly every
    value is usually one of :data:`STATUSES` already and is left as it is.
    """
    odd = (~(s.isin(STATUSES) | s.isna())).to_numpy(dtype=bool)
    if not odd.any():
        return s
    arr, fixed = (_one_chunk(pa.array(x.array)) for x in (s, s[odd].str.strip().str.lower()))
    out = pc.replace_with_mask(arr, pa.array(odd), fixed)
    return pd.Series(pd.arrays.ArrowStringArray(out), index=s.index)


def is_text_categorical(s: pd.Series) -> bool:
    """Whether ``s`` is a pandas Categorical of text (e.g. a Parquet dictionary column)."""
    return isinstance(s.dtype, pd.CategoricalDtype) and s.cat.categories.inferred_type in (
        "string",
        "empty",
    )


def _category_text(s: pd.Series, status: bool) -> pd.Series:
    """A text Categorical as a contract string column, without decoding it.

    As for plain text: an empty text is missing, and ``status`` values are stripped and
    lower-cased (with Arrow's kernels, as ``str.strip().str.lower()``), which here only touches
    the few categories.
    """
    if (s.cat.categories == "").any():
        s = s.cat.remove_categories([""])
    if not status:
        return s
    cats = pa.array(s.cat.categories.to_numpy(dtype=object), pa.large_string())
    norm = pc.utf8_lower(pc.utf8_trim_whitespace(cats)).to_numpy(zero_copy_only=False)
    if (norm == s.cat.categories.to_numpy(dtype=object)).all():
        return s
    uniq, inverse = np.unique(norm.astype(object), return_inverse=True)
    codes = s.cat.codes.to_numpy()
    codes = np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1)
    return pd.Series(pd.Categorical.from_codes(codes, categories=uniq), index=s.index)


def _first(s: pd.Series) -> object:
    nn = s.dropna()
    return nn.iloc[0] if len(nn) else None


def to_text(s: pd.Series) -> pd.Series:
    """Return ``s`` as ``string[pyarrow]`` (nulls stay null)."""
    if isinstance(s.dtype, pd.StringDtype):
        return s if s.dtype == STRING_DTYPE else s.astype(STRING_DTYPE)
    if s.dtype == object and isinstance(_first(s), _dt.time):
        return s.map(lambda v: v.strftime("%H:%M") if isinstance(v, _dt.time) else None).astype(
            STRING_DTYPE
        )
    return s.astype(STRING_DTYPE)


def _timestamp(s: pd.Series, formats: tuple[str, ...] = ()) -> tuple[pd.Series, pd.Series | None]:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s, None
    if s.dtype == object and isinstance(_first(s), _dt.date):
        parsed = pd.to_datetime(s, errors="coerce")
    elif formats:
        parsed = parse_formats(to_text(s), formats)
    else:
        parsed = parse_iso(to_text(s))
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]"), s.notna() & parsed.isna()


def _number(s: pd.Series, integral: bool) -> tuple[pd.Series, pd.Series | None]:
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(STRING_DTYPE)
    if pd.api.types.is_numeric_dtype(s.dtype):
        out = s if s.dtype == "float64" else s.astype("float64")
        bad = None
    else:
        text = to_text(s)
        try:  # Arrow's strict cast (C++); the lenient pandas parser only if it refuses
            out = pd.Series(
                pc.cast(pa.array(text.array), pa.float64()).to_numpy(zero_copy_only=False),
                index=s.index,
            )
        except pa.ArrowInvalid:
            out = pd.to_numeric(text.str.strip(), errors="coerce").astype("float64")
        bad = s.notna() & out.isna()
    if integral:
        frac = out.notna() & (np.floor(out) != out)
        if frac.any():
            bad = frac if bad is None else (bad | frac)
            out = out.mask(frac)
    return out, bad


def _time(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = to_text(s)
    parts = text.str.extract(_TIME_RE)
    h = pd.to_numeric(parts[0], errors="coerce")
    m = pd.to_numeric(parts[1], errors="coerce")
    sec = pd.to_numeric(parts[2], errors="coerce").fillna(0)
    ok = h.notna() & (m <= 59) & (sec == 0) & ((h <= 23) | ((h == 24) & (m == 0)))
    out = _no_text(s.index)
    if ok.any():
        hh = h[ok].astype("int64").astype(str).str.zfill(2)
        mm = m[ok].astype("int64").astype(str).str.zfill(2)
        out[ok] = (hh + ":" + mm).astype(STRING_DTYPE)
    return out, s.notna() & ~ok


def _weekday(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype("float64")
    else:
        text = to_text(s).str.strip().str.lower()
        num = pd.to_numeric(text, errors="coerce").astype("float64")
        named = text.map(_WEEKDAYS, na_action="ignore").astype("float64")
        num = num.fillna(named)
    ok = num.notna() & num.isin(np.arange(7, dtype="float64"))
    return num.where(ok), s.notna() & ~ok


def _note(col: str, raw: pd.Series, bad: pd.Series) -> pd.Series:
    """``"col='raw value'"`` where ``bad``, else null."""
    out = _no_text(raw.index)
    if bad.any():
        out[bad] = (f"{col}='" + to_text(raw[bad]).fillna("") + "'").astype(STRING_DTYPE)
    return out


def _join_notes(a: pd.Series, b: pd.Series) -> pd.Series:
    """Notes ``a`` and ``b`` joined by ``", "`` where both are present (every failing column)."""
    x, y = (_one_chunk(pa.array(v.array)).cast(pa.large_string()) for v in (a, b))
    both = pc.binary_join_element_wise(x, y, pa.scalar(", ", pa.large_string()))
    out = pc.coalesce(both, x, y)
    return pd.Series(pd.arrays.ArrowStringArray(out), index=a.index)


def unparseable_rows(typed: pd.DataFrame, column: str) -> np.ndarray:
    """Row positions where ``column`` held a value that could not be parsed."""
    raw = typed.attrs.get("unparseable", {}).get(column)
    return np.frombuffer(raw, dtype="int64") if raw else np.empty(0, dtype="int64")


def coerce_frame(
    spec: TableSpec,
    raw: pd.DataFrame,
    timestamp_formats: tuple[str, ...] = (),
    unparsed: dict[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Return a typed copy of ``raw`` with the hidden ``__bad_*`` note columns added.

    Parameters
    ----------
    spec : TableSpec
        The table's contract.
    raw : DataFrame
        One chunk as read from the source. Columns not in the contract are kept unchanged.

    Returns
    -------
    DataFrame
        Contract columns coerced (absent optional columns are added as nulls), extra columns
        unchanged, plus one ``__bad_<kind>`` column per kind of parse failure;
        ``attrs["unparseable"]`` maps a column to the row positions of its unparseable values
        as int64 bytes (comparable, as pandas needs attrs to be; decode with
        :func:`unparseable_rows`); such a value is reported as unparseable, not as missing.
    """
    out = raw.copy(deep=False)
    notes: dict[str, pd.Series] = {}
    unparseable: dict[str, bytes] = {}
    for col in spec.columns:
        if col.name not in raw.columns:  # empty, typed as the contract says
            out[col.name] = _empty(col.kind, raw.index)
            continue
        s = raw[col.name]
        if col.kind == "string" and is_text_categorical(s):
            typed = _category_text(s, status=col.name == "status")
            if typed is not s:
                out[col.name] = typed
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = to_text(s)
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            blank = (s == "").to_numpy(dtype=bool, na_value=False)
            if blank.any():  # an empty text is a missing value, as in CSV
                s = s.mask(blank)
        bad: pd.Series | None
        if col.kind == "string":
            typed, bad = to_text(s), None
            if col.name == "status":
                typed = _normalise_status(typed)
        elif col.kind in ("timestamp", "date"):
            typed, bad = _timestamp(s, timestamp_formats)
            if col.kind == "date":
                typed = typed.dt.normalize()
        elif col.kind in ("float", "int"):
            typed, bad = _number(s, integral=col.kind == "int")
        elif col.kind == "time":
            typed, bad = _time(s)
        else:
            typed, bad = _weekday(s)
        if typed is not raw[col.name]:  # replacing a column costs about 1 ms per 500k rows
            out[col.name] = typed
        if unparsed and col.name in unparsed:
            s = unparsed[col.name]
            bad = s.notna()
        if bad is not None and bad.any():
            unparseable[col.name] = (
                np.flatnonzero(bad.to_numpy(dtype=bool)).astype("int64").tobytes()
            )
            note = _note(col.name, s, bad)
            key = _KIND_NOTE[col.kind]
            notes[key] = note if key not in notes else _join_notes(notes[key], note)
    for key in BAD_COLUMNS:
        out[key] = notes[key] if key in notes else _no_text(raw.index)
    out.attrs["unparseable"] = unparseable
    return out
