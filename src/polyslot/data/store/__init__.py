"""The store: the DuckDB file written by ingestion, and the one owner of how it is read.

Every other layer opens the store and reads it through this package: :mod:`.files` (its file
names, opening or creating it, table checks), :mod:`.queries` (the time split, quarantine
counts, a polyclinic's history, visit sequences, history aggregates), :mod:`.completion` (the
reads of a store being completed at ingestion: activity behind an inferred roster, template
visit types unknown to the history) and :mod:`.table` (any table as a typed DataFrame).
Estimation's aggregate SQL reaches the store through :func:`open_store`.
"""

from polyslot.data.store.completion import (
    activity_minutes,
    half_day_activity,
    known_visit_types,
    unknown_template_visit_types,
    write_inferred_roster,
)
from polyslot.data.store.files import (
    MEMORY_LIMIT,
    STORE_FILE,
    TABLE_FIELDS,
    TRAINING_FILE,
    Connection,
    connect,
    create_store,
    has_table,
    open_store,
    store_path,
    table_columns,
    table_names,
    unknown_fields,
    write_table_fields,
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
    "TABLE_FIELDS",
    "TRAINING_FILE",
    "Connection",
    "Store",
    "activity_minutes",
    "connect",
    "create_store",
    "first_date",
    "has_table",
    "half_day_activity",
    "history_aggregates",
    "holdout_frames",
    "known_visit_types",
    "last_date",
    "normalise_frame",
    "open_store",
    "polyclinic_history",
    "quarantine_counts",
    "store_path",
    "table_columns",
    "table_names",
    "unknown_fields",
    "unknown_template_visit_types",
    "visit_sequences",
    "write_inferred_roster",
    "write_table_fields",
    "write_training_store",
]
