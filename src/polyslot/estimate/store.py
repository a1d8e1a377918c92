"""Read-only access to the DuckDB store written by ``polyslot ingest``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from polyslot.data.schema import get_spec
from polyslot.errors import DataError, SchemaError

__all__ = ["STORE_FILE", "resolve_store", "open_store", "has_table", "table_columns"]

STORE_FILE = "polyslot.duckdb"
#: DuckDB's memory cap while estimating (it spills to disk beyond it).
MEMORY_LIMIT = "1500MB"


def resolve_store(store: str | Path) -> Path:
    """Path of the DuckDB file: ``store`` itself, or ``store/polyslot.duckdb`` for a folder."""
    path = Path(store)
    if path.is_dir():
        path = path / STORE_FILE
    if not path.is_file():
        raise DataError(
            "store not found (expected a folder containing polyslot.duckdb or a .duckdb file)",
            source=str(store),
        )
    return path


def open_store(store: str | Path, need_attendances: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store read-only and check the required tables and their columns
    (``attendances`` may be absent when ``need_attendances`` is false)."""
    path = resolve_store(store)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DataError(f"cannot open DuckDB store ({exc})", source=str(path)) from None
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    for name in ("attendances", "roster"):
        if not has_table(con, name):
            if name == "roster" or not need_attendances:
                continue  # optional: staffing is then inferred from consultations
            raise SchemaError(
                "missing table (run `polyslot ingest` first)", source=str(path), field=name
            )
    for name in (
        "attendances",
        "roster",
        "slot_template",
        "demand_forecast",
        "no_show_predictions",
    ):
        if not has_table(con, name):
            continue
        cols = set(table_columns(con, name))
        for required in get_spec(name).required_names:
            if required not in cols:
                raise SchemaError(
                    f"table {name!r} lacks required column", source=str(path), field=required
                )
    return con


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether table ``name`` exists (and is not empty of columns)."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Column names of table ``name`` in store order."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [r[0] for r in rows]


def exact_sql(expr: str) -> str:
    """``expr`` as a fixed-point DECIMAL, so that ``sum``/``avg`` over it are exact integer
    arithmetic: the result does not depend on the order in which DuckDB's threads combine
    partial sums (double sums do, in the last bits). Nine decimals, values below 1e9."""
    return f"CAST({expr} AS DECIMAL(18, 9))"
