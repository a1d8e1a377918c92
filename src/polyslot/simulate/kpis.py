"""Per-day KPIs from tidy per-patient records, and confidence intervals of replicated means.

Column names follow the exact evaluator where they overlap: ``wait_mean`` (mean wait of the
patients who were seen), ``overtime_mean``, ``idle_mean``, ``utilization``, ``total_wait_mean``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

__all__ = ["RECORD_COLUMNS", "KPI_COLUMNS", "day_kpis", "mean_ci", "summarize"]

#: Columns of the tidy per-patient records of a clinic day (times in minutes after midnight).
RECORD_COLUMNS = (
    "appointment",
    "arrival",
    "start",
    "end",
    "wait",
    "doctor",
    "visit_type",
    "walk_in",
    "seen_as_walk_in",
    "no_show",
    "seen",
)

#: Columns of one day's KPI record.
KPI_COLUMNS = (
    "wait_mean",
    "wait_median",
    "wait_p90",
    "wait_mean_booked",
    "utilization",
    "overtime_mean",
    "doctor_overtime",
    "idle_mean",
    "busy_minutes",
    "duty_minutes",
    "patients_seen",
    "walk_ins_seen",
    "late_as_walk_in",
    "unseen",
    "no_shows",
)


def day_kpis(
    records: Mapping[str, np.ndarray],
    *,
    busy: float,
    duty: float,
    idle: float,
    overtime: float,
    doctor_overtime: float,
) -> dict[str, float]:
    """KPIs of one simulated day.

    Parameters
    ----------
    records : mapping of column -> array
        The day's per-patient records (:data:`RECORD_COLUMNS`).
    busy, duty : float
        Minutes doctors spent consulting (including overtime) and minutes of scheduled duty.
    idle : float
        Minutes of scheduled duty with no consultation.
    overtime : float
        Minutes the last consultation ended after the last scheduled session end (>= 0).
    doctor_overtime : float
        Sum over doctor sessions of minutes worked after the session's end.

    Returns
    -------
    dict
        One value per :data:`KPI_COLUMNS` entry. Waits are over the patients seen;
        ``overtime_mean`` is this day's overtime (the mean over days or replications keeps the
        name); ``utilization`` = busy / duty.
    """
    seen = np.asarray(records["seen"], dtype=bool)
    wait = np.asarray(records["wait"], dtype=np.float64)[seen]
    walk = np.asarray(records["walk_in"], dtype=bool)
    late = np.asarray(records["seen_as_walk_in"], dtype=bool) & ~walk
    booked = seen & ~walk
    w_booked = np.asarray(records["wait"], dtype=np.float64)[booked]
    nan = float("nan")
    return {
        "wait_mean": float(wait.mean()) if wait.size else nan,
        "wait_median": float(np.median(wait)) if wait.size else nan,
        "wait_p90": float(np.quantile(wait, 0.9)) if wait.size else nan,
        "wait_mean_booked": float(w_booked.mean()) if w_booked.size else nan,
        "utilization": float(busy / duty) if duty > 0 else nan,
        "overtime_mean": float(overtime),
        "doctor_overtime": float(doctor_overtime),
        "idle_mean": float(idle),
        "busy_minutes": float(busy),
        "duty_minutes": float(duty),
        "patients_seen": int(seen.sum()),
        "walk_ins_seen": int((seen & walk).sum()),
        "late_as_walk_in": int(late.sum()),
        "unseen": int((~seen & ~np.asarray(records["no_show"], dtype=bool)).sum()),
        "no_shows": int(np.asarray(records["no_show"], dtype=bool).sum()),
    }


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and Student-t confidence half-width of ``values`` (NaNs dropped).

    Returns ``(nan, nan)`` for no values and ``(mean, inf)`` for a single one.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return float("nan"), float("nan")
    m = float(x.mean())
    if n == 1:
        return m, math.inf
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return m, half


def summarize(
    rows: Sequence[Mapping[str, float]], columns: Sequence[str], level: float = 0.95
) -> dict[str, float]:
    """Means and CI half-widths over replications: ``{col: mean, col + "_ci": half}``."""
    out: dict[str, float] = {}
    for c in columns:
        m, h = mean_ci([r[c] for r in rows], level)
        out[c] = m
        out[f"{c}_ci"] = h
    return out
