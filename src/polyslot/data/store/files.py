"""Where a store lives and how it is opened: the one place that spells ``polyslot.duckdb``.

A store is the DuckDB file ``polyslot.duckdb`` written by ``polyslot ingest`` (or the Spark
engine) into a folder; every function here accepts the folder or the file itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from polyslot.data.schema import get_spec
from polyslot.errors import DataError, SchemaError

__all__ = [
    "STORE_FILE",
    "TRAINING_FILE",
    "MEMORY_LIMIT",
    "Connection",
    "store_path",
    "connect",
    "create_store",
    "open_store",
    "has_table",
    "table_columns",
    "table_names",
    "TABLE_FIELDS",
    "write_table_fields",
    "unknown_fields",
]

#: File name of the store inside its folder.
STORE_FILE = "polyslot.duckdb"
#: File name of the training store (history before the hold-out) inside the store folder.
TRAINING_FILE = "training.duckdb"
#: DuckDB's memory cap while estimating (it spills to disk beyond it).
MEMORY_LIMIT = "1500MB"
#: An open DuckDB connection to a store.
Connection = duckdb.DuckDBPyConnection

_OPTIONAL_TABLES = ("slot_template", "demand_forecast", "no_show_predictions")
#: The store table saying where each contract column of each table came from.
TABLE_FIELDS = "table_fields"


def store_path(store: str | os.PathLike[str]) -> Path:
    """The DuckDB file of ``store``: the path itself, or ``store/polyslot.duckdb`` for a folder.

    Raises
    ------
    DataError
        When there is no such file.
    """
    path = Path(store)
    if path.is_dir():
        path = path / STORE_FILE
    if not path.is_file():
        raise DataError(
            "store not found (expected a folder containing polyslot.duckdb or a .duckdb file; "
            "run `polyslot ingest` first)",
            source=str(path),
        )
    return path


def connect(store: str | os.PathLike[str], read_only: bool = True) -> Connection:
    """A DuckDB connection to the store (read-only by default); errors name the file."""
    path = store_path(store)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise DataError(f"cannot open the store ({msg})", source=str(path)) from None


def create_store(path: str | os.PathLike[str]) -> Connection:
    """A writable connection to a new store file at ``path`` that keeps rows in insertion order
    (ingestion and the Spark store builder write their store through it)."""
    con = duckdb.connect(str(path))
    con.execute("SET preserve_insertion_order = true")
    return con


def table_names(con: Connection) -> set[str]:
    """Names of the tables in the connected database."""
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def open_store(store: str | os.PathLike[str], need_attendances: bool = True) -> Connection:
    """Open the store read-only for estimation and check the tables and their columns.

    ``attendances`` may be absent when ``need_attendances`` is false (the aggregates then come
    from another engine); ``roster`` is optional (staffing is then inferred from consultations).
    """
    path = store_path(store)
    con = connect(path)
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    if need_attendances and not has_table(con, "attendances"):
        con.close()
        raise SchemaError(
            "missing table (run `polyslot ingest` first)", source=str(path), field="attendances"
        )
    for name in ("attendances", "roster", *_OPTIONAL_TABLES):
        if not has_table(con, name):
            continue
        cols = set(table_columns(con, name))
        for required in get_spec(name).required_names:
            if required not in cols:
                con.close()
                raise SchemaError(
                    f"table {name!r} lacks required column", source=str(path), field=required
                )
    return con


def has_table(con: Connection, name: str) -> bool:
    """Whether table ``name`` exists in the connected store."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows and rows[0][0])


def table_columns(con: Connection, name: str) -> list[str]:
    """Column names of table ``name`` in store order."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [r[0] for r in rows]


def write_table_fields(con: Connection, rows: list[tuple[str, str, str, str]]) -> None:
    """Create the ``table_fields`` table: ``(table_name, field, provenance, source)`` per
    contract column of each table ingested (provenance: source, pair, constant, row_number,
    derived or unknown; see :data:`polyslot.data.mapping.model.PROVENANCES`)."""
    con.execute(
        f"CREATE TABLE {TABLE_FIELDS} (table_name VARCHAR, field VARCHAR, provenance VARCHAR, "
        "source VARCHAR)"
    )
    if rows:
        con.executemany(f"INSERT INTO {TABLE_FIELDS} VALUES (?, ?, ?, ?)", rows)


def unknown_fields(con: Connection, table: str = "attendances") -> list[str]:
    """The contract columns of ``table`` unknown for every row (the export has none of them),
    in contract order; empty for a store written before ``table_fields`` existed."""
    if not has_table(con, TABLE_FIELDS):
        return []
    rows = con.execute(
        f"SELECT field FROM {TABLE_FIELDS} WHERE table_name = ? AND provenance = 'unknown'",
        [table],
    ).fetchall()
    found = {r[0] for r in rows}
    return [c for c in get_spec(table).column_names if c in found]
