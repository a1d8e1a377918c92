"""Validate one chunk: coerce, run the pandera schema lazily, split accepted / quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from polyslot.data.coerce import BAD_COLUMNS, coerce_frame, to_text
from polyslot.data.rules import CROSS_RULES, CrossRule, build_schema
from polyslot.data.schema import REASONS, TableSpec

__all__ = ["ChunkResult", "validate_chunk", "quarantine_text"]

_PRIORITY = {code: i for i, code in enumerate(REASONS)}


@dataclass(frozen=True)
class ChunkResult:
    """Outcome of one chunk.

    Attributes
    ----------
    valid : DataFrame
        Typed accepted rows (contract columns, extras, ``source_row``), hidden columns dropped.
    quarantine : DataFrame
        Rejected rows: ``source_row``, ``reason``, ``detail`` and the original fields as text.
    """

    valid: pd.DataFrame
    quarantine: pd.DataFrame


def quarantine_text(raw: pd.DataFrame) -> pd.DataFrame:
    """The original fields of ``raw`` as text (``object`` dtype, None for empty)."""
    out = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        s = to_text(raw[col]).astype(object)
        out[col] = s.where(s.notna(), None)
    return out


def _failures(spec: TableSpec, typed: pd.DataFrame) -> pd.DataFrame:
    """Failure cases as (index, reason, piece) rows; empty if every row passes."""
    schema = build_schema(spec.name)
    try:
        schema.validate(typed, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    else:
        return pd.DataFrame(columns=["index", "reason", "piece"])
    if fc["index"].isna().any():  # a whole-column failure (dtype) means a coercion bug
        bad = fc[fc["index"].isna()].iloc[0]
        raise RuntimeError(f"{spec.name}: column {bad['column']!r} failed {bad['check']!r}")
    fc = fc[["column", "check", "failure_case", "index", "schema_context"]].copy()
    check = fc["check"].astype(str)
    reason = check.where(check != "not_nullable", "missing_required_field")
    value = fc["failure_case"].astype(str)
    column = fc["column"].astype(str)
    is_note = column.isin(list(BAD_COLUMNS))
    piece = np.where(
        is_note,
        value,
        np.where(check == "not_nullable", column + " is empty", column + "=" + value),
    )
    frame = (fc["schema_context"] == "DataFrameSchema").to_numpy()
    out = pd.DataFrame({"index": fc["index"], "reason": reason, "piece": piece})[~frame]
    if frame.any():
        pairs = pd.DataFrame({"index": fc["index"], "reason": reason})[frame].drop_duplicates()
        parts = [out]
        for rule in CROSS_RULES.get(spec.name, ()):
            idx = pairs.loc[pairs["reason"] == rule.reason, "index"].to_numpy(dtype="int64")
            if len(idx):
                parts.append(
                    pd.DataFrame(
                        {"index": idx, "reason": rule.reason, "piece": _describe(typed, idx, rule)}
                    )
                )
        out = pd.concat(parts, ignore_index=True)
    return out


def _describe(typed: pd.DataFrame, idx: np.ndarray, rule: CrossRule) -> np.ndarray:
    """``"col=value, col=value"`` for the columns of a cross-field rule (empty values named)."""
    text = None
    for col in rule.columns:
        s = typed[col].iloc[idx]
        vals = s.astype(str).where(s.notna(), "empty").to_numpy(dtype=object)
        piece = col + "=" + vals
        text = piece if text is None else text + ", " + piece
    return text


def validate_chunk(spec: TableSpec, raw: pd.DataFrame, first_row: int) -> ChunkResult:
    """Validate one raw chunk of table ``spec``.

    Parameters
    ----------
    spec : TableSpec
        The table's contract.
    raw : DataFrame
        The chunk as read; its rows are numbered ``first_row, first_row + 1, ...`` (1-based).
    first_row : int
        Source row number of the chunk's first row.

    Returns
    -------
    ChunkResult
    """
    raw = raw.reset_index(drop=True)
    typed = coerce_frame(spec, raw)
    fails = _failures(spec, typed)
    source_row = np.arange(first_row, first_row + len(raw), dtype="int64")
    if fails.empty:
        bad_idx = np.empty(0, dtype="int64")
        q = pd.DataFrame(columns=["source_row", "reason", "detail", *raw.columns])
    else:
        fails = fails.assign(prio=fails["reason"].map(_PRIORITY)).sort_values(
            ["index", "prio"], kind="stable"
        )
        fails = fails.drop_duplicates(["index", "reason", "piece"])
        first = fails.drop_duplicates("index")
        fails["text"] = fails["reason"] + ": " + fails["piece"]
        detail = fails.groupby("index", sort=True)["text"].agg("; ".join)
        bad_idx = first["index"].to_numpy(dtype="int64")
        q = pd.DataFrame(
            {
                "source_row": source_row[bad_idx],
                "reason": first["reason"].to_numpy(),
                "detail": detail.loc[bad_idx].to_numpy(),
            }
        )
        orig = quarantine_text(raw.iloc[bad_idx]).reset_index(drop=True)
        q = pd.concat([q, orig], axis=1)
    keep = np.ones(len(raw), dtype=bool)
    keep[bad_idx] = False
    valid = typed.loc[keep].drop(columns=list(BAD_COLUMNS))
    if spec.name == "attendances":
        valid = _derive_duration(valid)
    if spec.name == "slot_template":
        valid["count"] = valid["count"].fillna(1.0)
    valid.insert(0, "source_row", source_row[keep])
    return ChunkResult(valid=valid, quarantine=q)


def _derive_duration(df: pd.DataFrame) -> pd.DataFrame:
    dur = df["consultation_duration_minutes"]
    fill = dur.isna() & df["consult_start_ts"].notna() & df["consult_end_ts"].notna()
    if fill.any():
        df = df.copy()
        df.loc[fill, "consultation_duration_minutes"] = (
            df.loc[fill, "consult_end_ts"] - df.loc[fill, "consult_start_ts"]
        ).dt.total_seconds() / 60.0
    return df
