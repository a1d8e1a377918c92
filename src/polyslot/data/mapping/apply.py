"""Apply a :class:`~polyslot.data.mapping.TableMapping` to one raw chunk, before validation.

Everything runs on Arrow arrays (C++ kernels, no per-row Python): renaming, constants, row
numbers, durations converted to minutes, recoding values through the dictionary of distinct
values (a ``default`` for the values not listed), ``when`` rules on other source columns
(applied after the recoding; a row set to ``walk_in`` loses its appointment time), prefixing
per-polyclinic ids, and date + clock pairs: the date column is parsed once (the date parts of
``timestamp_formats``, then ISO 8601), each clock column as ``H:MM[:SS]``, and the two are
added; the text ``"<date> <time>"`` of a pair that cannot be parsed goes into the hidden
column ``__unparsed_<column>`` so that validation reports it as unparseable with its source
text (building the text of every row and parsing it again cost about twice as much); a
duration that is not a number is kept the same way. Rows whose value is listed under
``exclude`` are flagged in the boolean column :data:`EXCLUDED`; the caller counts and drops
them (read, never validated or quarantined). The other timestamp columns are parsed by the
coercion (:func:`polyslot.data.rules.coerce.coerce_frame`), which tries ``timestamp_formats``
before ISO 8601.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from polyslot.data.mapping.model import (
    EXCLUDE,
    ID_SEPARATOR,
    ColumnRule,
    TableMapping,
    ValueRule,
    WhenRule,
)
from polyslot.data.rules.coerce import is_text_categorical, to_text
from polyslot.data.rules.timeformats import parse_iso, strptime_checked
from polyslot.data.rules.validate import UNPARSED

__all__ = ["EXCLUDED", "apply_mapping"]

#: Hidden boolean column: True for the rows a value rule excludes.
EXCLUDED = "__excluded"


def _arrow_text(s: pd.Series) -> pa.Array:
    """``s`` as an Arrow text array (nulls stay null; an empty text becomes null)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        arr = pa.array(s.to_numpy(), from_pandas=True)
        return pc.strftime(arr, "%Y-%m-%d %H:%M:%S")
    if s.dtype == object and isinstance(_first(s), _dt.time | _dt.timedelta):
        s = s.map(_clock, na_action="ignore")
    arr = pa.array(to_text(s).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)


def _first(s: pd.Series) -> object:
    nn = s.dropna()
    return nn.iloc[0] if len(nn) else None


def _clock(v: object) -> object:
    if isinstance(v, _dt.time):
        return v.strftime("%H:%M:%S" if v.second else "%H:%M")
    if isinstance(v, _dt.timedelta):
        secs = int(v.total_seconds())
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return v


