"""Put the estimation aggregates into the estimation connection: computed there, or loaded.

:func:`compute_aggregates` runs the SQL of :mod:`polyslot.estimate.aggregates` in DuckDB over
the store's ``attendances``; :func:`load_aggregates` reads the same tables written as Parquet by
another engine (Spark) together with their ``scope.json``. Either way every ``agg_*`` table
becomes a TEMP table of the connection, sorted on all its columns, so what estimation reads
does not depend on where or how it was computed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from polyslot.data.store import Connection, has_table
from polyslot.errors import DataError
from polyslot.estimate.aggregates import (
    AGGREGATES,
    DUCKDB,
    PREDICTION_AGGREGATES,
    BookingScope,
    aggregate_sql,
    booking_scope,
    extra_candidates,
    scalar_sql,
)
from polyslot.estimate.config import EstimateConfig

__all__ = [
    "SCOPE_FILE",
    "compute_aggregates",
    "load_aggregates",
    "scope_to_dict",
    "scope_from_dict",
]

SCOPE_FILE = "scope.json"


def scope_to_dict(scope: BookingScope) -> dict:
    """JSON-ready form of ``scope``."""
    return {
        "cutoff": scope.cutoff.isoformat(sep=" ") if scope.cutoff else None,
        "sample_fraction": scope.sample_fraction,
        "extras": list(scope.extras),
        "seed": scope.seed,
        "lead_time": scope.lead_time,
    }


def scope_from_dict(data: dict) -> BookingScope:
    """Inverse of :func:`scope_to_dict`."""
    cutoff = data.get("cutoff")
    return BookingScope(
        dt.datetime.fromisoformat(cutoff) if cutoff else None,
        float(data["sample_fraction"]),
        tuple(data.get("extras", ())),
        int(data["seed"]),
        bool(data.get("lead_time", True)),
    )


def _materialise(con: Connection, name: str, select: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM ({select}) ORDER BY ALL")


def compute_aggregates(con: Connection, config: EstimateConfig) -> BookingScope:
    """Compute every aggregate from the connection's ``attendances`` (DuckDB dialect)."""
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'attendances' ORDER BY ordinal_position"
    ).fetchall()
    candidates = extra_candidates(cols)
    frame = con.execute(scalar_sql(DUCKDB, candidates)).df()
    scope = booking_scope(frame.iloc[0].to_dict(), candidates, config)
    names = AGGREGATES + (PREDICTION_AGGREGATES if has_table(con, "no_show_predictions") else ())
    for name in names:
        sql = aggregate_sql(DUCKDB, name, config, scope, [c for c, _ in cols])
        _materialise(con, name, sql)
    return scope


def load_aggregates(con: Connection, folder: str | Path) -> BookingScope:
    """Load ``folder/<agg_name>/*.parquet`` and ``folder/scope.json`` written by another engine.

    Raises
    ------
    DataError
        When ``scope.json`` or a required aggregate is missing.
    """
    folder = Path(folder)
    scope_path = folder / SCOPE_FILE
    if not scope_path.is_file():
        raise DataError("aggregates folder lacks scope.json", source=str(folder))
    scope = scope_from_dict(json.loads(scope_path.read_text()))
    for name in AGGREGATES + PREDICTION_AGGREGATES:
        path = folder / name
        if not path.is_dir():
            if name in PREDICTION_AGGREGATES:
                continue
            raise DataError("missing aggregate", source=str(folder), field=name)
        _materialise(con, name, f"SELECT * FROM read_parquet('{(path / '*.parquet').as_posix()}')")
    return scope
