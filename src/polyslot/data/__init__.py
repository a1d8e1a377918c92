"""The data layer: read, validate and quarantine the input tables; the DuckDB store.

See docs/data.md for the data contract, the reason codes and the store layout.
"""

from __future__ import annotations

from polyslot.data.ingest import IngestSummary, ingest
from polyslot.data.loaders import (
    LoadResult,
    load_attendances,
    load_demand_forecast,
    load_no_show_predictions,
    load_roster,
    load_slot_template,
    load_table_source,
)
from polyslot.data.schema import REASONS, STATUSES, TABLE_NAMES, TABLES, ColumnSpec, TableSpec
from polyslot.data.stage import TableCounts
from polyslot.data.store import Store

__all__ = [
    "ColumnSpec",
    "IngestSummary",
    "LoadResult",
    "REASONS",
    "STATUSES",
    "Store",
    "TABLES",
    "TABLE_NAMES",
    "TableCounts",
    "TableSpec",
    "ingest",
    "load_attendances",
    "load_demand_forecast",
    "load_no_show_predictions",
    "load_roster",
    "load_slot_template",
    "load_table_source",
]
