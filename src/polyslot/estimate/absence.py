"""Whole-day doctor absences, learned from the roster (:class:`polyslot.clinic_model.AbsenceModel`).

The model's doctor sessions are the typical roster (:mod:`polyslot.estimate.staffing`); the
roster of each date says how many doctors were really on duty. For a polyclinic:

* **Rate.** On each staffed date and typical period (start, end) of its weekday, the absent
  doctor-sessions are ``max(0, P - d)``: ``P`` the model's sessions of that period, ``d`` the
  doctors rostered. Per weekday the rate is absent / planned, shrunk towards the polyclinic's
  rate with ``prior`` doctor-sessions (a weekday with few dates keeps close to it). The model
  draws each doctor absent for the whole day with that probability, so the mean doctors on duty
  are the roster's.
* **Lost bookings.** Whether an absent doctor's patients still come (reassigned to colleagues)
  or were never booked (the slots blocked in advance): the bookings of a date against its
  absent doctor-sessions, within weekday (least squares on the deviations from the weekday's
  means). ``lost = -slope / bookings per doctor-session on duty``, clipped to [0, 1]: 0 when the
  bookings do not drop on short-staffed days, 1 when each absent doctor takes their full share
  of bookings with them. With fewer than :data:`MIN_ABSENT_DATES` dates with an absence the
  slope is not learned and :data:`DEFAULT_LOST` is used (said in the evidence).

Pure function of the roster and daily-bookings frames (pandas).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pandas as pd

from polyslot.clinic_model import AbsenceModel, ClinicModel

__all__ = [
    "estimate_absence",
    "MIN_ABSENT_DATES",
    "DEFAULT_LOST",
    "PRIOR_SESSIONS",
]

#: Dates with an absence needed to learn the share of lost bookings.
MIN_ABSENT_DATES = 8
#: The share of an absent doctor's bookings lost when the history cannot say.
DEFAULT_LOST = 0.5
#: Weight (doctor-sessions) of the polyclinic's rate in each weekday's.
PRIOR_SESSIONS = 50.0


def _planned(model: ClinicModel) -> dict[tuple[int, int, int], int]:
    """Sessions of the model per (weekday, start, end)."""
    return dict(Counter((s.weekday, s.start_minute, s.end_minute) for s in model.sessions))


def _absences(model: ClinicModel, roster: pd.DataFrame) -> pd.DataFrame:
    """Per date and typical period: ``d``, ``wd``, ``s0``, ``s1``, ``doctors``, ``P`` (the
    model's sessions of the period) and ``absent`` (``max(0, P - doctors)``)."""
    planned = _planned(model)
    cols = ["d", "wd", "s0", "s1", "doctors", "P", "absent"]
    if roster.empty or not planned:
        return pd.DataFrame(columns=cols)
    r = roster.assign(wd=[d.weekday() for d in roster["d"]])
    r = r.groupby(["d", "wd", "s0", "s1"], as_index=False)["doctors"].sum()
    r["P"] = [planned.get((int(w), int(a), int(b)), 0) for w, a, b in
              zip(r["wd"], r["s0"], r["s1"], strict=True)]
    r = r[r["P"] > 0].copy()
    r["absent"] = np.maximum(0, r["P"] - r["doctors"].astype(int))
    return r[cols]


def _lost_share(per_date: pd.DataFrame) -> tuple[float | None, int]:
    """``(lost, dates with an absence)`` from per-date ``wd``, ``absent``, ``present``,
    ``booked`` (None when it cannot be learned)."""
    with_absence = int((per_date["absent"] > 0).sum())
    if with_absence < MIN_ABSENT_DATES or per_date["booked"].sum() <= 0:
        return None, with_absence
    g = per_date.groupby("wd")
    da = per_date["absent"] - g["absent"].transform("mean")
    db = per_date["booked"] - g["booked"].transform("mean")
    sxx = float((da * da).sum())
    if sxx <= 0:
        return None, with_absence
    slope = float((da * db).sum()) / sxx
    per_session = float(per_date["booked"].sum()) / float(per_date["present"].sum())
    if per_session <= 0:
        return None, with_absence
    return float(np.clip(-slope / per_session, 0.0, 1.0)), with_absence


def estimate_absence(
    model: ClinicModel,
    roster: pd.DataFrame,
    daily: pd.DataFrame | None = None,
    *,
    prior: float = PRIOR_SESSIONS,
) -> ClinicModel:
    """``model`` with its :class:`AbsenceModel` (see the module docstring).

    Parameters
    ----------
    model : ClinicModel
        With its typical doctor sessions (from the roster).
    roster : DataFrame
        This polyclinic's roster rows: ``d`` (date), ``s0``, ``s1`` (minutes), ``doctors``.
    daily : DataFrame, optional
        Bookings per date: ``d``, ``y`` (summed over visit types here).
    prior : float
        Doctor-sessions of the polyclinic's rate in each weekday's rate.
    """
    r = _absences(model, roster)
    if r.empty:
        return model
    by_wd = r.groupby("wd")[["absent", "P"]].sum()
    total_absent, total_planned = int(by_wd["absent"].sum()), int(by_wd["P"].sum())
    overall = total_absent / total_planned
    rate = {
        int(wd): round((float(row.absent) + prior * overall) / (float(row.P) + prior), 6)
        for wd, row in by_wd.iterrows()
    }
    per_date = r.groupby(["d", "wd"], as_index=False).agg(
        absent=("absent", "sum"), planned=("P", "sum")
    )
    per_date["present"] = per_date["planned"] - per_date["absent"]
    booked = (
        daily.groupby("d")["y"].sum() if daily is not None and not daily.empty else pd.Series()
    )
    per_date["booked"] = [float(booked.get(d, 0.0)) for d in per_date["d"]]
    lost, dates = _lost_share(per_date) if len(booked) else (None, 0)
    source = "roster"
    how = (
        f"{total_absent} of {total_planned} planned doctor-sessions missing from the roster "
        f"({100 * overall:.1f}%) on {len(per_date)} dates"
    )
    if lost is None:
        lost_text = (
            f"share of their bookings lost not learned ({dates} dates with an absence, "
            f"{MIN_ABSENT_DATES} needed): {DEFAULT_LOST:.0%} assumed"
        )
        lost = DEFAULT_LOST if total_absent else 0.0
    else:
        lost_text = (
            f"an absent doctor's bookings are {lost:.0%} lost, the rest seen by colleagues "
            f"(bookings against absences on {dates} dates)"
        )
    if not total_absent:
        rate = {}
        how = f"every planned doctor rostered on all {len(per_date)} dates"
        lost_text = "no absence"
    absence = AbsenceModel(
        rate=rate,
        lost=lost,
        planned=total_planned,
        absent=total_absent,
        source=source,
        evidence=f"{how}; {lost_text}",
    )
    return dataclasses.replace(model, absence=absence)
