"""Any table of the store as a DataFrame with polyslot's dtypes (:class:`Store`).

The store is the DuckDB file written by ``polyslot ingest``: ``DIR/polyslot.duckdb``.

Tables: ``attendances``, ``roster``, ``slot_template``, ``demand_forecast``,
``no_show_predictions`` (the optional ones only when supplied), ``quarantine`` and
``reconciliation``. Each data table starts with ``source_row`` (1-based row in its source).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from polyslot.data.schema import TABLES
from polyslot.data.store.files import Connection, connect, store_path
from polyslot.errors import DataError

__all__ = ["Store", "normalise_frame"]


def normalise_frame(df: pd.DataFrame, table: str | None = None) -> pd.DataFrame:
    """Give a frame read from DuckDB polyslot's in-memory dtypes.

    Strings become ``object`` (None for empty), timestamps and dates ``datetime64[ns]``,
    contract integer columns ``int64`` (``Int64`` if they hold nulls), doubles ``float64``.
    """
    spec = TABLES.get(table) if table else None
    out = df.copy()
    for col in out.columns:
        s = out[col]
        kind = spec.column(col).kind if spec and col in spec.column_names else None
        if pd.api.types.is_datetime64_any_dtype(s.dtype) or kind in ("timestamp", "date"):
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                s = s.dt.tz_localize(None)
            out[col] = pd.to_datetime(s).astype("datetime64[ns]")
        elif kind in ("int", "weekday") or col == "source_row":
            out[col] = s.astype("Int64") if s.isna().any() else s.astype("int64")
        elif isinstance(s.dtype, pd.StringDtype):
            out[col] = s.astype(object).where(s.notna(), None)
    return out


class Store:
    """Read access to a polyslot DuckDB store.

    Parameters
    ----------
    path : path-like
        The ``polyslot.duckdb`` file or the folder holding it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path: Path = store_path(path)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def connect(self, read_only: bool = True) -> Connection:
        """Open a DuckDB connection to the store (read-only by default)."""
        return connect(self.path, read_only=read_only)

    def tables(self) -> tuple[str, ...]:
        """Names of the tables in the store."""
        con = self.connect()
        try:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        finally:
            con.close()
        return tuple(r[0] for r in rows)

    def has(self, name: str) -> bool:
        """Whether table ``name`` is in the store."""
        return name in self.tables()

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a DataFrame (rows in source order)."""
        if not self.has(name):
            raise DataError(
                f"no table {name!r} in the store; found {', '.join(self.tables())}",
                source=str(self.path),
            )
        con = self.connect()
        try:
            cols = {r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
            order = " ORDER BY source_row" if "source_row" in cols else ""
            if name == "quarantine":
                order = " ORDER BY table_name, source_row"
            df = con.execute(f'SELECT * FROM "{name}"{order}').df()
        finally:
            con.close()
        return normalise_frame(df, name)
