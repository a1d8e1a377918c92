"""Hourly profile of a clinic day from tidy per-patient records (simulated or replayed).

Gives the rows of :data:`polyslot.kpi_records.HOURLY_COLUMNS` for one scenario and weekday:

``wait_mean``
    mean wait (minutes) of the patients seen whose appointment is in the hour (walk-ins without an
    appointment time count at their arrival hour);
``queue_length``
    time-average number of patients waiting during the hour: the minutes of waiting intervals
    ``[start - wait, start]`` falling in the hour, divided by 60 (per day);
``utilization``
    consultation minutes ``[start, end]`` falling in the hour divided by the doctor-minutes on duty
    in that hour (``doctors x 60``); NaN when nobody is on duty.

Several days or replications may be pooled: give their records together and ``n_days``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from polyslot.errors import InputError

__all__ = ["hourly_profile"]

_NEEDED = ("appointment", "arrival", "start", "end", "wait", "seen")


def _overlap(lo: np.ndarray, hi: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Minutes of each interval ``[lo, hi]`` inside each hour (rows: intervals, cols: hours)."""
    h0 = hours[None, :] * 60.0
    return np.clip(np.minimum(hi[:, None], h0 + 60.0) - np.maximum(lo[:, None], h0), 0.0, None)


def hourly_profile(
    records: pd.DataFrame | Mapping[str, Any],
    *,
    scenario: str,
    weekday: int,
    doctors_by_hour: Mapping[int, float],
    hours: Iterable[int] | None = None,
    n_days: int = 1,
) -> pd.DataFrame:
    """Per-hour wait, queue length and utilisation of one scenario on one weekday.

    Parameters
    ----------
    records : DataFrame or mapping of column -> array
        Per-patient records with at least ``appointment``, ``arrival``, ``start``, ``end``,
        ``wait`` (minutes / minutes after midnight) and ``seen`` (bool), e.g.
        ``polyslot.simulate`` ``DayResult.records``.
    scenario : str
        ``current`` or ``recommended``.
    weekday : int
    doctors_by_hour : mapping of int to float
        Doctors on duty per hour of day (e.g. from ``ClinicModel.doctors_on_duty``).
    hours : iterable of int, optional
        Hours to report (default: hours with doctors on duty).
    n_days : int
        Number of days (replications) pooled in ``records``.

    Returns
    -------
    DataFrame
        Columns ``scenario, weekday, hour, wait_mean, queue_length, utilization``.
    """
    frame = pd.DataFrame(dict(records)) if not isinstance(records, pd.DataFrame) else records
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}", field="records", value=list(frame.columns))
    if n_days < 1:
        raise InputError("must be >= 1", field="n_days", value=n_days)
    hrs = np.array(
        sorted(hours if hours is not None else (h for h, d in doctors_by_hour.items() if d > 0)),
        dtype=float,
    )
    seen = frame[frame["seen"].astype(bool)]
    start = seen["start"].to_numpy(float)
    end = seen["end"].to_numpy(float)
    wait = seen["wait"].to_numpy(float)
    appt = seen["appointment"].to_numpy(float)
    anchor = np.where(np.isfinite(appt), appt, seen["arrival"].to_numpy(float))
    queue = _overlap(start - wait, start, hrs).sum(axis=0) / (60.0 * n_days)
    busy = _overlap(start, end, hrs).sum(axis=0) / n_days
    duty = np.array([60.0 * float(doctors_by_hour.get(int(h), 0.0)) for h in hrs])
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(duty > 0, busy / duty, np.nan)
    bucket = np.floor(anchor / 60.0)
    waits = [float(wait[bucket == h].mean()) if (bucket == h).any() else np.nan for h in hrs]
    return pd.DataFrame(
        {
            "scenario": scenario,
            "weekday": int(weekday),
            "hour": hrs.astype(int),
            "wait_mean": waits,
            "queue_length": queue,
            "utilization": util,
        }
    )
