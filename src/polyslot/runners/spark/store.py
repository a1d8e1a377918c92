"""Build the DuckDB store the estimators read from the accepted Parquet tables Spark wrote.

The store has the local engine's layout (``polyslot.duckdb`` with the data tables,
``quarantine`` and ``reconciliation``, plus ``quarantine.csv`` and ``data_quality.json``), so
estimation, the time split and the replay run on exactly the rows the local engine would use.
DuckDB reads the Parquet folders directly; nothing passes through pandas.
"""

from __future__ import annotations

from pathlib import Path

from polyslot.atomic import atomic_path
from polyslot.data.ingest import IngestSummary, complete_store, finish_store, summarise
from polyslot.data.quarantine import create_quarantine_table
from polyslot.data.schema import TABLE_NAMES, get_spec
from polyslot.data.stage import TableCounts, select_typed
from polyslot.data.store import STORE_FILE, create_store

__all__ = ["build_store"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _glob(folder: Path) -> str:
    return (folder / "*.parquet").as_posix()


def build_store(
    tables: dict[str, Path], quarantine: Path, counts: dict[str, TableCounts], out_dir: Path
) -> IngestSummary:
    """Write ``out_dir/polyslot.duckdb`` from Parquet folders; return the ingest summary.

    Parameters
    ----------
    tables : dict of str to Path
        Standard table name -> Parquet folder of its accepted rows.
    quarantine : Path
        Parquet folder of the quarantine rows (all tables).
    counts : dict of str to TableCounts
        Reconciled counts per table.
    out_dir : Path
        The store folder (created).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    store_path = out_dir / STORE_FILE
    with atomic_path(store_path) as tmp:
        tmp.unlink()
        con = create_store(tmp)
        try:
            for name in TABLE_NAMES:
                if name not in tables:
                    continue
                spec = get_spec(name)
                cols = [
                    r[0]
                    for r in con.execute(
                        f"DESCRIBE SELECT * FROM read_parquet('{_glob(tables[name])}')"
                    ).fetchall()
                ]
                con.execute(
                    f"CREATE TABLE {_q(name)} AS SELECT {select_typed(spec, cols)} FROM "
                    f"read_parquet('{_glob(tables[name])}') ORDER BY source_row"
                )
            create_quarantine_table(con)
            con.execute(
                "INSERT INTO quarantine SELECT table_name, CAST(source_row AS BIGINT), "
                "polyclinic_id, record_id, reason, detail, record FROM "
                f"read_parquet('{_glob(quarantine)}') ORDER BY table_name, source_row"
            )
            inferred = complete_store(con, {n: str(p) for n, p in tables.items()})
            finish_store(con, counts, out_dir)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return summarise(out_dir, counts, inferred)
