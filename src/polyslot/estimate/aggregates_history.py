"""The aggregates of what each polyclinic's history holds, and of its consulting doctors.

Part of the SQL of :mod:`polyslot.estimate.aggregates` (same two dialects, same exactness:
integer counts, DECIMAL sums):

* ``agg_history_fields``: per polyclinic x visit type, the rows, the rows with a value in
  each field of :data:`HISTORY_FIELDS` and the rows of each status;
* ``agg_day_times``: per polyclinic, date and 5-minute time of day (``m``), the rows and the
  booked rows (attended, no-show, cancelled) at the time they happened (:data:`WHEN`: the
  appointment, else the arrival, else the consultation start);
* ``agg_consult_doctors``: per polyclinic, date and hour, the doctors who started a
  consultation: distinct ``doctor_id``, or without doctor ids the consulting minutes started in
  the hour / 60 (rounded, at least 1): one physician seeing four patients an hour is one
  doctor, not four.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

    from polyslot.estimate.aggregates import Dialect

__all__ = ["BOOKED_STATUS", "HISTORY_AGGREGATES", "HISTORY_FIELDS", "WHEN", "history_sql"]

HISTORY_AGGREGATES = ("agg_consult_doctors", "agg_history_fields", "agg_day_times")
#: The time a row happened at: its appointment, else its arrival, else its consultation start
#: (a consultation log knows only the last).
WHEN = "coalesce(appointment_ts, arrival_ts, consult_start_ts)"
BOOKED_STATUS = "status IN ('attended', 'no_show', 'cancelled')"
#: The history fields whose presence estimation records (``agg_history_fields``).
HISTORY_FIELDS = (
    "booking_ts",
    "appointment_ts",
    "arrival_ts",
    "consult_start_ts",
    "consult_end_ts",
    "consultation_duration_minutes",
    "doctor_id",
)


def count_sql(expr: str = "*") -> str:
    """``count(expr)`` as BIGINT in both engines."""
    return f"CAST(count({expr}) AS BIGINT)"


def exact_sum(expr: str) -> str:
    """Exact DECIMAL sum of ``expr`` (see :func:`polyslot.estimate.aggregates.exact_sql`)."""
    return f"CAST(sum(CAST({expr} AS DECIMAL(18, 9))) AS DECIMAL(38, 9))"


def history_sql(d: Dialect, name: str, columns: Collection[str] | None = None) -> str:
    """The SQL of aggregate ``name`` (one of :data:`HISTORY_AGGREGATES`) in dialect ``d``;
    ``columns``: those of ``attendances`` when some field may be missing (a field absent
    from the table counts 0 values)."""
    if name == "agg_consult_doctors":
        ts = "consult_start_ts"
        # without doctor ids: the consulting minutes started in the hour / 60, at least 1
        busy = exact_sum("coalesce(consultation_duration_minutes, 0)")
        return (
            f"SELECT polyclinic_id, CAST({ts} AS DATE) AS d, "
            f"CAST({d.weekday(ts)} AS INTEGER) AS wd, CAST(hour({ts}) AS INTEGER) AS hour, "
            f"CAST(CASE WHEN count(doctor_id) > 0 THEN count(DISTINCT doctor_id) "
            f"ELSE greatest(1, round({busy} / 60)) END AS BIGINT) AS k "
            f"FROM attendances WHERE {ts} IS NOT NULL GROUP BY 1, 2, 3, 4"
        )
    if name == "agg_history_fields":
        known = "".join(
            f", {count_sql(c) if columns is None or c in columns else 'CAST(0 AS BIGINT)'} AS {c}"
            for c in HISTORY_FIELDS
        )
        statuses = "".join(
            f", {count_sql(f'CASE WHEN status = {v!r} THEN 1 END')} AS {v}"
            for v in ("attended", "no_show", "cancelled", "walk_in")
        )
        return (
            f"SELECT polyclinic_id, visit_type, {count_sql()} AS n{known}{statuses} "
            "FROM attendances GROUP BY 1, 2"
        )
    if name != "agg_day_times":
        raise ValueError(f"unknown aggregate {name!r}")
    minute = f"(hour({WHEN}) * 60 + minute({WHEN}))"
    return (
        f"SELECT polyclinic_id, CAST({WHEN} AS DATE) AS d, "
        f"CAST({d.weekday(WHEN)} AS INTEGER) AS wd, "
        f"CAST(floor({minute} / 5.0) * 5 AS INTEGER) AS m, {count_sql()} AS n, "
        f"{count_sql(f'CASE WHEN {BOOKED_STATUS} THEN 1 END')} AS booked "
        f"FROM attendances WHERE {WHEN} IS NOT NULL GROUP BY 1, 2, 3, 4"
    )
