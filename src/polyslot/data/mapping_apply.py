"""Apply a :class:`~polyslot.data.mapping.TableMapping` to one raw chunk, before validation.

Everything runs on Arrow arrays (C++ kernels, no per-row Python): renaming, combining a date
column and a clock-time column into one text ``"<date> <time>"``, constants, recoding values
through the dictionary of distinct values, and prefixing per-polyclinic ids. Rows whose value
is listed under ``exclude`` are flagged in the boolean column :data:`EXCLUDED`; the caller
counts and drops them (they are read, never validated or quarantined). Timestamp formats are
applied by the coercion (:func:`polyslot.data.coerce.coerce_frame`), which tries them before
ISO 8601.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from polyslot.data.coerce import is_text_categorical, to_text
from polyslot.data.mapping import EXCLUDE, ID_SEPARATOR, ColumnRule, TableMapping, ValueRule

__all__ = ["EXCLUDED", "apply_mapping"]

#: Hidden boolean column: True for the rows a value rule excludes.
EXCLUDED = "__excluded"
_MIDNIGHT = r"[ T]00:00(:00(\.0+)?)?$"


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


def _date_part(s: pd.Series) -> pa.Array:
    """The date of ``s`` as text; a midnight time of day written after it is dropped."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return pc.strftime(pa.array(s.to_numpy(), from_pandas=True), "%Y-%m-%d")
    text = pc.utf8_trim_whitespace(_arrow_text(s))
    return pc.replace_substring_regex(text, _MIDNIGHT, "")


def _time_part(s: pd.Series) -> pa.Array:
    """The clock time of ``s`` as text (a date-time keeps only its time of day)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return pc.strftime(pa.array(s.to_numpy(), from_pandas=True), "%H:%M")
    text = pc.utf8_trim_whitespace(_arrow_text(s))
    if isinstance(s.dtype, pd.StringDtype):
        return text
    # typed clock times (Parquet time, Excel, DuckDB) read as HH:MM:SS: whole minutes as HH:MM
    return pc.replace_substring_regex(text, r"^(\d{1,2}:\d{2}):00(\.0+)?$", r"\1")


def _combine(raw: pd.DataFrame, rule: ColumnRule) -> pd.Series:
    """``"<date> <time>"``; empty when the time is empty; the time alone when the date is."""
    assert rule.pair is not None
    date, clock = _date_part(raw[rule.pair[0]]), _time_part(raw[rule.pair[1]])
    joined = pc.binary_join_element_wise(
        date.cast(pa.large_string()), clock.cast(pa.large_string()), _sep(" ")
    )
    return _series(pc.if_else(pc.is_null(date), clock, joined), raw.index)


def _constant(value: str, index: pd.Index) -> pd.Series:
    if value == "":
        arr = pa.nulls(len(index), pa.large_string())
    else:
        arr = pa.repeat(pa.scalar(value, pa.large_string()), len(index))
    return _series(arr, index)


def _recode(s: pd.Series, rule: ValueRule) -> tuple[pd.Series, np.ndarray | None]:
    """Recode ``s`` by ``rule`` through its distinct values; rows to exclude (or None).

    Values not listed are kept as they are (validation judges them).
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
    mapped = [lookup.get(str(v).strip().lower(), v) for v in names]
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


def apply_mapping(mapping: TableMapping, raw: pd.DataFrame) -> pd.DataFrame:
    """The chunk ``raw`` with ``mapping`` applied (columns renamed, combined, recoded).

    Returns
    -------
    DataFrame
        Columns :meth:`TableMapping.output_columns` in that order, plus the boolean
        :data:`EXCLUDED` when the mapping excludes values.
    """
    if mapping.is_identity:
        return raw
    cols: dict[str, pd.Series] = {}
    for rule in mapping.columns:
        if rule.source is not None:
            cols[rule.target] = raw[rule.source]
        elif rule.pair is not None:
            cols[rule.target] = _combine(raw, rule)
        else:
            cols[rule.target] = _constant(rule.constant or "", raw.index)
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
    if mapping.id_scope == "polyclinic" and "attendance_id" in cols and "polyclinic_id" in cols:
        cols["attendance_id"] = _scoped_ids(cols["attendance_id"], cols["polyclinic_id"])
    out = pd.DataFrame(cols, index=raw.index, copy=False)
    if any(vr.excludes for vr in mapping.values):
        out[EXCLUDED] = excluded if excluded is not None else np.zeros(len(out), dtype=bool)
    return out
