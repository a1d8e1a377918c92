"""What the history shows, per polyclinic and weekday: the yardstick of model fidelity.

From the store's ``attendances`` and ``roster`` (days before ``before`` when given):

* ``wait_mean``: consultation start - arrival (minutes) of the patients seen (booked and
  walk-in), patient-weighted; ``wait_p90``: the 90th percentile of a day's waits, averaged over
  the days (the simulator's ``wait_p90`` is the same per-day statistic averaged over
  replications);
* ``utilization``: consultation minutes / rostered doctor-minutes;
* ``patients_per_day``: patients seen per open day (summed over weekdays: per average week);
* ``overtime``: minutes the last consultation ended after the last rostered end, per day;
  ``overtime_share``: share of days with more than :data:`OVERTIME_DAY_MINUTES` of it;
* ``cancellation``: per visit type, the share of bookings cancelled.

Only aggregates leave this module (no patient identifier).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from polyslot.analysis.duty import roster_periods, sessions_from_roster
from polyslot.data.store import history_aggregates

__all__ = ["OVERTIME_DAY_MINUTES", "observed_history", "is_overloaded", "attach_history"]

#: A day with more overtime than this counts towards chronic overtime.
OVERTIME_DAY_MINUTES = 30.0
#: Chronic overtime: at least this share of a weekday's days run over.
CHRONIC_SHARE = 0.5


def _hhmm(value: Any) -> float:
    h, m = str(value).split(":")[:2]
    return int(h) * 60 + int(m)


def observed_history(store: str | Path, before: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """``{polyclinic_id: {"weekdays": {weekday: {kpi: value}}, "cancellation": {vt: share}}}``.

    Polyclinics without roster rows get no weekday entries (utilisation and overtime need the
    roster); the cancellation shares are always given.
    """
    days, cancel, roster = history_aggregates(store, before)
    out: dict[str, dict[str, Any]] = {}
    for r in cancel.itertuples(index=False):
        entry = out.setdefault(str(r.pid), {"weekdays": {}, "cancellation": {}})
        entry["cancellation"][str(r.visit_type)] = (
            float(r.cancelled) / float(r.booked) if r.booked else 0.0
        )
    if roster.empty:
        return out
    roster = roster[roster["doctors"].astype(float) > 0].copy()
    roster["d"] = pd.to_datetime(roster["date"]).dt.date
    if before is not None:
        roster = roster[roster["d"] < before]
    roster["s0"] = [_hhmm(v) for v in roster["start_time"]]
    roster["s1"] = [_hhmm(v) for v in roster["end_time"]]
    roster["duty"] = (roster["s1"] - roster["s0"]) * roster["doctors"].astype(float)
    duty = roster.groupby(["polyclinic_id", "d"], as_index=False).agg(
        duty=("duty", "sum"), end=("s1", "max")
    )
    for pid, per_day in roster_periods(roster).items():
        entry = out.setdefault(pid, {"weekdays": {}, "cancellation": {}})
        entry["periods"] = {wd: [list(p) for p in ps] for wd, ps in per_day.items()}
    days["d"] = pd.to_datetime(days["d"]).dt.date
    merged = duty.merge(days, left_on=["polyclinic_id", "d"], right_on=["pid", "d"], how="left")
    merged["seen"] = merged["seen"].fillna(0.0)
    merged = merged[merged["seen"] > 0]
    merged["weekday"] = [d.weekday() for d in merged["d"]]
    merged["overtime"] = np.maximum(0.0, merged["last_end"].astype(float) - merged["end"])
    for (pid, wd), g in merged.groupby(["polyclinic_id", "weekday"], sort=True):
        seen = float(g["seen"].sum())
        entry = out.setdefault(str(pid), {"weekdays": {}, "cancellation": {}})
        entry["weekdays"][int(wd)] = {
            "days": int(len(g)),
            "wait_mean": float(g["wait_sum"].sum()) / seen,
            "wait_p90": float(g["wait_p90"].mean()),
            "utilization": float(g["busy"].sum()) / float(g["duty"].sum()),
            "patients_per_day": seen / len(g),
            "overtime": float(g["overtime"].mean()),
            "overtime_share": float((g["overtime"] > OVERTIME_DAY_MINUTES).mean()),
        }
    return out


def is_overloaded(observed_weekday: dict[str, float] | None) -> bool:
    """Chronic overtime or utilisation at or above 100% on this weekday of the history."""
    if not observed_weekday:
        return False
    return (
        observed_weekday.get("utilization", 0.0) >= 1.0
        or observed_weekday.get("overtime_share", 0.0) >= CHRONIC_SHARE
    )


def attach_history(
    models: dict[str, Any], store: str | Path, before: dt.date | None = None
) -> dict[str, Any]:
    """The models with ``meta["history"]`` set from the store (see :func:`observed_history`)
    and their doctor sessions' duty times from the roster
    (:func:`polyslot.analysis.duty.sessions_from_roster`)."""
    import dataclasses

    hist = observed_history(store, before)
    out = {}
    for pid, m in models.items():
        h = hist.get(pid, {})
        periods = {int(k): [tuple(p) for p in v] for k, v in (h.get("periods") or {}).items()}
        m, outside = sessions_from_roster(m, periods)
        meta = {**m.meta, "history": h, "sessions_outside_roster": outside}
        if periods:
            meta["session_source"] = "roster"
        out[pid] = dataclasses.replace(m, meta=meta)
    return out
