"""Load one table into a DuckDB connection chunk by chunk: validate, stage, de-duplicate.

This is the single code path behind both ``load_*`` (an in-memory DuckDB) and ``ingest`` (the
store file), so the two always accept and quarantine exactly the same rows. Chunks are read
one ahead in a thread and validated in this one; accepted rows flow into ``<table>`` through
one streaming ``INSERT`` (:mod:`polyslot.data.stream`), rejected rows go to ``_q_<table>``, and
duplicates across chunks are found afterwards (:mod:`polyslot.data.dedupe`). Memory stays
bounded by a few chunks.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from polyslot.data.dedupe import chunk_key_hashes, move_duplicates, shared_hashes
from polyslot.data.mapping.apply import EXCLUDED
from polyslot.data.mapping.fields import FieldSource, derived_fields
from polyslot.data.quarantine import ALL_POLYCLINICS, count_read, reconciliation_frame
from polyslot.data.readers import DEFAULT_BATCH_ROWS, TableSource
from polyslot.data.rules.validate import ChunkResult, field_name, validate_chunk
from polyslot.data.schema import MISSING_POLYCLINIC, REASONS, TableSpec
from polyslot.data.store.files import Connection
from polyslot.data.stream import StreamingInsert

__all__ = ["Progress", "TableCounts", "load_table"]

#: ``progress(table, rows_done, rows_total_or_None)``.
Progress = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True)
class TableCounts:
    """What happened to one table."""

    table: str
    source: str
    read: int
    accepted: int
    quarantined: int
    reconciliation: pd.DataFrame
    reasons: dict[str, int]
    excluded: int = 0
    fields: tuple[FieldSource, ...] = ()

    @property
    def unknown_fields(self) -> list[str]:
        """Contract columns unknown for every row, in contract order."""
        return [f.field for f in self.fields if f.provenance == "unknown"]


#: Store columns written without compression (besides every timestamp column): nearly unique
#: identifiers shrink by only about a third under DuckDB's dictionary/FSST compression, which
#: costs most of the store's write time; bit-packing timestamps saves about 30% of their size
#: for about a tenth of the write time. See docs/performance.md.
UNCOMPRESSED = frozenset({"attendance_id", "patient_id"})

#: Columns polyslot adds itself; a source column of the same name is dropped (renumbered).
_META = ("source_row",)


@contextmanager
def _bulk_runtime() -> Iterator[None]:
    """Arrow's jemalloc (else system) memory pool and no cyclic garbage collection meanwhile.

    With the default mimalloc pool every chunk lands in fresh huge pages that the kernel must
    clear (about 0.4 CPU-s per 5 million rows); pandas creates many short-lived objects whose
    collection passes find nothing to free. Both are restored afterwards.
    """
    pool = pa.default_memory_pool()
    if "jemalloc" in pa.supported_memory_backends():
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    else:  # a pyarrow build without jemalloc
        pa.set_memory_pool(pa.system_memory_pool())
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        pa.set_memory_pool(pool)
        if collecting:
            gc.enable()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select_typed(spec: TableSpec, columns: list[str]) -> str:
    """Select list casting the contract columns of ``columns`` to their store types."""
    parts = []
    for c in columns:
        if c == "source_row":
            parts.append("CAST(source_row AS BIGINT) AS source_row")
        elif c in spec.column_names:
            parts.append(f"CAST({_q(c)} AS {spec.column(c).duckdb_type}) AS {_q(c)}")
        else:
            parts.append(_q(c))
    return ", ".join(parts)


def _uncompressed(spec: TableSpec, column: str) -> bool:
    return column in UNCOMPRESSED or (
        column in spec.column_names and spec.column(column).kind == "timestamp"
    )


def _create_table(con: Connection, spec: TableSpec, chunk: pa.Table, select: str) -> None:
    """Create table ``spec.name`` with the columns of ``select`` over the first ``chunk``."""
    con.register("_chunk", chunk)
    try:
        types = con.execute(f"DESCRIBE SELECT {select} FROM _chunk").fetchall()
    finally:
        con.unregister("_chunk")
    cols = ", ".join(
        f"{_q(c)} {t}" + (" USING COMPRESSION uncompressed" if _uncompressed(spec, c) else "")
        for c, t, *_ in types
    )
    con.execute(f"CREATE TABLE {_q(spec.name)} ({cols})")


def _stage_chunk(
    con: Connection, spec: TableSpec, staging: str, res: ChunkResult
) -> tuple[pa.Table, np.ndarray | None]:
    """Rejected rows of ``res`` into ``staging``; the chunk as Arrow and its kept key hashes."""
    # DuckDB scans Arrow far faster than a pandas frame of Arrow-backed strings
    chunk = pa.Table.from_pandas(res.typed, preserve_index=False).replace_schema_metadata(None)
    con.register("_chunk", chunk)
    try:
        hashes = chunk_key_hashes(con, spec, "_chunk") if spec.key else None
    finally:
        con.unregister("_chunk")
    if len(res.quarantine):
        con.register("_qchunk", res.quarantine)
        try:
            con.execute(f"INSERT INTO {staging} BY NAME SELECT * FROM _qchunk")
        finally:
            con.unregister("_qchunk")
    return chunk, hashes


def _create_quarantine_staging(con: Connection, staging: str, columns: tuple[str, ...]) -> None:
    cols = ", ".join(f"{_q(c)} VARCHAR" for c in columns)
    con.execute(
        f"CREATE TEMP TABLE {staging} (source_row BIGINT, reason VARCHAR, detail VARCHAR"
        f"{', ' + cols if cols else ''})"
    )


_END = object()


def _read_ahead(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Yield ``chunks``, reading the next one in a thread meanwhile (Arrow releases the GIL)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="polyslot-read") as reader:
        ahead = reader.submit(next, chunks, _END)
        while (chunk := ahead.result()) is not _END:
            ahead = reader.submit(next, chunks, _END)
            yield chunk


def _drop_excluded(
    raw: pd.DataFrame, excluded: Counter, done: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """``raw`` without its excluded rows (counted into ``excluded`` by polyclinic), and the
    source row numbers of the rows kept."""
    flag = raw[EXCLUDED].to_numpy(dtype=bool)
    raw = raw.drop(columns=EXCLUDED)
    keep = np.flatnonzero(~flag)
    if flag.any():
        count_read(excluded, raw.iloc[np.flatnonzero(flag)])
        raw = raw.iloc[keep].reset_index(drop=True)
    return raw, keep.astype("int64") + done + 1


def _counts_by_pc(con: Connection, table: str, has_pc: bool) -> dict[str, int]:
    if not has_pc:
        n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        return {ALL_POLYCLINICS: int(n)} if n else {}
    rows = con.execute(
        f"SELECT coalesce(CAST(polyclinic_id AS VARCHAR), '{MISSING_POLYCLINIC}'), count(*) "
        f"FROM {table} GROUP BY 1"
    ).fetchall()
    return {str(k): int(n) for k, n in rows}


def load_table(
    con: Connection,
    spec: TableSpec,
    source: TableSource,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
) -> TableCounts:
    """Validate ``source`` chunk by chunk into tables ``spec.name`` and ``_q_<name>`` of ``con``.

    Returns
    -------
    TableCounts
        Read / accepted / quarantined totals, per-polyclinic reconciliation and reason counts.
    """
    staging = _q(f"_q_{spec.name}")
    for name in (spec.name, f"_q_{spec.name}"):
        con.execute(f"DROP TABLE IF EXISTS {_q(name)}")
    # a store re-ingested as a source carries our own provenance column: renumber instead
    columns = tuple(field_name(c) for c in source.columns if c not in _META)
    _create_quarantine_staging(con, staging, columns)
    read: Counter = Counter()
    excluded: Counter = Counter()
    formats = source.mapping.timestamp_formats if source.mapping is not None else ()
    unknown, derived = source.unknown_fields, derived_fields(source.fields)
    done = 0
    hashes: list[np.ndarray] = []
    select: str | None = None
    writer: StreamingInsert | None = None
    if progress:
        progress(spec.name, 0, source.total_rows)
    try:
        with _bulk_runtime():
            for raw in _read_ahead(source.iter_batches(batch_rows)):
                if not len(raw):
                    continue
                if "source_row" in raw.columns:
                    raw = raw.drop(columns="source_row")
                count_read(read, raw)
                n_raw, rows = len(raw), None
                if EXCLUDED in raw.columns:
                    raw, rows = _drop_excluded(raw, excluded, done)
                res = validate_chunk(
                    spec,
                    raw,
                    first_row=done + 1,
                    source_rows=rows,
                    timestamp_formats=formats,
                    unknown=unknown,
                    derived=derived,
                )
                done += n_raw
                chunk, chunk_hashes = _stage_chunk(con, spec, staging, res)
                if chunk_hashes is not None:
                    hashes.append(chunk_hashes)
                if select is None:
                    select = select_typed(spec, [c for c in chunk.column_names if c != "__keep"])
                    _create_table(con, spec, chunk, select)
                if writer is None or not writer.fits(chunk):  # first chunk, other types
                    if writer is not None:
                        writer.close()
                    writer = StreamingInsert(con, _q(spec.name), select, chunk.schema)
                writer.put(chunk)
                if progress:
                    progress(spec.name, done, source.total_rows)
            shared = shared_hashes(hashes)  # while DuckDB finishes the last chunks
            del hashes
            if writer is not None:
                writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if select is None:  # empty source: create the empty typed table
        cols = ", ".join(f"{_q(c.name)} {c.duckdb_type}" for c in spec.columns)
        con.execute(f"CREATE TABLE {_q(spec.name)} (source_row BIGINT, {cols})")
    move_duplicates(con, spec, staging, shared)
    has_pc = "polyclinic_id" in spec.column_names
    accepted = _counts_by_pc(con, _q(spec.name), has_pc)
    quarantined = _counts_by_pc(con, staging, has_pc and "polyclinic_id" in source.columns)
    recon = reconciliation_frame(spec.name, read, accepted, quarantined, excluded)
    reasons = dict(
        con.execute(f"SELECT reason, count(*) FROM {staging} GROUP BY 1 ORDER BY 1").fetchall()
    )
    reasons = {k: int(reasons[k]) for k in REASONS if k in reasons}
    return TableCounts(
        table=spec.name,
        source=source.label,
        read=int(recon["read"].sum()),
        accepted=int(recon["accepted"].sum()),
        quarantined=int(recon["quarantined"].sum()),
        reconciliation=recon,
        reasons=reasons,
        excluded=int(recon["excluded"].sum()),
        fields=source.fields,
    )
