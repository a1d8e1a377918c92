"""Every read of the store outside estimation: the time split, quarantine counts, a
polyclinic's history, patients' visit sequences and the daily aggregates of what history shows.

Estimation keeps its aggregate SQL (:mod:`polyslot.estimate.aggregates`, the definition DuckDB
and Spark share) and reaches the store through :func:`~polyslot.data.store.files.open_store`.

The time split: the most recent days (by :data:`EVENT_DATE` for attendances and ``date`` for
the roster) are removed from the training store, so estimation never sees the period the
templates are replayed on.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from polyslot.data.store.files import connect, store_path, table_names
from polyslot.errors import DataError

__all__ = [
    "EVENT_DATE",
    "first_date",
    "last_date",
    "write_training_store",
    "holdout_frames",
    "quarantine_counts",
    "polyclinic_history",
    "visit_sequences",
    "history_aggregates",
]

#: The date of an attendance row: of its appointment, else arrival, else consultation start (an
#: export without appointment and arrival times, such as a consultation log), else booking.
EVENT_DATE = "CAST(COALESCE(appointment_ts, arrival_ts, consult_start_ts, booking_ts) AS DATE)"
_EVENT_DATE_NO_CONSULT = "CAST(COALESCE(appointment_ts, arrival_ts, booking_ts) AS DATE)"


def _event_date(con: duckdb.DuckDBPyConnection, schema: str = "") -> str:
    """:data:`EVENT_DATE`, without ``consult_start_ts`` when the attendances lack that column
    (a store built by hand, or by an older polyslot)."""
    where = f" AND table_catalog = '{schema}'" if schema else ""
    found = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'attendances' "
        f"AND column_name = 'consult_start_ts'{where}"
    ).fetchall()[0][0]
    return EVENT_DATE if found else _EVENT_DATE_NO_CONSULT


def first_date(store: str | os.PathLike[str]) -> dt.date | None:
    """The first date with attendances in the store (None when it has none)."""
    with connect(store) as con:
        row = con.execute(f"SELECT min({_event_date(con)}) FROM attendances").fetchall()[0]
    return row[0]


def last_date(store: str | os.PathLike[str]) -> dt.date:
    """The last date with attendances in the store."""
    with connect(store) as con:
        row = con.execute(f"SELECT max({_event_date(con)}) FROM attendances").fetchall()[0]
    if row[0] is None:
        raise DataError("no attendances in the store", source=str(store), field="attendances")
    return row[0]


def write_training_store(
    store: str | os.PathLike[str],
    cutoff: dt.date,
    out: str | os.PathLike[str],
    tables: tuple[str, ...] | None = None,
) -> Path:
    """Copy ``store`` to ``out`` keeping only attendances and roster rows before ``cutoff``
    (and only ``tables``, when given)."""
    src = store_path(store)
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
                where = f" WHERE {_event_date(con, 'src')} < DATE '{cutoff.isoformat()}'"
            elif t == "roster":
                where = f" WHERE CAST(date AS DATE) < DATE '{cutoff.isoformat()}'"
            con.execute(f'CREATE TABLE "{t}" AS SELECT * FROM src."{t}"{where}')
        con.execute("DETACH src")
    tmp.replace(out)
    return out


def holdout_frames(
    store: str | os.PathLike[str], cutoff: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attendances and roster rows on or after ``cutoff`` (for historical replay)."""
    with connect(store) as con:
        event = _event_date(con)
        att = con.execute(f"SELECT * FROM attendances WHERE {event} >= ?", [cutoff]).df()
        ros = con.execute("SELECT * FROM roster WHERE CAST(date AS DATE) >= ?", [cutoff]).df()
    return att, ros


