"""Reads of a store being completed at ingestion (its data tables loaded, not yet closed).

Both engines end ingestion with :func:`polyslot.data.ingest.complete_store` on the open
connection: the template's visit types are checked against the history
(:mod:`polyslot.data.completion.template_check`) and, when no roster was supplied, one is
inferred from consultation activity (:mod:`polyslot.data.completion.roster`). Their SQL lives
here; those modules keep the rules.
"""

from __future__ import annotations

import pandas as pd

from polyslot.data.store.files import Connection
from polyslot.template import ANY_VISIT_TYPE

__all__ = [
    "ACTIVITY",
    "FACILITY_TABLES",
    "activity_minutes",
    "half_day_activity",
    "busy_when_called",
    "write_facility",
    "facility_limits",
    "write_inferred_roster",
    "unknown_template_visit_types",
    "known_visit_types",
]

#: The store tables of a facility table (one row per polyclinic; one per open interval).
FACILITY_TABLES = ("facility", "facility_hours")
#: The time of an attendance's activity: its appointment, else consultation start, else arrival.
ACTIVITY = "coalesce(appointment_ts, consult_start_ts, arrival_ts)"


def _minute(col: str) -> str:
    return f"(hour({col}) * 60 + minute({col}))"


def activity_minutes(con: Connection) -> pd.DataFrame:
    """The minutes of the day that hold activity (cancelled rows aside).

    One row per polyclinic ``pc``, date ``d``, weekday ``wd`` (0 = Monday) and minute ``m``;
    ``booked`` when any of its rows has an appointment time.
    """
    return con.execute(
        f"""SELECT polyclinic_id AS pc, CAST({ACTIVITY} AS DATE) AS d,
                   isodow(CAST({ACTIVITY} AS DATE)) - 1 AS wd,
                   {_minute(ACTIVITY)} AS m, bool_or(appointment_ts IS NOT NULL) AS booked
            FROM attendances
            WHERE {ACTIVITY} IS NOT NULL AND status <> 'cancelled'
            GROUP BY ALL ORDER BY ALL"""
    ).df()


def half_day_activity(con: Connection, splits: pd.DataFrame, overlap_grace: int) -> pd.DataFrame:
    """Activity per polyclinic, date and half-day.

    ``splits`` has one row per polyclinic ``pc`` and weekday ``wd`` with the minute ``split``
    at which the afternoon begins. Columns: ``pc``, ``d``, ``wd``, ``half`` (0 morning, 1
    afternoon), ``nid`` (distinct doctor ids), ``first_b`` / ``last_b`` (first and last
    appointment minute), ``first_c`` / ``last_c`` (first consultation start, last consultation
    end) and ``nc``: the most consultations running at once, overlaps shorter than
    ``overlap_grace`` minutes ignored.
    """
    con.register("_roster_splits", splits)
    try:
        return con.execute(
            f"""
            WITH a AS (
                SELECT att.polyclinic_id AS pc, CAST({ACTIVITY} AS DATE) AS d,
                       isodow(CAST({ACTIVITY} AS DATE)) - 1 AS wd, {_minute(ACTIVITY)} AS m,
                       appointment_ts IS NOT NULL AS booked, doctor_id,
                       consult_start_ts, consult_end_ts
                FROM attendances att
                WHERE {ACTIVITY} IS NOT NULL AND status <> 'cancelled'),
            h AS (SELECT a.*, CASE WHEN a.m < s.split THEN 0 ELSE 1 END AS half
                  FROM a JOIN _roster_splits s ON s.pc = a.pc AND s.wd = a.wd),
            ev AS (SELECT pc, d, half, consult_start_ts AS ts, 1 AS delta FROM h
                   WHERE consult_end_ts > consult_start_ts + INTERVAL {overlap_grace} MINUTE
                   UNION ALL
                   SELECT pc, d, half, consult_end_ts - INTERVAL {overlap_grace} MINUTE, -1
                   FROM h
                   WHERE consult_end_ts > consult_start_ts + INTERVAL {overlap_grace} MINUTE),
            conc AS (SELECT pc, d, half, max(run) AS nc FROM (
                        SELECT pc, d, half, sum(delta) OVER (
                            PARTITION BY pc, d, half ORDER BY ts, delta
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
                        FROM ev) GROUP BY ALL),
            day AS (SELECT pc, d, any_value(wd) AS wd, half,
                           count(DISTINCT doctor_id) AS nid,
                           min(m) FILTER (WHERE booked) AS first_b,
                           max(m) FILTER (WHERE booked) AS last_b,
                           min({_minute("consult_start_ts")}) AS first_c,
                           max({_minute("consult_end_ts")}) AS last_c
                    FROM h GROUP BY pc, d, half)
            SELECT day.*, coalesce(conc.nc, 0) AS nc
            FROM day LEFT JOIN conc USING (pc, d, half) ORDER BY pc, d, half
            """
        ).df()
    finally:
        con.unregister("_roster_splits")


