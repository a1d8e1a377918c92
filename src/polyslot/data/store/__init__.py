"""The store: the DuckDB file written by ingestion, and the one owner of how it is read.

Every other layer opens the store and reads it through this package: :mod:`.files` (its file
names, opening it, table checks), :mod:`.queries` (the time split, quarantine counts, a
polyclinic's history, visit sequences) and :mod:`.table` (any table as a typed DataFrame).
Estimation's aggregate SQL reaches the store through :func:`open_store`.
"""

from polyslot.data.store.files import (
    MEMORY_LIMIT,
    STORE_FILE,
    TRAINING_FILE,
    Connection,
    connect,
    has_table,
    open_store,
    store_path,
    table_columns,
)
from polyslot.data.store.queries import (
    EVENT_DATE,
    first_date,
    history_aggregates,
    holdout_frames,
    last_date,
    polyclinic_history,
    quarantine_counts,
    visit_sequences,
    write_training_store,
)
from polyslot.data.store.table import Store, normalise_frame

__all__ = [
    "EVENT_DATE",
    "MEMORY_LIMIT",
    "STORE_FILE",
    "TRAINING_FILE",
    "Connection",
    "Store",
    "connect",
    "first_date",
    "has_table",
    "history_aggregates",
    "holdout_frames",
    "last_date",
    "normalise_frame",
    "open_store",
    "polyclinic_history",
    "quarantine_counts",
    "store_path",
    "table_columns",
    "visit_sequences",
    "write_training_store",
]
