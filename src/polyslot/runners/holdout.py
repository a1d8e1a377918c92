"""Split a DuckDB store in time: a training store for estimation, and held-back days for replay.

The most recent ``holdout_days`` calendar days (by ``COALESCE(appointment_ts, arrival_ts,
booking_ts)`` for attendances and ``date`` for the roster) are removed from the training store,
so estimation never sees the period the templates are replayed on.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from polyslot.errors import DataError

__all__ = ["store_file", "last_date", "write_training_store", "holdout_frames"]

_EVENT = "COALESCE(appointment_ts, arrival_ts, booking_ts)"


def store_file(store: str | Path) -> Path:
    """The ``polyslot.duckdb`` file of a store folder (or the file itself)."""
    path = Path(store)
    if path.is_dir():
        path = path / "polyslot.duckdb"
    if not path.exists():
        raise DataError("DuckDB store not found (run polyslot ingest first)", source=str(path))
    return path


def last_date(store: str | Path) -> dt.date:
    """The last date with attendances in the store."""
    with duckdb.connect(str(store_file(store)), read_only=True) as con:
        row = con.execute(f"SELECT max(CAST({_EVENT} AS DATE)) FROM attendances").fetchone()
    if row is None or row[0] is None:
        raise DataError("no attendances in the store", source=str(store), field="attendances")
    return row[0]


def write_training_store(
    store: str | Path,
    cutoff: dt.date,
    out: str | Path,
    tables: tuple[str, ...] | None = None,
) -> Path:
    """Copy ``store`` to ``out`` keeping only attendances and roster rows before ``cutoff``
    (and only ``tables``, when given)."""
    src = store_file(store)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
            ).fetchall()
        ]
        for t in names:
            if tables is not None and t not in tables:
                continue
            where = ""
            if t == "attendances":
                where = f" WHERE CAST({_EVENT} AS DATE) < DATE '{cutoff.isoformat()}'"
            elif t == "roster":
                where = f" WHERE CAST(date AS DATE) < DATE '{cutoff.isoformat()}'"
            con.execute(f'CREATE TABLE "{t}" AS SELECT * FROM src."{t}"{where}')
        con.execute("DETACH src")
    tmp.replace(out)
    return out


def holdout_frames(store: str | Path, cutoff: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attendances and roster rows on or after ``cutoff`` (for historical replay)."""
    with duckdb.connect(str(store_file(store)), read_only=True) as con:
        att = con.execute(
            f"SELECT * FROM attendances WHERE CAST({_EVENT} AS DATE) >= ?", [cutoff]
        ).df()
        ros = con.execute("SELECT * FROM roster WHERE CAST(date AS DATE) >= ?", [cutoff]).df()
    return att, ros