def quarantine_counts(store: str | os.PathLike[str]) -> dict[str, dict[str, int]]:
    """Quarantined rows per polyclinic and reason (``(missing)`` for no polyclinic)."""
    with connect(store) as con:
        rows = con.execute(
            "SELECT coalesce(polyclinic_id, '(missing)'), reason, count(*) FROM quarantine "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for pid, reason, n in rows:
        out.setdefault(str(pid), {})[str(reason)] = int(n)
    return out


def polyclinic_history(
    store: str | os.PathLike[str], polyclinic_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All attendances and roster rows of one polyclinic."""
    path = store_path(store)
    con = connect(path)
    try:
        att = con.execute(
            "SELECT * FROM attendances WHERE polyclinic_id = ?", [str(polyclinic_id)]
        ).df()
        ros = con.execute("SELECT * FROM roster WHERE polyclinic_id = ?", [str(polyclinic_id)]).df()
    except duckdb.Error as exc:
        raise DataError(
            f"cannot read tables attendances/roster ({exc})", source=str(path)
        ) from None
    finally:
        con.close()
    return att, ros


def visit_sequences(
    store: str | os.PathLike[str],
    fv_types: Sequence[str],
    rv_types: Sequence[str],
    polyclinic_id: str | None = None,
) -> tuple[str, dict[str, np.ndarray]]:
    """Each attended visit with the patient's next one: the input of capacity planning.

    Returns the store file and the columns ``is_fv``, ``is_rv`` (the visit's type is a first /
    revisit type), ``gap`` (days to the patient's next visit, NaN if none), ``next_rv`` (the
    next visit is a revisit) and ``to_end`` (days to the last visit date in the data).

    Raises
    ------
    DataError
        When the store cannot be opened or has no readable ``attendances`` table.
    """
    path = str(store_path(store))
    where = "AND polyclinic_id = ?" if polyclinic_id is not None else ""
    sql = f"""
        WITH v AS (
            SELECT patient_id, visit_type,
                   CAST(COALESCE(consult_start_ts, arrival_ts, appointment_ts) AS DATE) AS d
            FROM attendances
            WHERE status IN ('attended', 'walk_in') AND patient_id IS NOT NULL {where}
        ), n AS (
            SELECT visit_type, d,
                   LEAD(d) OVER w AS next_d, LEAD(visit_type) OVER w AS next_type
            FROM v WHERE d IS NOT NULL
            WINDOW w AS (PARTITION BY patient_id ORDER BY d, visit_type)
        )
        SELECT list_contains(?, visit_type) AS is_fv,
               list_contains(?, visit_type) AS is_rv,
               date_diff('day', d, next_d) AS gap,
               COALESCE(list_contains(?, next_type), FALSE) AS next_rv,
               date_diff('day', d, (SELECT max(d) FROM n)) AS to_end
        FROM n
    """
    params: list[Any] = [polyclinic_id] if polyclinic_id is not None else []
    params += [list(fv_types), list(rv_types), list(rv_types)]
    con = connect(path)
    try:
        rows = con.execute(sql, params).fetchnumpy()
    except duckdb.Error as exc:
        raise DataError(
            f"cannot read table attendances ({str(exc).splitlines()[0]})", source=path
        ) from None
    finally:
        con.close()
    gap = np.asarray(np.ma.filled(np.ma.asarray(rows["gap"], dtype=float), np.nan), dtype=float)
    return path, {
        "is_fv": np.asarray(rows["is_fv"], dtype=bool),
        "is_rv": np.asarray(rows["is_rv"], dtype=bool),
        "gap": gap,
        "next_rv": np.asarray(rows["next_rv"], dtype=bool),
        "to_end": np.asarray(rows["to_end"], dtype=float),
    }


_DAYS = """
SELECT polyclinic_id AS pid, CAST(consult_start_ts AS DATE) AS d,
       count(*) AS seen,
       sum(date_diff('second', arrival_ts, consult_start_ts)) / 60.0 AS wait_sum,
       quantile_cont(date_diff('second', arrival_ts, consult_start_ts) / 60.0, 0.9) AS wait_p90,
       count(arrival_ts) AS with_arrival,
       sum(consultation_duration_minutes) AS busy,
       max(hour(consult_end_ts) * 60 + minute(consult_end_ts) + second(consult_end_ts) / 60.0)
           AS last_end
FROM attendances
WHERE status IN ('attended', 'walk_in') AND consult_start_ts IS NOT NULL
  AND (arrival_ts IS NULL OR consult_start_ts >= arrival_ts) {where}
GROUP BY 1, 2
"""
_CANCEL = """
SELECT polyclinic_id AS pid, visit_type,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled, count(*) AS booked
FROM attendances
WHERE status IN ('attended', 'no_show', 'cancelled') AND appointment_ts IS NOT NULL {where}
GROUP BY 1, 2 ORDER BY 1, 2
"""


def history_aggregates(
    store: str | os.PathLike[str], before: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What history shows, for :mod:`polyslot.analysis.observed` (days before ``before``).

    Returns three frames: per polyclinic and day, the patients seen (``seen``), the sum and
    90th percentile of their waits (minutes; empty when the export has no arrival times) and
    how many of them have an arrival time (``with_arrival``), consultation minutes (``busy``)
    and the last consultation end (minute of the day); per polyclinic and visit type,
    ``cancelled`` and ``booked`` bookings; and the roster (empty with its columns when the
    store has none).
    """
    where_a = (
        f"AND CAST(coalesce(appointment_ts, arrival_ts, consult_start_ts) AS DATE) "
        f"< DATE '{before}'"
        if before
        else ""
    )
    with connect(store) as con:
        days = con.execute(_DAYS.format(where=where_a)).df()
        cancel = con.execute(_CANCEL.format(where=where_a)).df()
        tables = table_names(con)
        roster = (
            con.execute(
                "SELECT polyclinic_id, date, start_time, end_time, doctors FROM roster"
            ).df()
            if "roster" in tables
            else pd.DataFrame(
                columns=["polyclinic_id", "date", "start_time", "end_time", "doctors"]
            )
        )
    return days, cancel, roster
