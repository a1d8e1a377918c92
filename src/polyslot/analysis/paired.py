"""Replicated clinic days of both templates with their per-replication records, and the paired
differences behind the verdict.

Replication ``i`` of a weekday uses the same seed for both templates (common random numbers), so
``recommended_i - current_i`` is a paired observation; the 95% Student-t interval of the pairs
is far narrower than the two separate intervals. The week's difference adds the weekdays'
(independent streams: half-widths in quadrature).

The objective of a day is the MIP's, in minutes: ``w_wait x total wait + w_idle x idle +
w_overtime x doctor overtime`` (weights of ``[optimize]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from polyslot.analysis.verdict import Interval, combine_intervals, paired_interval
from polyslot.clinic_model import ClinicModel
from polyslot.simulate.clinic import ClinicConfig
from polyslot.simulate.clinic_runs import DayParams, day_replication, replicate_clinic_day
from polyslot.simulate.replications import run_replications
from polyslot.template import SlotTemplate

__all__ = ["simulate_weekday", "day_objective", "paired_week", "simulate_point"]


def simulate_weekday(
    model: ClinicModel,
    template: SlotTemplate,
    weekday: int,
    *,
    config: ClinicConfig,
    seed: int,
    replications: int,
    target_rel: float | None,
    target_abs: float | None,
    min_replications: int,
) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """:func:`~polyslot.simulate.clinic_runs.simulate_clinic_day`'s summary and the records."""
    return replicate_clinic_day(
        DayParams(model, template, int(weekday), config),
        seed=seed,
        replications=replications,
        target_rel=target_rel,
        target_abs=target_abs,
        min_replications=min_replications,
        workers=1,
    )


def day_objective(record: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The day's objective in weighted minutes (lower is better)."""
    wait = float(record["wait_mean"])
    seen = float(record["patients_seen"])
    total_wait = wait * seen if math.isfinite(wait) else 0.0
    return (
        weights.get("wait", 1.0) * total_wait
        + weights.get("idle", 0.5) * float(record["idle_mean"])
        + weights.get("overtime", 1.5) * float(record["doctor_overtime"])
    )


def _pairs(
    cur: Sequence[Mapping[str, float]], rec: Sequence[Mapping[str, float]], f: Any
) -> Interval:
    return paired_interval([f(r) for r in cur], [f(r) for r in rec])


def paired_week(
    records: Mapping[tuple[str, int], Sequence[Mapping[str, float]]],
    weights: Mapping[str, float],
    weekdays: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Paired differences (recommended - current) per weekday and for the week.

    Returns ``{"objective": Interval, "patients": Interval, "wait_total": Interval, "overtime":
    Interval, "weekdays": {weekday: {...same...}}}`` (objective and wait in minutes per week,
    patients per week, overtime doctor-minutes per week).
    """
    days = sorted(
        weekdays
        if weekdays is not None
        else {d for s, d in records if s == "current"}
        & {d for s, d in records if s == "recommended"}
    )
    measures = {
        "objective": lambda r: day_objective(r, weights),
        "patients": lambda r: float(r["patients_seen"]),
        "wait_total": lambda r: day_objective(r, {"wait": 1.0, "idle": 0.0, "overtime": 0.0}),
        "overtime": lambda r: float(r["doctor_overtime"]),
    }
    per_day: dict[int, dict[str, Interval]] = {}
    for d in days:
        cur, rec = records.get(("current", d), []), records.get(("recommended", d), [])
        per_day[d] = {k: _pairs(cur, rec, f) for k, f in measures.items()}
    week = {k: combine_intervals([per_day[d][k] for d in days]) for k in measures}
    return {**week, "weekdays": per_day}


#: Replicated days behind each frontier point (common random numbers across points).
FRONTIER_REPLICATIONS = 16


def simulate_point(
    model: ClinicModel,
    slots: Sequence[Any],
    weekday: int,
    *,
    config: ClinicConfig,
    seed: int,
    replications: int = FRONTIER_REPLICATIONS,
) -> dict[str, float]:
    """Simulated KPIs of one weekday's ``slots`` at the demand they face (frontier points):
    mean wait (patient-weighted), patients seen per day, doctor overtime minutes per day,
    utilisation."""
    from polyslot.evaluation.booking import booked_model

    tpl = SlotTemplate(model.polyclinic_id, tuple(slots), label="recommended")
    params = DayParams(booked_model(model, tpl), tpl, int(weekday), config)
    recs = run_replications(day_replication, params, seed, replications=replications).records
    return point_from_records(recs)


def point_from_records(recs: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Frontier-point KPIs of replicated days (records of :func:`simulate_point` or of
    :func:`simulate_weekday`): mean wait (patient-weighted), patients seen per day, doctor
    overtime minutes per day, utilisation."""
    seen = sum(float(r["patients_seen"]) for r in recs)
    wait = sum(
        float(r["wait_mean"]) * float(r["patients_seen"])
        for r in recs
        if math.isfinite(float(r["wait_mean"]))
    )
    duty = sum(float(r["duty_minutes"]) for r in recs)
    n = max(len(recs), 1)
    return {
        "wait_mean": wait / seen if seen else 0.0,
        "patients_served": seen / n,
        "overtime": sum(float(r["doctor_overtime"]) for r in recs) / n,
        "utilization": sum(float(r["busy_minutes"]) for r in recs) / duty if duty else 0.0,
    }