def _sep(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _series(arr: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index)


def _date_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The date parts of ``formats`` (``"%d/%m/%Y %H:%M"`` -> ``"%d/%m/%Y"``), in order."""
    out: list[str] = []
    for f in formats:
        d = re.split(r"[ T](?=%[HI])", f, maxsplit=1)[0]
        if "%" in d and d not in out:
            out.append(d)
    return tuple(out)


def _parse_dates(s: pd.Series, formats: tuple[str, ...]) -> tuple[np.ndarray, pa.Array | None]:
    """Dates of ``s`` as ``datetime64[ns]`` at midnight (NaT if missing or unparseable), and
    the trimmed text (None for a typed column).

    Text is tried with the date parts of ``formats``, then as ISO 8601 (a date-time at
    midnight, as some exports write dates, is accepted and its time dropped).
    """
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.dt.tz_localize(None).dt.normalize().to_numpy("datetime64[ns]"), None
    text = pc.utf8_trim_whitespace(_arrow_text(s))
    out = None
    for f in _date_formats(formats):
        got = strptime_checked(text, f)
        out = got if out is None else pc.coalesce(out, got)
    days = (
        np.full(len(text), np.datetime64("NaT"), "datetime64[ns]")
        if out is None
        else out.to_numpy(zero_copy_only=False).astype("datetime64[ns]", copy=False)
    )
    rest = np.isnat(days) & ~pc.is_null(text).to_numpy(zero_copy_only=False)
    if rest.any():
        idx = np.flatnonzero(rest)
        iso = parse_iso(pd.Series(pd.arrays.ArrowStringArray(text.take(pa.array(idx)))))
        if isinstance(iso.dtype, pd.DatetimeTZDtype):
            iso = iso.dt.tz_localize(None)
        days[idx] = iso.dt.normalize().to_numpy("datetime64[ns]")
    return days, text


_BASE_1900 = np.datetime64("1900-01-01T00:00", "ns")


def _parse_clock(s: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Clock times of ``s`` as ``timedelta64[ns]`` since midnight (NaT where missing or not
    ``H:MM[:SS]``), and the trimmed text (a date-time keeps its time of day)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = s.dt.tz_localize(None)
        text = pc.strftime(pa.array(s.to_numpy(), from_pandas=True), "%H:%M:%S")
        return (s - s.dt.normalize()).to_numpy("timedelta64[ns]"), text
    text = pc.utf8_trim_whitespace(_arrow_text(s))
    got = pc.strptime(text, format="%H:%M:%S", unit="ns", error_is_null=True)
    if got.null_count > text.null_count:  # some without seconds (or not clock times)
        got = pc.coalesce(got, pc.strptime(text, format="%H:%M", unit="ns", error_is_null=True))
    clock = got.to_numpy(zero_copy_only=False).astype("datetime64[ns]", copy=False)
    return clock - _BASE_1900, text


def _combine(
    raw: pd.DataFrame, rule: ColumnRule, formats: tuple[str, ...], dates: dict[str, tuple]
) -> tuple[pd.Series, pd.Series | None]:
    """The date + clock pair as timestamps, and the text of the unparseable ones (or None).

    Empty when the clock time is empty; a clock time whose date is empty or unparseable, or
    that is not a clock time, is unparseable (its text: ``"<date> <time>"`` or the time
    alone). ``dates`` caches the parsed date column (one serves several pairs).
    """
    assert rule.pair is not None
    if rule.pair[0] not in dates:
        dates[rule.pair[0]] = _parse_dates(raw[rule.pair[0]], formats)
    days, day_text = dates[rule.pair[0]]
    offsets, clock_text = _parse_clock(raw[rule.pair[1]])
    stamps = days + offsets  # NaT where either is
    has_clock = ~pc.is_null(clock_text).to_numpy(zero_copy_only=False)
    failed = has_clock & np.isnat(stamps)
    out = pd.Series(stamps, index=raw.index)
    if not failed.any():
        return out, None
    rows = pa.array(np.flatnonzero(failed))
    clock = clock_text.take(rows).cast(pa.large_string())
    if day_text is None:
        day_text = pc.strftime(pa.array(days, from_pandas=True), "%Y-%m-%d")
    day = day_text.take(rows).cast(pa.large_string())
    joined = pc.binary_join_element_wise(day, clock, _sep(" "))
    text = np.full(len(raw), None, dtype=object)
    text[failed] = pc.if_else(pc.is_null(day), clock, joined).to_numpy(zero_copy_only=False)
    return out, pd.Series(text, index=raw.index, dtype=object).astype("string[pyarrow]")


def _constant(value: str, index: pd.Index) -> pd.Series:
    if value == "":
        arr = pa.nulls(len(index), pa.large_string())
    else:
        arr = pa.repeat(pa.scalar(value, pa.large_string()), len(index))
    return _series(arr, index)


def _recode(s: pd.Series, rule: ValueRule) -> tuple[pd.Series, np.ndarray | None]:
    """Recode ``s`` by ``rule`` through its distinct values; rows to exclude (or None).

    Values not listed become the rule's ``default``, or are kept as they are (validation
    judges them); a missing value stays missing.
    """
    lookup = rule.lookup()
    if is_text_categorical(s):
        cats = s.cat.categories.to_numpy(dtype=object)
        codes = s.cat.codes.to_numpy()
        indices = pa.array(codes, mask=codes < 0)
        dictionary = pa.array(cats, pa.large_string())
    else:
        enc = pc.dictionary_encode(_arrow_text(s))
        indices, dictionary = enc.indices, enc.dictionary
    names = dictionary.to_pylist()
    fallback = rule.default
    mapped = [
        lookup.get(str(v).strip().lower(), v if fallback is None or v is None else fallback)
        for v in names
    ]
    out_dict = pa.array([None if m == EXCLUDE else m for m in mapped], pa.large_string())
    out = _series(pc.take(out_dict, indices), s.index)
    drop = [i for i, m in enumerate(mapped) if m == EXCLUDE]
    if not drop:
        return out, None
    excluded = pc.is_in(indices, pa.array(drop, indices.type))
    return out, excluded.to_numpy(zero_copy_only=False)


def _scoped_ids(ids: pd.Series, clinics: pd.Series) -> pd.Series:
    """``<polyclinic_id>:<id>`` where both are present, else the id unchanged."""
    a, c = _arrow_text(ids), pc.utf8_trim_whitespace(_arrow_text(clinics))
    joined = pc.binary_join_element_wise(c, a, _sep(ID_SEPARATOR))
    return _series(pc.if_else(pc.is_null(joined), a, joined), ids.index)


def _row_numbers(first_row: int, index: pd.Index) -> pd.Series:
    """The 1-based source row numbers of a chunk starting at ``first_row``, as text."""
    rows = pa.array(np.arange(first_row, first_row + len(index), dtype=np.int64))
    return _series(pc.cast(rows, pa.large_string()), index)


def _minutes(values: pd.Series, unit: str) -> pd.Series:
    """Durations in ``unit`` (one of :data:`UNITS`) as minutes."""
    if unit == "seconds":
        return values / 60.0
    if unit == "hours":
        return values * 60.0
    return values


def _duration(s: pd.Series, unit: str) -> tuple[pd.Series, pd.Series | None]:
    """``s`` (a duration in ``unit``) in minutes, and the text of the values that are not
    numbers (or None): they stay unparseable for validation, quoted as in the source."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return _minutes(s.astype("float64"), unit), None
    text = pc.utf8_trim_whitespace(_arrow_text(s))
    nums = pd.to_numeric(
        pd.Series(text.to_numpy(zero_copy_only=False), index=s.index), errors="coerce"
    )
    out = _minutes(nums.astype("float64"), unit)
    failed = nums.isna().to_numpy() & ~pc.is_null(text).to_numpy(zero_copy_only=False)
    if not failed.any():
        return out, None
    bad = np.full(len(s), None, dtype=object)
    bad[failed] = text.to_numpy(zero_copy_only=False)[failed]
    return out, pd.Series(bad, index=s.index, dtype=object).astype("string[pyarrow]")


