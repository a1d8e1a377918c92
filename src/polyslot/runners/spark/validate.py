"""Validation in Spark with the local engine's own rules: ``validate_chunk`` per Arrow batch.

One rule set, two engines: every partition of a raw table is validated by
:func:`polyslot.data.rules.validate.validate_chunk` inside ``mapInPandas``; the staged result (typed
columns, keep flag, reason, detail and the original fields as text) is written once to Parquet.
Source row numbers follow the local engine (1-based, files in name order, rows in file order)
and are computed from ``input_file_name()`` and ``monotonically_increasing_id()`` without a
global sort.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from polyslot.data.rules.coerce import to_text
from polyslot.data.rules.validate import field_name, validate_chunk
from polyslot.data.schema import TableSpec, get_spec

__all__ = ["RowOffsets", "row_offsets", "staged_schema", "stage_table", "Q_PREFIX"]

#: Prefix of the staged columns that hold a rejected row's original fields as text.
Q_PREFIX = "__q_"
_PART_BITS = 33  # monotonically_increasing_id = partition index << 33 | row within partition
_SPARK_TYPES = {
    "string": "string",
    "time": "string",
    "timestamp": "timestamp_ntz",
    "date": "date",
    "float": "double",
    "int": "int",
    "weekday": "int",
}

#: ``(input file, partition) -> (rows before this block, smallest id in the block)``.
RowOffsets = dict[tuple[str, int], tuple[int, int]]


def row_offsets(raw: Any) -> tuple[RowOffsets, int]:
    """Row-number offsets of every (file, partition) block of ``raw`` and the total row count.

    Blocks are ordered by file name, then by position in the file, which is the order the
    local engine reads a file or a folder of files in.
    """
    from pyspark.sql import functions as F

    stats = (
        raw.select(
            F.input_file_name().alias("f"),
            F.monotonically_increasing_id().alias("m"),
        )
        .groupBy("f", F.shiftright("m", _PART_BITS).alias("p"))
        .agg(F.min("m").alias("lo"), F.count(F.lit(1)).alias("n"))
        .collect()
    )
    offsets: RowOffsets = {}
    done = 0
    for r in sorted(stats, key=lambda r: (r["f"], r["lo"])):
        offsets[(r["f"], int(r["p"]))] = (done, int(r["lo"]))
        done += int(r["n"])
    return offsets, done


def _raw_columns(columns: list[str]) -> list[str]:
    # a store re-ingested as a source carries our own provenance column: renumber instead
    return [c for c in columns if c != "source_row"]


def staged_schema(spec: TableSpec, columns: list[str]) -> str:
    """DDL schema of the staged output for a raw table with ``columns``."""
    raw = _raw_columns(columns)
    parts = ["source_row bigint"]
    parts += [f"`{c.name}` {_SPARK_TYPES[c.kind]}" for c in spec.columns]
    parts += [f"`{c}` string" for c in raw if c not in spec.column_names]
    parts += ["__keep boolean", "__reason string", "__detail string", "__read_pc string"]
    parts += [f"`{Q_PREFIX}{field_name(c)}` string" for c in raw]
    return ", ".join(parts)


def _text(s: pd.Series) -> np.ndarray:
    t = to_text(s).astype(object)
    return t.where(t.notna(), None).to_numpy(dtype=object)


def _typed_out(spec: TableSpec, typed: pd.DataFrame, raw_cols: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in spec.columns:
        s = typed[c.name]
        if c.kind in ("string", "time"):
            out[c.name] = _text(s)
        elif c.kind == "timestamp":
            out[c.name] = pd.to_datetime(s).astype("datetime64[ns]").to_numpy()
        elif c.kind == "date":
            d = pd.to_datetime(s).dt.date.astype(object)
            out[c.name] = d.where(pd.to_datetime(s).notna(), None).to_numpy(dtype=object)
        elif c.kind == "float":
            out[c.name] = pd.to_numeric(s).astype("float64").to_numpy()
        else:
            out[c.name] = pd.array(np.round(pd.to_numeric(s).astype("float64")), dtype="Int32")
    for raw in raw_cols:
        if raw not in spec.column_names:
            out[raw] = _text(typed[raw])
    return out


def _source_rows(files: pd.Series, mids: pd.Series, offsets: RowOffsets) -> np.ndarray:
    m = mids.to_numpy(dtype="int64")
    part = m >> _PART_BITS
    out = np.empty(len(m), dtype="int64")
    keys = pd.DataFrame({"f": files.to_numpy(dtype=object), "p": part})
    for (f, p), idx in keys.groupby(["f", "p"], sort=False).indices.items():
        base, lo = offsets[(f, int(p))]
        out[idx] = base + (m[idx] - lo) + 1
    return out


def _validate_batches(table: str, columns: list[str], offsets: RowOffsets) -> Any:
    spec = get_spec(table)
    raw_cols = _raw_columns(columns)

    def fn(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            if not len(pdf):
                continue
            rows = _source_rows(pdf["__file"], pdf["__mid"], offsets)
            raw = pdf[raw_cols].reset_index(drop=True)
            res = validate_chunk(spec, raw, first_row=0)
            keep = res.typed["__keep"].to_numpy(dtype=bool)
            n = len(raw)
            cols: dict[str, Any] = {"source_row": rows}
            cols.update(_typed_out(spec, res.typed, raw_cols))
            reason = np.full(n, None, dtype=object)
            detail = np.full(n, None, dtype=object)
            q = res.quarantine
            pos = q["source_row"].to_numpy(dtype="int64")
            reason[pos] = q["reason"].to_numpy(dtype=object)
            detail[pos] = q["detail"].to_numpy(dtype=object)
            if "polyclinic_id" in raw.columns:
                read_pc = _text(raw["polyclinic_id"])
            else:
                read_pc = np.full(n, None, dtype=object)
            cols.update(__keep=keep, __reason=reason, __detail=detail, __read_pc=read_pc)
            for c in raw_cols:
                f = field_name(c)
                v = np.full(n, None, dtype=object)
                if len(pos):
                    v[pos] = q[f].to_numpy(dtype=object)
                cols[Q_PREFIX + f] = v
            yield pd.DataFrame(cols)

    return fn


def stage_table(raw: Any, table: str, path: str) -> tuple[Any, int]:
    """Validate ``raw`` (a Spark DataFrame of table ``table``) into Parquet at ``path``.

    Returns
    -------
    (DataFrame, int)
        The staged table read back from ``path`` and the number of rows read.
    """
    from pyspark.sql import functions as F

    spec = get_spec(table)
    columns = list(raw.columns)
    offsets, n_read = row_offsets(raw)
    src = raw.withColumn("__file", F.input_file_name()).withColumn(
        "__mid", F.monotonically_increasing_id()
    )
    staged = src.mapInPandas(
        _validate_batches(table, columns, offsets), staged_schema(spec, columns)
    )
    staged.write.mode("overwrite").parquet(path)
    spark = raw.sparkSession
    return spark.read.parquet(path), n_read
