"""The trade-off frontier of an overloaded clinic: from "serve everyone served today" to
"finish on time".

Where the history shows chronic overtime or utilisation at or above 100%, holding today's
throughput may make everything worse. For such a weekday the allocation MIP is solved for a
sweep of (throughput floor, overtime weight) pairs: the floor falls from 1 while the overtime weight
rises. A floor below 1 is a share of today's expected throughput the point must still serve
(the demand coverage lowered with it) and of today's booked consultation minutes it may book at
most, so the points run from the throughput-preserving template to one that finishes on time. Every
point (and today's template) is evaluated at the demand it faces
(:func:`polyslot.evaluation.booking.booked_model`); the pipeline simulates each point on the same
replicated days (:func:`polyslot.analysis.paired.simulate_point`, common random numbers), the
default is the exact evaluator: mean wait, patients per week on that weekday (patients seen per
day: the weekday occurs once a week), doctor overtime minutes per day and utilisation.
``policy`` picks the recommended point:

* ``throughput``: the most patients (ties: least overtime);
* ``on_time``: the least overtime (ties: most patients);
* ``balanced`` (default): the knee, the point nearest the ideal (least wait, least overtime,
  most patients) after scaling each measure to the range of the points.

A weekday that is not overloaded gets the cheap frontier: today's template and the optimizer's
recommendation. Solves use ``frontier_node_limit``, at most two calibration rounds and five
local-search moves per session (a budget).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.errors import InfeasibleError, SolverError
from polyslot.optimize.clinic import OptimizeResult
from polyslot.optimize.config import OptimizeConfig
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = [
    "FrontierPoint",
    "WeekdayFrontier",
    "frontier_schedule",
    "point_kpis",
    "choose_point",
    "weekday_frontier",
    "frontier_document",
    "plan_weekdays",
]

#: ``evaluate(slots) -> {"wait_mean", "patients_served", "overtime", "utilization"}``.
Evaluate = Callable[[Sequence[Slot]], Mapping[str, float]]

#: Lowest throughput floor of the sweep (share of today's expected throughput).
MIN_FLOOR = 0.6
#: Overtime weight of the last point, as a multiple of the configured weight.
MAX_OVERTIME_FACTOR = 20.0


@dataclass(frozen=True)
class FrontierPoint:
    """One template of the frontier with its exact KPIs (minutes; patients per week)."""

    label: str
    throughput_floor: float
    overtime_weight: float
    wait_mean: float
    patients_per_week: float
    overtime: float
    utilization: float
    slots: tuple[Slot, ...]

    def to_dict(self, with_slots: bool = True) -> dict[str, Any]:
        """JSON-ready (the frontier-file point of the shared contract)."""
        out: dict[str, Any] = {
            "label": self.label,
            "throughput_floor": round(self.throughput_floor, 6),
            "overtime_weight": round(self.overtime_weight, 6),
            "wait_mean": _r(self.wait_mean),
            "patients_per_week": _r(self.patients_per_week),
            "overtime": _r(self.overtime),
            "utilization": _r(self.utilization),
        }
        if with_slots:
            out["slots"] = [
                {
                    "start_time": s.start_time,
                    "duration_minutes": int(s.duration_minutes),
                    "visit_type": s.visit_type,
                    "doctor_session": s.doctor_session,
                    "overbooked": bool(s.overbooked),
                }
                for s in sorted(self.slots, key=lambda s: (s.doctor_session, s.start_minute))
            ]
        return out


def _r(v: float) -> float | None:
    return round(float(v), 6) if math.isfinite(float(v)) else None


@dataclass(frozen=True)
class WeekdayFrontier:
    """The points of one weekday (``points[0]`` is today's template) and the chosen index."""

    weekday: int
    points: tuple[FrontierPoint, ...]
    chosen: int
    overloaded: bool

    @property
    def chosen_point(self) -> FrontierPoint:
        """The recommended point."""
        return self.points[self.chosen]

    def to_dict(self, with_slots: bool = True) -> dict[str, Any]:
        """``{"chosen": index, "overloaded": bool, "points": [...]}``."""
        return {
            "chosen": self.chosen,
            "overloaded": self.overloaded,
            "points": [p.to_dict(with_slots) for p in self.points],
        }


def frontier_schedule(n: int, w_overtime: float) -> list[tuple[float, float]]:
    """``n`` (throughput floor, overtime weight) pairs from (1, w) to (MIN_FLOOR, 20 w)."""
    n = max(2, int(n))
    base = max(w_overtime, 0.1)
    out = []
    for k in range(n):
        t = k / (n - 1)
        floor = 1.0 - (1.0 - MIN_FLOOR) * t
        weight = base * MAX_OVERTIME_FACTOR**t
        out.append((round(floor, 4), round(weight, 4)))
    return out


def point_kpis(
    model: ClinicModel,
    slots: Sequence[Slot],
    label: str,
    throughput_floor: float,
    overtime_weight: float,
    evaluate: Evaluate | None = None,
) -> FrontierPoint:
    """KPIs of one weekday's ``slots`` at the demand they face: ``evaluate(slots)`` (the
    pipeline passes replicated simulated days) or, by default, the exact evaluator."""
    if evaluate is not None:
        k = evaluate(slots)
        return FrontierPoint(
            label,
            float(throughput_floor),
            float(overtime_weight),
            float(k["wait_mean"]),
            float(k["patients_served"]),
            float(k["overtime"]),
            float(k["utilization"]),
            tuple(slots),
        )
    from polyslot.evaluation.booking import booked_model
    from polyslot.evaluation.template_kpis import template_session_kpis

    tpl = SlotTemplate(model.polyclinic_id, tuple(slots), label="recommended")
    kpis = template_session_kpis(booked_model(model, tpl), tpl, "recommended", with_p90=False)
    served = sum(k.patients_served for k in kpis)
    cap = sum(k.capacity_minutes for k in kpis)
    wait = sum(k.wait_mean * k.patients_served for k in kpis) / served if served > 0 else 0.0
    util = sum(k.utilization * k.capacity_minutes for k in kpis) / cap if cap > 0 else 0.0
    return FrontierPoint(
        label,
        float(throughput_floor),
        float(overtime_weight),
        float(wait),
        float(served),
        float(sum(k.overtime for k in kpis)),
        float(util),
        tuple(slots),
    )


def choose_point(points: Sequence[FrontierPoint], policy: str) -> int:
    """Index of the recommended point (``points[0]``, today's template, is never chosen
    unless it is the only point)."""
    cand = list(range(1, len(points))) or [0]
    if policy == "throughput":
        return max(cand, key=lambda i: (round(points[i].patients_per_week, 3), -points[i].overtime))
    if policy == "on_time":
        return min(cand, key=lambda i: (round(points[i].overtime, 3), -points[i].patients_per_week))

    def span(vals: list[float]) -> tuple[float, float]:
        lo, hi = min(vals), max(vals)
        return lo, (hi - lo) or 1.0

    w_lo, w_s = span([p.wait_mean for p in points])
    o_lo, o_s = span([p.overtime for p in points])
    n_lo, n_s = span([p.patients_per_week for p in points])
    n_hi = n_lo + n_s

    def dist(i: int) -> float:
        p = points[i]
        return math.hypot(
            (p.wait_mean - w_lo) / w_s,
            (p.overtime - o_lo) / o_s,
            (n_hi - p.patients_per_week) / n_s,
        )

    return min(cand, key=lambda i: (round(dist(i), 9), i))


def _solve_point(
    model: ClinicModel, weekday: int, config: OptimizeConfig, floor: float, weight: float
) -> list[Slot] | None:
    from polyslot.optimize.clinic import optimize_weekday

    cfg = dataclasses.replace(
        config,
        throughput_floor=floor,
        w_overtime=weight,
        node_limit=config.frontier_node_limit,
        max_calibration_rounds=min(2, config.max_calibration_rounds),
        sequencing_max_iter=min(5, config.sequencing_max_iter),
    )
    try:
        _, slots = optimize_weekday(model, weekday, cfg)
    except (InfeasibleError, SolverError):
        return None
    return slots


def weekday_frontier(
    model: ClinicModel,
    weekday: int,
    config: OptimizeConfig,
    recommended: Iterable[Slot] | None,
    *,
    overloaded: bool,
    evaluate: Evaluate | None = None,
) -> WeekdayFrontier:
    """Today's template, the optimizer's recommendation and (overloaded) the sweep.

    The first point of the sweep (floor 1, the configured overtime weight) is the optimizer's
    recommendation itself, so it is not solved again.
    """
    current = [s for s in model.current_template.slots if s.weekday == weekday]
    # None: the weekday cannot be planned at today's throughput (only the sweep's lower floors)
    base = None if recommended is None else [s for s in recommended if s.weekday == weekday]
    points = [point_kpis(model, current, "today", 1.0, config.w_overtime, evaluate)]
    if not overloaded and base is not None:
        points.append(point_kpis(model, base, "recommended", 1.0, config.w_overtime, evaluate))
        return WeekdayFrontier(weekday, tuple(points), 1, False)
    for k, (floor, weight) in enumerate(
        frontier_schedule(config.frontier_points, config.w_overtime)
    ):
        if k == 0 and base is None:
            # today's throughput cannot be planned: the point closest to it instead
            floor = round(1.0 - (1.0 - MIN_FLOOR) / (2 * (config.frontier_points - 1)), 4)
        slots = (
            base
            if k == 0 and base is not None
            else _solve_point(model, weekday, config, floor, weight)
        )
        if slots is None:
            continue
        label = (
            "serve everyone served today"
            if k == 0 and base is not None
            else f"{floor:.0%} of today's booked minutes (today's throughput cannot be planned)"
            if k == 0
            else "finish on time"
            if k == config.frontier_points - 1
            else f"{floor:.0%} of today's booked minutes"
        )
        points.append(point_kpis(model, slots, label, floor, weight, evaluate))
    return WeekdayFrontier(weekday, tuple(points), choose_point(points, config.policy), True)


def plan_weekdays(
    model: ClinicModel, config: OptimizeConfig, overloaded: set[int]
) -> tuple[OptimizeResult, dict[int, str]]:
    """:func:`~polyslot.optimize.optimize_clinic`, except that an overloaded weekday that cannot
    be planned at today's throughput is left to the frontier's lower floors instead of stopping
    the polyclinic; returns the result (without those weekdays) and ``{weekday: conflict}``.

    Raises
    ------
    InfeasibleError
        When a weekday that is not overloaded cannot be planned.
    """
    from polyslot.optimize.clinic import optimize_weekday

    t0, c0 = time.perf_counter(), time.process_time()
    results, slots, left = {}, [], {}
    gamma = 1.0
    for d in sorted({s.weekday for s in model.sessions}):
        try:
            res, day_slots = optimize_weekday(model, d, config, gamma)
        except InfeasibleError as exc:
            if d not in overloaded:
                raise
            left[d] = str(exc).splitlines()[0]
            continue
        gamma = res.calibration[-1].gamma
        results[d] = res
        slots.extend(day_slots)
    tpl = SlotTemplate(model.polyclinic_id, tuple(slots), config.bucket_minutes, "recommended")
    elapsed = time.perf_counter() - t0
    return OptimizeResult(tpl, results, elapsed, time.process_time() - c0), left


def frontier_document(
    polyclinic_id: str, policy: str, weekdays: Mapping[int, WeekdayFrontier]
) -> dict[str, Any]:
    """The ``out/frontier/<polyclinic_id>.json`` document (PROTOCOL shared contract)."""
    return {
        "polyclinic_id": polyclinic_id,
        "policy": policy,
        "weekdays": {WEEKDAYS[d]: f.to_dict() for d, f in sorted(weekdays.items())},
    }