def _column(
    raw: pd.DataFrame, rule: ColumnRule, mapping: TableMapping, first_row: int, dates: dict
) -> tuple[pd.Series, pd.Series | None]:
    """One contract column from its rule, and the unparseable source texts (or None)."""
    if rule.row_number:
        return _row_numbers(first_row, raw.index), None
    if rule.source is not None and rule.unit is not None:
        return _duration(raw[rule.source], rule.unit)
    if rule.source is not None:
        return raw[rule.source], None
    if rule.pair is not None:
        return _combine(raw, rule, mapping.timestamp_formats, dates)
    return _constant(rule.constant or "", raw.index), None


def _when(
    raw: pd.DataFrame, rule: WhenRule, cols: dict[str, pd.Series], unparsed: dict[str, pd.Series]
) -> None:
    """Apply one ``when`` rule to the mapped columns ``cols`` (in place)."""
    norm = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow_text(raw[rule.column])))
    hit = pc.is_in(norm, pa.array(rule.values, pa.large_string()))
    mask = pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    if not mask.any():
        return
    targets = dict(rule.set)
    if targets.get("status") == "walk_in" and "appointment_ts" not in targets:
        targets["appointment_ts"] = ""  # a walk-in has no appointment time
    for target, value in targets.items():
        if target not in cols:
            if value == "":
                continue
            cols[target] = _constant("", raw.index)
        cur = cols[target]
        if value == "":
            cols[target] = cur.mask(mask)
        else:
            out = pc.if_else(pa.array(mask), pa.scalar(value, pa.large_string()), _arrow_text(cur))
            cols[target] = _series(out, raw.index)
        hidden = UNPARSED + target
        if hidden in unparsed:  # a cleared or replaced value is no longer unparseable
            unparsed[hidden] = unparsed[hidden].mask(mask)


def apply_mapping(mapping: TableMapping, raw: pd.DataFrame, first_row: int = 1) -> pd.DataFrame:
    """The chunk ``raw`` with ``mapping`` applied (columns renamed, combined, recoded).

    Parameters
    ----------
    mapping : TableMapping
        The table's mapping.
    raw : DataFrame
        One chunk as read.
    first_row : int
        Source row number (1-based) of the chunk's first row (for ``{ row_number = true }``).

    Returns
    -------
    DataFrame
        Columns :meth:`TableMapping.output_columns` in that order, plus the boolean
        :data:`EXCLUDED` when the mapping excludes values.
    """
    if mapping.is_identity:
        return raw
    cols: dict[str, pd.Series] = {}
    dates: dict[str, tuple] = {}
    unparsed: dict[str, pd.Series] = {}
    for rule in mapping.columns:
        cols[rule.target], text = _column(raw, rule, mapping, first_row, dates)
        if text is not None:
            unparsed[UNPARSED + rule.target] = text
    used = set(mapping.sources_used())
    for c in raw.columns:
        if c not in used:
            cols[f"source_{c}" if c in cols else c] = raw[c]
    excluded: np.ndarray | None = None
    for vr in mapping.values:
        if vr.column not in cols:
            continue
        cols[vr.column], drop = _recode(cols[vr.column], vr)
        if drop is not None:
            excluded = drop if excluded is None else (excluded | drop)
    for wr in mapping.when:
        _when(raw, wr, cols, unparsed)
    if mapping.id_scope == "polyclinic" and "attendance_id" in cols and "polyclinic_id" in cols:
        cols["attendance_id"] = _scoped_ids(cols["attendance_id"], cols["polyclinic_id"])
    out = pd.DataFrame({**cols, **unparsed}, index=raw.index, copy=False)
    if any(vr.excludes for vr in mapping.values):
        out[EXCLUDED] = excluded if excluded is not None else np.zeros(len(out), dtype=bool)
    return out
