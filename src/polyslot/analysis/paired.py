"""Paired differences of two templates through the one model: the evidence behind a verdict.

Replication ``i`` of a weekday uses the same random numbers for both templates (the fast
evaluator's counter-based common random numbers), so ``recommended_i - current_i`` is a paired
observation; its 95% interval is far narrower than the two separate intervals. The week's
difference adds the weekdays' (independent streams: half-widths in quadrature). When both days
are evaluated exactly the difference is exact (a zero-width interval).

The objective of a day is the MIP's, in minutes: ``w_wait x total wait + w_idle x idle +
w_overtime x doctor overtime`` (weights of ``[optimize]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from polyslot.analysis.verdict import Interval, combine_intervals, paired_interval
from polyslot.evaluation.clinic_day import DayMetrics

__all__ = ["paired_week", "point_from_metrics", "day_objective"]

Z95 = 1.959963984540054

def _w(weights: Mapping[str, float], key: str, default: float) -> float:
    return float(weights.get(key, default))


def day_objective(values: Mapping[str, Any], weights: Mapping[str, float]) -> Any:
    """The day's objective in weighted minutes (lower is better), of per-replication arrays or
    of exact means (``wait_total``, ``idle``, ``doctor_overtime``)."""
    return (
        _w(weights, "wait", 1.0) * values["wait_total"]
        + _w(weights, "idle", 0.5) * values["idle"]
        + _w(weights, "overtime", 1.5) * values["doctor_overtime"]
    )


def _exact_values(m: DayMetrics) -> dict[str, float]:
    return {
        "wait_total": m.value("wait_mean") * m.value("patients_served"),
        "patients_seen": m.value("patients_served"),
        "idle": m.value("idle"),
        "doctor_overtime": m.value("overtime"),
        "utilization": m.value("utilization"),
    }


def _values(m: DayMetrics) -> dict[str, Any]:
    if m.method == "exact":
        return _exact_values(m)
    r = m.per_rep
    duty = np.where(r["duty"] > 0, r["duty"], 1.0)
    return {
        "wait_total": r["wait_total"],
        "patients_seen": r["patients_seen"],
        "idle": r["idle"],
        "doctor_overtime": r["doctor_overtime"],
        "utilization": r["busy"] / duty,
    }


def _difference(a: DayMetrics, b: DayMetrics, f: Callable[[Mapping[str, Any]], Any]) -> Interval:
    if a.method == "exact" and b.method == "exact":
        d = float(f(_exact_values(b)) - f(_exact_values(a)))
        return Interval(d, d, d, 1)
    if a.method == "exact" or b.method == "exact":
        raise ValueError("a paired difference needs both days evaluated the same way")
    return paired_interval(list(f(_values(a))), list(f(_values(b))))


def paired_week(
    runs: Mapping[tuple[str, int], DayMetrics],
    weights: Mapping[str, float],
    weekdays: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Paired differences (recommended - current) per weekday and for the week.

    Returns ``{"objective", "patients", "wait_total", "overtime", "idle": Interval (per week),
    "utilization", "wait_p90": Interval (per weekday average), "weekdays": {weekday: {...}}}``
    (objective and wait in minutes, patients, overtime and idle doctor-minutes; utilisation a
    fraction; ``wait_p90`` minutes, unpaired: the two percentiles' errors in quadrature).
    """
    days = sorted(
        weekdays
        if weekdays is not None
        else {d for s, d in runs if s == "current"} & {d for s, d in runs if s == "recommended"}
    )
    measures: dict[str, Callable[[Mapping[str, Any]], Any]] = {
        "objective": lambda v: day_objective(v, weights),
        "patients": lambda v: v["patients_seen"],
        "wait_total": lambda v: v["wait_total"],
        "overtime": lambda v: v["doctor_overtime"],
        "idle": lambda v: v["idle"],
        "utilization": lambda v: v["utilization"],
    }
    per_day: dict[int, dict[str, Interval]] = {}
    for d in days:
        cur, rec = runs[("current", d)], runs[("recommended", d)]
        per_day[d] = {k: _difference(cur, rec, f) for k, f in measures.items()}
        p_cur, p_rec = cur["wait_p90"], rec["wait_p90"]
        diff = p_rec.mean - p_cur.mean
        half = Z95 * math.hypot(p_cur.se, p_rec.se)
        per_day[d]["wait_p90"] = Interval(diff, diff - half, diff + half, rec.replications)
    week = {
        k: combine_intervals([per_day[d][k] for d in days])
        for k in ("objective", "patients", "wait_total", "overtime", "idle")
    }
    n = max(len(days), 1)
    for k in ("utilization", "wait_p90"):
        week[k] = combine_intervals([per_day[d][k] for d in days], [1.0 / n] * len(days))
    return {**week, "weekdays": per_day}


def point_from_metrics(m: DayMetrics) -> dict[str, float]:
    """Frontier-point KPIs of one weekday's day: mean wait, patients seen a day, doctor overtime
    minutes a day, utilisation (the model's values)."""
    return {
        "wait_mean": m.value("wait_mean"),
        "patients_served": m.value("patients_served"),
        "overtime": m.value("overtime"),
        "utilization": m.value("utilization"),
    }
