"""What the history shows, per polyclinic and weekday: the yardstick of model fidelity.

From the store's ``attendances`` and ``roster`` (days before ``before`` when given):

* ``wait_mean``: consultation start - arrival (minutes) of the patients seen (booked and
  walk-in) with an arrival time, patient-weighted; ``wait_p90``: the 90th percentile of a day's
  waits, averaged over the days (the model's ``wait_p90`` is the same per-day statistic averaged
  over replications); both NaN (not comparable) when the history has no arrival times (a
  consultation log);
* ``utilization``: consultation minutes / rostered doctor-minutes;
* ``patients_per_day``: patients seen per open day (summed over weekdays: per average week);
* ``overtime``: minutes the last consultation ended after the last rostered end, per day;
  ``overtime_share``: share of days with more than :data:`OVERTIME_DAY_MINUTES` of it.

It travels beside the model (:class:`ObservedHistory`, an argument of
:func:`polyslot.pipeline.plan_polyclinic`), not inside it: the model is what estimation learned,
the history is what it is checked against.

Only aggregates leave this module (no patient identifier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from polyslot.data.store import history_aggregates

__all__ = ["OVERTIME_DAY_MINUTES", "ObservedHistory", "observed_history", "is_overloaded"]

#: A day with more overtime than this counts towards chronic overtime.
OVERTIME_DAY_MINUTES = 30.0
#: Chronic overtime: at least this share of a weekday's days run over.
CHRONIC_SHARE = 0.5


def _hhmm(value: Any) -> float:
    h, m = str(value).split(":")[:2]
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class ObservedHistory:
    """What the history shows at one polyclinic: the yardstick the model must reproduce.

    ``weekdays`` maps weekday -> ``{"days", "wait_mean", "wait_p90", "utilization",
    "patients_per_day", "overtime", "overtime_share"}`` (see the module docstring); a weekday
    is absent when the history has no comparable day (no roster, no seen patient).
    """

    polyclinic_id: str
    weekdays: Mapping[int, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "weekdays",
            {int(k): {str(a): float(b) for a, b in v.items()}
             for k, v in sorted(self.weekdays.items())},
        )

    @property
    def overloaded(self) -> set[int]:
        """Weekdays with chronic overtime or utilisation at or above 100%."""
        return {d for d, v in self.weekdays.items() if is_overloaded(v)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"polyclinic_id": self.polyclinic_id,
                "weekdays": {str(k): dict(v) for k, v in self.weekdays.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObservedHistory:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["polyclinic_id"]),
                   {int(k): dict(v) for k, v in (data.get("weekdays") or {}).items()})


def observed_history(
    store: str | Path, before: dt.date | None = None
) -> dict[str, ObservedHistory]:
    """The :class:`ObservedHistory` of every polyclinic of ``store`` (days before ``before``).

    Polyclinics without roster rows get no weekday entries (utilisation and overtime need the
    roster).
    """
    days, _cancel, roster = history_aggregates(store, before)
    out: dict[str, dict[int, dict[str, float]]] = {}
    if roster.empty:
        return {}
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
    days["d"] = pd.to_datetime(days["d"]).dt.date
    merged = duty.merge(days, left_on=["polyclinic_id", "d"], right_on=["pid", "d"], how="left")
    merged["seen"] = merged["seen"].fillna(0.0)
    merged = merged[merged["seen"] > 0]
    merged["weekday"] = [d.weekday() for d in merged["d"]]
    merged["overtime"] = np.maximum(0.0, merged["last_end"].astype(float) - merged["end"])
    nan = float("nan")
    for (pid, wd), g in merged.groupby(["polyclinic_id", "weekday"], sort=True):
        seen = float(g["seen"].sum())
        timed = float(g["with_arrival"].sum()) if "with_arrival" in g else seen
        out.setdefault(str(pid), {})[int(wd)] = {
            "days": int(len(g)),
            # waits need arrival times: NaN (not comparable) for a consultation log
            "wait_mean": float(g["wait_sum"].sum()) / timed if timed > 0 else nan,
            "wait_p90": float(g["wait_p90"].mean()) if timed > 0 else nan,
            "utilization": float(g["busy"].sum()) / float(g["duty"].sum()),
            "patients_per_day": seen / len(g),
            "overtime": float(g["overtime"].mean()),
            "overtime_share": float((g["overtime"] > OVERTIME_DAY_MINUTES).mean()),
        }
    return {pid: ObservedHistory(pid, w) for pid, w in sorted(out.items())}


def is_overloaded(observed_weekday: Mapping[str, float] | None) -> bool:
    """Chronic overtime or utilisation at or above 100% on this weekday of the history."""
    if not observed_weekday:
        return False
    return (
        observed_weekday.get("utilization", 0.0) >= 1.0
        or observed_weekday.get("overtime_share", 0.0) >= CHRONIC_SHARE
    )
