"""Complete the estimated models with what the history says about the clinic day as a whole.

After the per-concept estimators (:mod:`polyslot.estimate.build`), every model gets, from the
store's roster and the aggregates:

1. its doctor sessions' duty times from the roster (:mod:`polyslot.estimate.duty`), so the
   models written to ``model/`` are the ones every stage plans with;
2. its whole-day doctor absences and the bookings they cost (:mod:`polyslot.estimate.absence`);
3. its booking model: late cancellations and the demand calibrated so that today's template
   reproduces the bookings of the history once the absences are accounted for
   (:mod:`polyslot.estimate.booking`);
4. its queue discipline with the evidence (:mod:`polyslot.estimate.queue`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.data.store import has_table
from polyslot.estimate.absence import estimate_absence
from polyslot.estimate.booking import calibrate_booking
from polyslot.estimate.duty import roster_periods, sessions_from_roster
from polyslot.estimate.queue import estimate_queue

__all__ = ["complete_models", "roster_frame"]


def _hhmm(value: Any) -> int:
    h, m = str(value).split(":")[:2]
    return int(h) * 60 + int(m)


def roster_frame(con: Any) -> pd.DataFrame:
    """Roster rows with doctors on duty as ``polyclinic_id``, ``d``, ``s0``, ``s1``
    (minutes), ``doctors``; empty without a roster."""
    cols = ["polyclinic_id", "d", "s0", "s1", "doctors"]
    if not has_table(con, "roster"):
        return pd.DataFrame(columns=cols)
    r = con.execute(
        "SELECT polyclinic_id, date, start_time, end_time, doctors FROM roster "
        "WHERE doctors > 0 ORDER BY 1, 2, 3"
    ).df()
    if r.empty:
        return pd.DataFrame(columns=cols)
    r["d"] = pd.to_datetime(r["date"]).dt.date
    r["s0"] = [_hhmm(v) for v in r["start_time"]]
    r["s1"] = [_hhmm(v) for v in r["end_time"]]
    return r[cols]


def _frame(con: Any, sql: str, cols: list[str]) -> pd.DataFrame:
    try:
        return con.execute(sql).df()
    except Exception:  # noqa: BLE001 - an aggregate absent from an older store: nothing to learn
        return pd.DataFrame(columns=cols)


def complete_models(
    con: Any, models: dict[str, ClinicModel], *, window: int = 84
) -> dict[str, ClinicModel]:
    """The models with duty times, booking model and queue discipline (module docstring)."""
    roster = roster_frame(con)
    periods = roster_periods(roster)
    cancel = _frame(
        con,
        "SELECT polyclinic_id, visit_type, sum(cancelled) AS c, sum(booked) AS b "
        "FROM agg_cancellations GROUP BY ALL ORDER BY ALL",
        ["polyclinic_id", "visit_type", "c", "b"],
    )
    over = _frame(
        con,
        "SELECT polyclinic_id, sum(waited) AS w, sum(overtaken) AS o FROM agg_overtaking "
        "GROUP BY ALL ORDER BY ALL",
        ["polyclinic_id", "w", "o"],
    )
    daily = _frame(
        con,
        "SELECT polyclinic_id, visit_type, d, y FROM agg_daily ORDER BY ALL",
        ["polyclinic_id", "visit_type", "d", "y"],
    )
    open_days = _frame(
        con, "SELECT polyclinic_id, d FROM agg_open_days ORDER BY ALL", ["polyclinic_id", "d"]
    )
    out = {}
    for pid, m in sorted(models.items()):
        per = {int(k): [(int(a), int(b)) for a, b in v] for k, v in periods.get(pid, {}).items()}
        m, outside = sessions_from_roster(m, per)
        meta = dict(m.meta)
        if per and not str(meta.get("session_source", "")).startswith("roster"):
            meta["session_source"] = "roster"
            meta["sessions_outside_roster"] = outside
        m = dataclasses.replace(m, meta=meta)
        c = cancel[cancel["polyclinic_id"] == pid]
        shares = {
            str(r.visit_type): float(r.c) / float(r.b) if float(r.b) else 0.0
            for r in c.itertuples(index=False)
        }
        mine = daily[daily["polyclinic_id"] == pid]
        if len(mine):
            mine = mine.assign(d=pd.to_datetime(mine["d"]).dt.date)
        staff = roster[roster["polyclinic_id"] == pid]
        m = estimate_absence(m, staff, mine)
        m = calibrate_booking(m, daily, open_days, shares, window=window)
        o = over[over["polyclinic_id"] == pid]
        waited = int(o["w"].sum()) if len(o) else 0
        overtaken = int(o["o"].sum()) if len(o) else 0
        out[pid] = estimate_queue(m, waited, overtaken)
    return out
