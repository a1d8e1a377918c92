"""Quarantine and reconciliation: where rejected rows go, and the proof that none is lost.

Per table, the staging table ``_q_<table>`` in DuckDB holds every rejected row with its
``source_row``, ``reason``, ``detail`` and original fields as text. The store's combined
``quarantine`` table and ``quarantine.csv`` carry each rejected row's fields as one JSON
``record`` *without* ``patient_id`` (no patient identifier leaves polyslot in an output file).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from polyslot.data.rules.coerce import is_text_categorical, to_text
from polyslot.data.schema import MISSING_POLYCLINIC
from polyslot.data.store.files import Connection

__all__ = [
    "QUARANTINE_COLUMNS",
    "ALL_POLYCLINICS",
    "PRIVATE_COLUMNS",
    "count_read",
    "create_quarantine_table",
    "append_quarantine_records",
    "reconciliation_frame",
]

#: Columns of the store's combined ``quarantine`` table and of quarantine.csv.
QUARANTINE_COLUMNS: tuple[str, ...] = (
    "table_name",
    "source_row",
    "polyclinic_id",
    "record_id",
    "reason",
    "detail",
    "record",
)
#: Reconciliation key of tables that have no polyclinic_id column.
ALL_POLYCLINICS = "(all)"
#: Columns never written to an output file.
PRIVATE_COLUMNS: frozenset[str] = frozenset({"patient_id"})


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_read(counter: Counter, raw: pd.DataFrame) -> None:
    """Add the rows of ``raw`` to ``counter`` by polyclinic (as text; missing named)."""
    if "polyclinic_id" not in raw.columns:
        counter[ALL_POLYCLINICS] += len(raw)
        return
    col = raw["polyclinic_id"]
    if is_text_categorical(col):  # count the codes instead of decoding the text
        for k, n in col.value_counts(sort=False, dropna=False).items():
            if n:
                counter[MISSING_POLYCLINIC if pd.isna(k) else str(k)] += int(n)
        return
    key = to_text(col).fillna(MISSING_POLYCLINIC)
    counter.update(key.value_counts(sort=False).to_dict())


def create_quarantine_table(con: Connection) -> None:
    """Create the store's empty combined ``quarantine`` table.

    ``detail`` and ``record`` (long texts, each nearly unique) are stored uncompressed: FSST
    compression shrank them by about half but cost more than writing them.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS quarantine (table_name VARCHAR, source_row BIGINT, "
        "polyclinic_id VARCHAR, record_id VARCHAR, reason VARCHAR, "
        "detail VARCHAR USING COMPRESSION uncompressed, "
        "record VARCHAR USING COMPRESSION uncompressed)"
    )


def append_quarantine_records(
    con: Connection, table: str, staging: str, columns: tuple[str, ...]
) -> None:
    """Copy the staged rejected rows of ``table`` into the combined ``quarantine`` table."""
    public = [c for c in columns if c not in PRIVATE_COLUMNS]
    struct = ", ".join(f"{_q(c)} := {_q(c)}" for c in public) or "empty := NULL"
    pc = _q("polyclinic_id") if "polyclinic_id" in columns else "NULL"
    rid = _q("attendance_id") if "attendance_id" in columns else "NULL"
    con.execute(
        f"INSERT INTO quarantine SELECT '{table}', source_row, {pc}, {rid}, reason, detail, "
        f"CAST(to_json(struct_pack({struct})) AS VARCHAR) FROM {staging} ORDER BY source_row"
    )


def reconciliation_frame(
    table: str,
    read: Counter,
    accepted: dict[str, int],
    quarantined: dict[str, int],
    excluded: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Per-polyclinic reconciliation of one table; raises if a row went missing.

    Returns
    -------
    DataFrame
        Columns ``table_name, polyclinic_id, read, accepted, quarantined, excluded``, one row
        per polyclinic (sorted), with ``read == accepted + quarantined + excluded`` on every
        row (excluded: rows a mapping's ``exclude`` values leave out, never validated).
    """
    excluded = excluded or {}
    keys = sorted(set(read) | set(accepted) | set(quarantined) | set(excluded))
    df = pd.DataFrame(
        {
            "table_name": table,
            "polyclinic_id": keys,
            "read": [int(read.get(k, 0)) for k in keys],
            "accepted": [int(accepted.get(k, 0)) for k in keys],
            "quarantined": [int(quarantined.get(k, 0)) for k in keys],
            "excluded": [int(excluded.get(k, 0)) for k in keys],
        }
    )
    bad = df[df["read"] != df["accepted"] + df["quarantined"] + df["excluded"]]
    if len(bad):  # a bug, never bad input: fail loudly rather than lose rows silently
        row = bad.iloc[0]
        raise RuntimeError(
            f"reconciliation failed for {table} polyclinic {row['polyclinic_id']}: read "
            f"{row['read']} != accepted {row['accepted']} + quarantined {row['quarantined']}"
            f" + excluded {row['excluded']}"
        )
    return df
