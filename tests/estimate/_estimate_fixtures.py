"""Shared builders for the estimation tests (not collected: no test_ prefix)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

TABLES = ("attendances", "roster", "slot_template", "demand_forecast", "no_show_predictions")


def write_store(path: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write ``frames`` as tables of a real DuckDB file at ``path``."""
    con = duckdb.connect(str(path))
    try:
        for name, df in frames.items():
            con.register("frame_in", df)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame_in")
            con.unregister("frame_in")
    finally:
        con.close()
    return path
