"""Staff availability: doctors on duty per weekday x hour, and the doctor sessions of a week.

From ROSTER: the doctor-minutes of each roster period falling in each clock hour, divided by
60, summed per date and averaged over the staffed dates (dates with at least one doctor) of
that weekday. Without a roster: the number of distinct doctors who started a consultation in
that hour, averaged over the open dates of the weekday (a lower bound on doctors on duty).
"""

from __future__ import annotations

from polyslot.clinic_model import DoctorSession, HourlyValue
from polyslot.data.store import Connection
from polyslot.template import WEEKDAYS

__all__ = [
    "MINUTE_SQL",
    "roster_staffing",
    "inferred_staffing",
    "roster_sessions",
    "sessions_from_staffing",
]


def MINUTE_SQL(col: str) -> str:  # noqa: N802 - reads like a SQL macro
    """SQL expression turning an ``HH:MM`` column into minutes after midnight."""
    return (
        f"(CAST(split_part({col}, ':', 1) AS INTEGER) * 60 "
        f"+ CAST(split_part({col}, ':', 2) AS INTEGER))"
    )


def roster_staffing(con: Connection) -> dict[str, list[HourlyValue]]:
    """Mean doctors on duty per polyclinic x weekday x hour from the roster."""
    rows = con.execute(
        f"""
        WITH r AS (
            SELECT polyclinic_id, date, isodow(date) - 1 AS wd, doctors,
                   {MINUTE_SQL("start_time")} AS s, {MINUTE_SQL("end_time")} AS e
            FROM roster WHERE doctors > 0),
        days AS (SELECT polyclinic_id, wd, count(DISTINCT date) AS nd FROM r GROUP BY ALL),
        h AS (SELECT range AS hour FROM range(24)),
        per AS (
            SELECT polyclinic_id, wd, hour,
                   sum(doctors * greatest(0, least(e, hour * 60 + 60) - greatest(s, hour * 60)))
                       / 60.0 AS dm
            FROM r CROSS JOIN h GROUP BY ALL)
        SELECT per.polyclinic_id, per.wd, per.hour, per.dm / days.nd
        FROM per JOIN days USING (polyclinic_id, wd)
        WHERE per.dm > 0 ORDER BY 1, 2, 3
        """
    ).fetchall()
    out: dict[str, list[HourlyValue]] = {}
    for pc, wd, hour, v in rows:
        out.setdefault(pc, []).append(HourlyValue(int(wd), int(hour), round(float(v), 6)))
    return out


def inferred_staffing(con: Connection) -> dict[str, list[HourlyValue]]:
    """Mean distinct consulting doctors per polyclinic x weekday x hour (no roster)."""
    rows = con.execute(
        """
        WITH per AS (SELECT polyclinic_id, wd, hour, d, k FROM agg_consult_doctors),
        days AS (SELECT polyclinic_id, wd, count(DISTINCT d) AS nd FROM per GROUP BY ALL)
        SELECT per.polyclinic_id, per.wd, per.hour, sum(per.k) / any_value(days.nd)
        FROM per JOIN days USING (polyclinic_id, wd) GROUP BY ALL ORDER BY 1, 2, 3
        """
    ).fetchall()
    out: dict[str, list[HourlyValue]] = {}
    for pc, wd, hour, v in rows:
        out.setdefault(pc, []).append(HourlyValue(int(wd), int(hour), round(float(v), 6)))
    return out


def roster_sessions(con: Connection) -> dict[str, list[DoctorSession]]:
    """Doctor sessions of a typical week from the roster.

    For each weekday, a roster period (start, end) is typical when it appears on at least half
    of the staffed dates of that weekday; its modal number of doctors gives that many sessions
    named ``<Day>-<AM|PM>-D<k>`` (AM when the period starts before noon).
    """
    rows = con.execute(
        f"""
        WITH r AS (
            SELECT polyclinic_id, date, isodow(date) - 1 AS wd, doctors,
                   {MINUTE_SQL("start_time")} AS s, {MINUTE_SQL("end_time")} AS e
            FROM roster WHERE doctors > 0),
        days AS (SELECT polyclinic_id, wd, count(DISTINCT date) AS nd FROM r GROUP BY ALL),
        per AS (SELECT polyclinic_id, wd, s, e, doctors, count(*) AS c FROM r GROUP BY ALL),
        best AS (SELECT polyclinic_id, wd, s, e, arg_max(doctors, c * 100000 + doctors) AS doctors,
                        sum(c) AS c
                 FROM per GROUP BY ALL)
        SELECT best.polyclinic_id, best.wd, best.s, best.e, best.doctors
        FROM best JOIN days USING (polyclinic_id, wd)
        WHERE best.c >= 0.5 * days.nd ORDER BY 1, 2, 3
        """
    ).fetchall()
    out: dict[str, list[DoctorSession]] = {}
    for pc, wd, s, e, doctors in rows:
        part = "AM" if s < 720 else "PM"
        for k in range(int(doctors)):
            out.setdefault(pc, []).append(
                DoctorSession(int(wd), f"{WEEKDAYS[int(wd)]}-{part}-D{k + 1:02d}", int(s), int(e))
            )
    return out


def sessions_from_staffing(staffing: list[HourlyValue]) -> list[DoctorSession]:
    """Sessions from hourly staffing: each run of staffed hours of a weekday is a period with
    ``round(max doctors)`` sessions (used when neither roster nor template gives sessions)."""
    by_day: dict[int, dict[int, float]] = {}
    for h in staffing:
        if h.value > 0:
            by_day.setdefault(h.weekday, {})[h.hour] = h.value
    out: list[DoctorSession] = []
    for wd, hours in sorted(by_day.items()):
        run: list[int] = []
        for hour in [*sorted(hours), 99]:
            if run and hour != run[-1] + 1:
                s, e = run[0] * 60, run[-1] * 60 + 60
                part = "AM" if s < 720 else "PM"
                for k in range(max(1, round(max(hours[x] for x in run)))):
                    out.append(
                        DoctorSession(wd, f"{WEEKDAYS[wd]}-{part}-D{k + 1:02d}-{s // 60:02d}", s, e)
                    )
                run = []
            run.append(hour)
    return out
