"""Validate one chunk: coerce, apply the pandera checks, split accepted and quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from polyslot.data.rules.checks import Failure, evaluate
from polyslot.data.rules.coerce import BAD_COLUMNS, coerce_frame, to_text
from polyslot.data.schema import REASONS, TableSpec

__all__ = ["ChunkResult", "validate_chunk", "quarantine_text", "field_name"]

_PRIORITY = {code: i for i, code in enumerate(REASONS)}
_QCOLS = ["source_row", "reason", "detail"]
#: Prefix of hidden columns holding the unparseable texts of a column parsed upstream.
UNPARSED = "__unparsed_"


@dataclass(frozen=True)
class ChunkResult:
    """Outcome of one chunk.

    Attributes
    ----------
    typed : DataFrame
        Every row of the chunk, typed, with ``source_row`` first and the boolean ``__keep``
        (True for accepted rows); hidden ``__bad_*`` columns removed. Filtering is left to the
        consumer (DuckDB filters far faster than pandas).
    quarantine : DataFrame
        Rejected rows: ``source_row``, ``reason``, ``detail`` and the original fields as text.
    """

    typed: pd.DataFrame
    quarantine: pd.DataFrame

    @property
    def valid(self) -> pd.DataFrame:
        """The accepted rows (without ``__keep``)."""
        keep = self.typed["__keep"].to_numpy()
        return self.typed.loc[keep].drop(columns="__keep")


def field_name(col: str) -> str:
    """Quarantine column holding source column ``col`` (``orig_`` prefix if it would clash)."""
    return f"orig_{col}" if col in _QCOLS else col


def _texts(s: pd.Series) -> np.ndarray:
    """``s`` as an object array of text, None where missing (as ``to_text``)."""
    if s.dtype.kind == "M":  # the same formatting as to_text, without an Arrow round trip
        out = s.astype(str).to_numpy(dtype=object)
    else:
        out = to_text(s).to_numpy(dtype=object, na_value=None)
    out[s.isna().to_numpy()] = None
    return out


def quarantine_text(raw: pd.DataFrame) -> pd.DataFrame:
    """The original fields of ``raw`` as text (``object`` dtype, None for empty)."""
    return pd.DataFrame(
        {field_name(col): _texts(raw[col]) for col in raw.columns}, index=raw.index, dtype=object
    )


def _pieces(typed: pd.DataFrame, f: Failure) -> np.ndarray:
    """The detail text of each failing row of one rule."""
    if f.note is not None:
        vals = typed[f.note].iloc[f.rows].to_numpy(dtype=object)
        return f.reason + ": " + vals.astype(str).astype(object)
    if f.reason == "missing_required_field" and len(f.columns) == 1:
        return np.full(len(f.rows), f"{f.reason}: {f.columns[0]} is empty", dtype=object)
    text: np.ndarray | None = None
    for col in f.columns:
        s = typed[col].iloc[f.rows]
        vals = s.astype(str).where(s.notna(), "empty").to_numpy(dtype=object)
        piece = col + "=" + vals
        text = piece if text is None else text + ", " + piece
    if text is None:
        return np.full(len(f.rows), f.reason, dtype=object)
    return np.asarray(f.reason + ": " + text, dtype=object)


def validate_chunk(
    spec: TableSpec,
    raw: pd.DataFrame,
    first_row: int,
    *,
    source_rows: np.ndarray | None = None,
    timestamp_formats: tuple[str, ...] = (),
    unknown: frozenset[str] = frozenset(),
    derived: frozenset[str] = frozenset(),
) -> ChunkResult:
    """Validate one raw chunk of table ``spec``.

    A row failing several rules is filed under the first reason in :data:`REASONS` order; its
    ``detail`` lists every failure.

    Parameters
    ----------
    spec : TableSpec
        The table's contract.
    raw : DataFrame
        The chunk as read; its rows are numbered ``first_row, first_row + 1, ...`` (1-based).
    first_row : int
        Source row number of the chunk's first row.
    source_rows : ndarray of int64, optional
        The rows' source row numbers when they are not consecutive (excluded rows removed).
    timestamp_formats : tuple of str
        strftime formats tried before ISO 8601 (from a mapping).
    unknown : frozenset of str
        Contract columns unknown for every row (no rule requires them).
    derived : frozenset of str
        Contract columns computed from others before the rules run (``consult_end_ts`` =
        ``consult_start_ts`` + ``consultation_duration_minutes``).

    Returns
    -------
    ChunkResult
    """
    idx = raw.index
    if not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1):
        raw = raw.set_axis(pd.RangeIndex(len(raw)), axis=0, copy=False)  # reset_index copies
    unparsed = {c[len(UNPARSED) :]: raw[c] for c in raw.columns if c.startswith(UNPARSED)}
    if unparsed:  # texts of a mapping's date + clock pairs that could not be parsed
        raw = raw.drop(columns=[UNPARSED + c for c in unparsed])
    typed = coerce_frame(spec, raw, timestamp_formats, unparsed)
    if "consult_end_ts" in derived:
        typed["consult_end_ts"] = _derived_end(typed)
    failures = evaluate(spec.name, typed, unknown)
    n = len(raw)
    if source_rows is None:
        source_row = np.arange(first_row, first_row + n, dtype="int64")
    else:
        source_row = np.asarray(source_rows, dtype="int64")
    keep = np.ones(n, dtype=bool)
    if failures:
        fails = pd.concat(
            [
                pd.DataFrame(
                    {
                        "row": f.rows,
                        "prio": _PRIORITY[f.reason],
                        "reason": f.reason,
                        "text": _pieces(typed, f),
                    }
                )
                for f in failures
            ],
            ignore_index=True,
        ).sort_values(["row", "prio"], kind="stable")
        fails = fails.drop_duplicates(["row", "text"])
        first = fails.drop_duplicates("row")
        bad = first["row"].to_numpy(dtype="int64")
        detail = pd.Series(first["text"].to_numpy(dtype=object), index=bad)
        multi = fails["row"].duplicated(keep=False).to_numpy()
        if multi.any():  # rows failing several rules: join their texts (few rows)
            joined: dict[int, list[str]] = {}
            rows_m, texts_m = fails["row"].to_numpy()[multi], fails["text"].to_numpy()[multi]
            for r, t in zip(rows_m, texts_m, strict=True):
                joined.setdefault(int(r), []).append(t)
            detail.loc[list(joined)] = ["; ".join(v) for v in joined.values()]
        keep[bad] = False
        q = pd.DataFrame(
            {
                "source_row": source_row[bad],
                "reason": first["reason"].to_numpy(),
                "detail": detail.loc[bad].to_numpy(),
            }
        )
        orig = quarantine_text(raw.iloc[bad]).reset_index(drop=True)
        for col, text in unparsed.items():  # the source text, not the empty parsed value
            failed = text.iloc[bad].to_numpy(dtype=object, na_value=None)
            has = np.array([v is not None for v in failed], dtype=bool)
            if has.any():
                orig.loc[has, field_name(col)] = failed[has]
        q = pd.concat([q, orig], axis=1)
    else:
        q = pd.DataFrame(columns=[*_QCOLS, *map(field_name, raw.columns)])
    for col in BAD_COLUMNS:  # in place: drop() would copy every column
        del typed[col]
    if spec.name == "attendances":
        typed = _derive_duration(typed)
    if spec.name == "slot_template":
        typed["count"] = typed["count"].fillna(1.0)
    typed.insert(0, "source_row", source_row)
    typed["__keep"] = keep
    typed.attrs = {}
    return ChunkResult(typed=typed, quarantine=q)


def _derived_end(df: pd.DataFrame) -> pd.Series:
    """``consult_start_ts`` + ``consultation_duration_minutes`` (to the millisecond; empty
    where either is)."""
    start = df["consult_start_ts"].astype("datetime64[ns]")
    minutes = pd.to_timedelta(df["consultation_duration_minutes"].to_numpy(), unit="m")
    return (start + minutes).dt.round("ms")


def _derive_duration(df: pd.DataFrame) -> pd.DataFrame:
    dur = df["consultation_duration_minutes"]
    fill = dur.isna() & df["consult_start_ts"].notna() & df["consult_end_ts"].notna()
    if fill.any():
        df = df.copy()
        df.loc[fill, "consultation_duration_minutes"] = (
            df.loc[fill, "consult_end_ts"] - df.loc[fill, "consult_start_ts"]
        ).dt.total_seconds() / 60.0
    return df
