"""The current slot template of each polyclinic.

Given SLOT_TEMPLATE, it is taken as is (a row with ``count = c`` and no doctor session becomes
``c`` parallel slots in sessions ``<Day>-S<k>``; an empty or ``any`` visit type is an
unreserved slot, :data:`polyslot.template.ANY_VISIT_TYPE`). Otherwise it is inferred from the
bookings of the most recent ``template_weeks`` weeks up to the last fully booked day
(attended, no-show and cancelled: a cancelled booking held a slot too),
leaving out partly booked days (fewer than half the median bookings of their weekday):

* **grid**: per weekday and appointment time, ``k`` parallel slots exist when at least ``k``
  bookings (all visit types together) were made at that exact time on at least
  ``template_min_share`` of the open days of that weekday, so slots left empty on most days
  still count;
* **capped by the doctors on duty**: the slots go into at most as many doctor sessions as the
  roster (supplied or inferred) has doctors on duty at that time on that weekday (its most
  over the dates), whatever the mix of visit types; more slots than doctors at one time are
  double bookings inside those sessions (e.g. two or three patients at a session's start);
* **visit type**: per visit type, ``high`` = the bookings of that type at that time reached
  on at least ``template_min_share`` of the open days, ``low`` = reached on at least half
  of them (``LOW_SHARE``). Reserved slots never hold more than their number, so
  when the ``high`` of all visit types fit in the ``k`` slots each type reserves its
  ``high``; when they do not (visit types share the slots, e.g. a one-doctor clinic booking
  any visit into any slot), each reserves only its ``low`` (what it holds on most days).
  The remaining slots are unreserved (``any``);
* **length**: the modal gap between consecutive appointment times of the same doctor on the
  same day after an appointment of that visit type (for an unreserved slot, after any
  appointment), or, without doctor ids, the mean consultation time rounded up to 5 minutes;
* **sessions**: the slots of a weekday are put, in time order, into the doctor session
  ``<Day>-<AM|PM>-D<k>`` that is free soonest (AM before noon).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from polyslot.data.store import Connection, has_table, table_columns
from polyslot.estimate.staffing import MINUTE_SQL
from polyslot.template import (
    ANY_VISIT_TYPE,
    WEEKDAYS,
    Slot,
    SlotTemplate,
    normalise_visit_type,
)

__all__ = ["given_templates", "inferred_templates", "on_grid_shares", "recent_bookings"]

#: Shared slots: a visit type reserves the bookings it holds on at least this share of days.
LOW_SHARE = 0.5


def given_templates(con: Connection) -> dict[str, SlotTemplate]:
    """Templates from the ``slot_template`` table, per polyclinic (empty dict if absent)."""
    if not has_table(con, "slot_template"):
        return {}
    cols = set(table_columns(con, "slot_template"))
    sess = "doctor_session" if "doctor_session" in cols else "NULL"
    cnt = "coalesce(count, 1)" if "count" in cols else "1"
    vtype = "visit_type" if "visit_type" in cols else "NULL"
    rows = con.execute(
        f"""SELECT polyclinic_id, weekday, {MINUTE_SQL("start_time")}, duration_minutes,
                   {vtype}, {sess}, {cnt}
            FROM slot_template ORDER BY 1, 2, 3"""
    ).fetchall()
    slots: dict[str, list[Slot]] = {}
    for pc, wd, start, dur, vt, ds, c in rows:
        for k in range(int(c)):
            sid = ds if ds is not None and int(c) == 1 else f"{WEEKDAYS[int(wd)]}-S{k + 1:02d}"
            if ds is not None and int(c) > 1:
                sid = f"{ds}-{k + 1}"
            slots.setdefault(pc, []).append(
                Slot(int(wd), int(start), int(dur), normalise_visit_type(vt), sid)
            )
    return {pc: SlotTemplate(pc, tuple(s), 60, "current") for pc, s in slots.items()}


def _durations(con: Connection) -> dict[tuple[str, str], int]:
    gaps = con.execute(
        # the most frequent gap; ties go to the shorter gap
        "SELECT polyclinic_id, visit_type, arg_max(gap, n * 100000 - gap) FROM agg_gaps "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    out = {(pc, vt): int(g) for pc, vt, g in gaps}
    for pc, g in con.execute(
        "SELECT polyclinic_id, arg_max(gap, n * 100000 - gap) FROM "
        "(SELECT polyclinic_id, gap, sum(n) AS n FROM agg_gaps GROUP BY ALL) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        out[(pc, ANY_VISIT_TYPE)] = int(g)
    for pc, vt, m in con.execute(
        "SELECT polyclinic_id, visit_type, CAST(s1 AS DOUBLE) / n FROM agg_duration_moments "
        "ORDER BY ALL"
    ).fetchall():
        out.setdefault((pc, vt), max(5, int(math.ceil(m / 5.0)) * 5))
    for pc, m in con.execute(
        "SELECT polyclinic_id, CAST(sum(s1) AS DOUBLE) / sum(n) FROM agg_duration_moments "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        out.setdefault((pc, ANY_VISIT_TYPE), max(5, int(math.ceil(m / 5.0)) * 5))
    return out


def _doctor_caps(con: Connection, since: dict[str, object]) -> dict:
    """``{(polyclinic, weekday): {minute: most doctors on duty}}`` from the roster."""
    if not has_table(con, "roster"):
        return {}
    rows = con.execute(
        f"""SELECT polyclinic_id, CAST(date AS DATE), isodow(CAST(date AS DATE)) - 1,
                   {MINUTE_SQL("start_time")}, {MINUTE_SQL("end_time")}, doctors
            FROM roster WHERE doctors > 0 ORDER BY ALL"""
    ).fetchall()
    days: dict[tuple, list[tuple[int, int, int]]] = {}
    for pc, d, wd, s, e, n in rows:
        if pc in since and d >= since[pc]:
            days.setdefault((pc, int(wd), d), []).append((int(s), int(e), int(n)))
    per: dict[tuple, list[list[tuple[int, int, int]]]] = {}
    for (pc, wd, _d), periods in days.items():
        per.setdefault((pc, wd), []).append(periods)
    return {key: _CapLookup(dates) for key, dates in per.items()}


class _CapLookup(dict):
    """Most doctors on duty at a minute over the dates, computed on demand."""

    def __init__(self, dates: list[list[tuple[int, int, int]]]) -> None:
        super().__init__()
        self.dates = dates

    def __missing__(self, minute: int) -> float:
        value = float(max(sum(n for s, e, n in p if s <= minute < e) for p in self.dates))
        self[minute] = value
        return value


def _assign_sessions(
    wd: int, times: list[tuple[int, list[str]]], durations: dict[str, int], limit: dict[str, int]
) -> list[Slot]:
    """Slots of one weekday, each put in the doctor session (``<Day>-<AM|PM>-D<k>``) free
    soonest: the first session free at its time, else a new one while the half-day has fewer
    than ``limit[part]`` sessions, else the one that frees first (a double booking)."""
    free: dict[tuple[str, int], int] = {}
    out = []
    for m, vts in times:
        part = "AM" if m < 720 else "PM"
        for vt in vts:
            names = sorted(k for k in free if k[0] == part)
            ready = [k for k in names if free[k] <= m]
            if ready:
                key = ready[0]
            elif len(names) < max(1, limit.get(part, 1)):
                key = (part, len(names) + 1)
            else:
                key = min(names, key=lambda k: (free[k], k[1]))
            dur = durations[vt]
            free[key] = max(free.get(key, 0), m) + dur
            out.append(Slot(wd, m, dur, vt, f"{WEEKDAYS[wd]}-{part}-D{key[1]:02d}"))
    return out


def _visit_types(k: int, per_type: pd.DataFrame, nd: int, min_share: float) -> list[str]:
    """Visit types of the ``k`` parallel slots at one time (rule in the module docstring).

    ``per_type`` holds the bookings ``n`` per visit type ``vt`` and day ``d`` at that time.
    """
    high: dict[str, int] = {}
    low: dict[str, int] = {}
    for vt, g in per_type.groupby("vt", sort=True):
        counts = np.sort(np.concatenate([g["n"].to_numpy(int), np.zeros(nd, int)]))[::-1]
        high[str(vt)] = int(counts[max(1, math.ceil(min_share * nd)) - 1])
        low[str(vt)] = int(counts[max(1, math.ceil(LOW_SHARE * nd)) - 1])
    reserve = high if sum(high.values()) <= k else low
    out: list[str] = []
    for vt, n in sorted(reserve.items(), key=lambda x: (-x[1], x[0])):
        out.extend([vt] * min(n, k - len(out)))
    return out + [ANY_VISIT_TYPE] * (k - len(out))


def _typical_days(frame: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """The rows of the ``weeks`` weeks up to the last fully booked day, without partly booked
    days (fewer than half the median bookings of their weekday: e.g. future days booked only
    by early bookers, half-day closures)."""
    total = frame.groupby(["pc", "wd", "d"], as_index=False)["n"].sum()
    med = total.groupby("pc")["n"].transform("median")
    end = total[total["n"] >= 0.5 * med].groupby("pc")["d"].max()
    total = total[total["d"] <= total["pc"].map(end)]
    total = total[total["d"] > total["pc"].map(end) - pd.Timedelta(days=7 * weeks)]
    wd_med = total.groupby(["pc", "wd"])["n"].transform("median")
    keep = total[total["n"] >= 0.5 * wd_med][["pc", "d"]]
    return frame.merge(keep, on=["pc", "d"], how="inner")


def recent_bookings(con: Connection, weeks: int = 12) -> pd.DataFrame:
    """Bookings per polyclinic (``pc``), weekday, appointment minute, visit type and date
    (``n``) of the typical days of the most recent ``weeks`` weeks (what a template is
    inferred from)."""
    frame = con.execute(
        "SELECT polyclinic_id AS pc, wd, m, visit_type AS vt, d, c FROM agg_slot_days ORDER BY ALL"
    ).df()
    if frame.empty:
        return frame.assign(n=frame["c"])
    frame["d"] = pd.to_datetime(frame["d"])
    frame["n"] = frame["c"]
    return _typical_days(frame, weeks)


def on_grid_shares(
    frame: pd.DataFrame, templates: dict[str, SlotTemplate]
) -> dict[tuple[str, int], float]:
    """``{(polyclinic, weekday): share of its recent bookings made at a slot time of its
    inferred template}``: near 1 when appointment times are a slot grid, low when they are
    scattered over the minutes (e.g. consultation starts read as appointments)."""
    times = {(pc, s.weekday, s.start_minute) for pc, t in templates.items() for s in t.slots}
    if frame.empty:
        return {}
    hit = [
        (pc, int(wd), int(m)) in times
        for pc, wd, m in zip(frame["pc"], frame["wd"], frame["m"], strict=True)
    ]
    g = frame.assign(hit=np.asarray(hit, bool) * frame["n"]).groupby(["pc", "wd"])
    share = g["hit"].sum() / g["n"].sum()
    return {(str(pc), int(wd)): float(v) for (pc, wd), v in share.items()}


def inferred_templates(
    con: Connection, min_share: float, weeks: int = 12, frame: pd.DataFrame | None = None
) -> dict[str, SlotTemplate]:
    """Templates inferred from booked appointment times (rule in the module docstring);
    ``frame``: :func:`recent_bookings` when already read."""
    frame = recent_bookings(con, weeks) if frame is None else frame
    if frame.empty:
        return {}
    since = {pc: g["d"].min().date() for pc, g in frame.groupby("pc")}
    caps = _doctor_caps(con, since)
    durations = _durations(con)
    # per day and time: the bookings that held a slot (a cancelled one too: it held one)
    day = frame.groupby(["pc", "wd", "m", "d"], sort=True).agg(n=("n", "sum"))
    day = day.reset_index()
    open_days = day.groupby(["pc", "wd"])["d"].nunique()
    by_time = frame.groupby(["pc", "wd", "m"], sort=True)
    out: dict[str, list[Slot]] = {}
    for (pc, wd), g in day.groupby(["pc", "wd"], sort=True):
        nd = int(open_days[(pc, wd)])
        need = max(1, int(math.ceil(min_share * nd)))
        cap = caps.get((pc, int(wd)))
        times = []
        limit: dict[str, int] = {}  # sessions per half-day: the most doctors needed at once
        for m, gm in g.groupby("m", sort=True):
            counts = np.sort(np.concatenate([gm["n"].to_numpy(int), np.zeros(nd, int)]))[::-1]
            k = int(counts[need - 1])
            if k <= 0:
                continue
            per_type = by_time.get_group((pc, wd, m))
            times.append((int(m), _visit_types(k, per_type, nd, min_share)))
            part = "AM" if m < 720 else "PM"
            doctors = k if cap is None else min(k, max(1, int(round(cap[int(m)]))))
            limit[part] = max(limit.get(part, 0), doctors)
        dur = _any_durations(durations, pc)
        out.setdefault(str(pc), []).extend(_assign_sessions(int(wd), times, dur, limit))
    return {pc: SlotTemplate(pc, tuple(s), 60, "current") for pc, s in out.items() if s}


def _any_durations(durations: dict[tuple[str, str], int], pc: str) -> dict[str, int]:
    """Slot length per visit type of ``pc``; an unreserved slot gets the modal gap of all."""
    own = {vt: g for (p, vt), g in durations.items() if p == pc and vt != ANY_VISIT_TYPE}
    lookup = _Durations(own)
    lookup[ANY_VISIT_TYPE] = durations.get((pc, ANY_VISIT_TYPE), 15)
    return lookup


class _Durations(dict):
    def __missing__(self, key: str) -> int:
        return 15