def busy_when_called(con: Connection, splits: pd.DataFrame, wait_minutes: int) -> pd.DataFrame:
    """Per polyclinic, date and half-day with a queue: the most consultations running when a
    waiting patient was called.

    A patient *waited* when they arrived after the half-day's first consultation had started
    and were called ``wait_minutes`` or more after arriving; at the moment they were called,
    every doctor present was busy (or had just finished: a consultation ending at that very
    moment counts). Columns ``pc``, ``d``, ``half`` (as :func:`half_day_activity`) and
    ``busy``; half-days without such a patient (or without arrival times) are absent.
    """
    con.register("_roster_splits", splits)
    try:
        return con.execute(
            f"""
            WITH s AS (
                SELECT polyclinic_id AS pc, CAST({ACTIVITY} AS DATE) AS d,
                       isodow(CAST({ACTIVITY} AS DATE)) - 1 AS wd, {_minute(ACTIVITY)} AS m,
                       consult_start_ts AS st, consult_end_ts AS en, arrival_ts AS ar
                FROM attendances
                WHERE consult_start_ts IS NOT NULL AND consult_end_ts IS NOT NULL
                  AND status <> 'cancelled'),
            h AS (SELECT s.*, CASE WHEN s.m < sp.split THEN 0 ELSE 1 END AS half
                  FROM s JOIN _roster_splits sp ON sp.pc = s.pc AND sp.wd = s.wd),
            f AS (SELECT pc, d, half, min(st) AS first_start FROM h GROUP BY ALL),
            called AS (
                SELECT DISTINCT h.pc, h.d, h.half, h.st AS t FROM h JOIN f USING (pc, d, half)
                WHERE h.ar IS NOT NULL AND h.ar >= f.first_start
                  AND h.st >= h.ar + INTERVAL {int(wait_minutes)} MINUTE),
            busy AS (
                SELECT c.pc, c.d, c.half, c.t, count(*) AS n
                FROM called c JOIN s ON s.pc = c.pc AND s.d = c.d AND s.st < c.t AND s.en >= c.t
                GROUP BY ALL)
            SELECT pc, d, half, max(n) AS busy FROM busy GROUP BY ALL ORDER BY ALL
            """
        ).df()
    finally:
        con.unregister("_roster_splits")


def write_facility(con: Connection, facility: pd.DataFrame, hours: pd.DataFrame) -> None:
    """Create ``facility`` (``polyclinic_id``, ``doctors``, ``opening_hours`` as written) and
    ``facility_hours`` (``polyclinic_id``, ``weekday`` 0 = Mon, ``start_time``, ``end_time``)."""
    con.register("_facility", facility)
    con.register("_facility_hours", hours)
    try:
        con.execute(
            "CREATE TABLE facility AS SELECT CAST(polyclinic_id AS VARCHAR) AS polyclinic_id, "
            "CAST(doctors AS INTEGER) AS doctors, CAST(opening_hours AS VARCHAR) AS opening_hours "
            "FROM _facility ORDER BY polyclinic_id"
        )
        con.execute(
            "CREATE TABLE facility_hours AS SELECT CAST(polyclinic_id AS VARCHAR) AS "
            "polyclinic_id, CAST(weekday AS INTEGER) AS weekday, CAST(start_time AS VARCHAR) AS "
            "start_time, CAST(end_time AS VARCHAR) AS end_time FROM _facility_hours "
            "ORDER BY polyclinic_id, weekday, start_time"
        )
    finally:
        con.unregister("_facility")
        con.unregister("_facility_hours")


def facility_limits(con: Connection) -> tuple[dict[str, int], pd.DataFrame]:
    """The facility's doctors at most per polyclinic, and its open intervals (``pc``, ``wd``,
    ``s``, ``e`` in minutes after midnight); empty when the store has no facility table."""
    names = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if not set(FACILITY_TABLES) <= names:
        return {}, pd.DataFrame(columns=["pc", "wd", "s", "e"])
    doctors = dict(
        con.execute(
            "SELECT polyclinic_id, doctors FROM facility WHERE doctors IS NOT NULL"
        ).fetchall()
    )
    hours = con.execute(
        f"SELECT polyclinic_id AS pc, weekday AS wd, {_clock('start_time')} AS s, "
        f"{_clock('end_time')} AS e FROM facility_hours ORDER BY ALL"
    ).df()
    return {str(k): int(v) for k, v in doctors.items()}, hours


def _clock(col: str) -> str:
    return (
        f"(CAST(split_part({col}, ':', 1) AS INTEGER) * 60 "
        f"+ CAST(split_part({col}, ':', 2) AS INTEGER))"
    )


def write_inferred_roster(
    con: Connection, frame: pd.DataFrame, table: str, evidence_column: str
) -> None:
    """Create roster table ``table`` from ``frame`` (the roster columns, ``source_row`` first,
    then ``evidence_column``), typed like a supplied roster."""
    con.register("_inferred_roster", frame)
    try:
        con.execute(
            f"""CREATE TABLE "{table}" AS SELECT CAST(source_row AS BIGINT) AS source_row,
                       polyclinic_id, CAST(date AS DATE) AS date, start_time, end_time,
                       CAST(doctors AS INTEGER) AS doctors, {evidence_column}
                FROM _inferred_roster"""
        )
    finally:
        con.unregister("_inferred_roster")


def unknown_template_visit_types(con: Connection) -> list[str]:
    """The reserved visit types of ``slot_template`` that never occur in ``attendances``.

    Empty and ``any`` (any case) are unreserved and never listed; a template without a
    ``visit_type`` column has none.
    """
    cols = {r[0] for r in con.execute("DESCRIBE slot_template").fetchall()}
    if "visit_type" not in cols:
        return []
    return [
        r[0]
        for r in con.execute(
            """SELECT DISTINCT trim(t.visit_type) AS v FROM slot_template t
               WHERE t.visit_type IS NOT NULL AND trim(t.visit_type) <> ''
                 AND lower(trim(t.visit_type)) <> ?
                 AND trim(t.visit_type) NOT IN (
                     SELECT DISTINCT visit_type FROM attendances WHERE visit_type IS NOT NULL)
               ORDER BY v""",
            [ANY_VISIT_TYPE],
        ).fetchall()
    ]


def known_visit_types(con: Connection) -> list[str]:
    """The visit types of ``attendances``, sorted."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT visit_type FROM attendances WHERE visit_type IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
