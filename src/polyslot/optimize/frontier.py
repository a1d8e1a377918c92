"""The trade-off frontier of an overloaded clinic: from "serve everyone served today" to
"finish on time".

Where the history shows chronic overtime or utilisation at or above 100%, holding today's
throughput may make everything worse. For such a weekday the allocation MIP is solved for a
sweep of (throughput floor, overtime weight) pairs: the floor falls from the largest feasible
one (1, or :func:`top_floor` when today's throughput cannot be planned) to :data:`MIN_FLOOR`
while the overtime weight rises. A floor below 1 is a share of today's expected throughput the
point must still serve (the demand coverage lowered with it) and of today's booked consultation
minutes it may book at most, so the points run from the most patients the staff allow to a
template that finishes on time. Duplicate and dominated templates are dropped and midpoints
solved until there are ``frontier_points`` efficient ones (:func:`efficient`). Every
point (and today's template) is a clinic day of the one model (:func:`polyslot.day.build_day`,
booked as its demand allows) evaluated by the fast evaluator with the weekday's seed (common
random numbers across points): mean wait, patients seen on that weekday (per day; the weekday
occurs once a week), doctor overtime minutes per day and utilisation.
``policy`` picks the recommended point:

* ``throughput``: the most patients (ties: least overtime);
* ``on_time``: the least overtime (ties: most patients);
* ``balanced`` (default): the knee, the point nearest the ideal (least wait, least overtime,
  most patients) after scaling each measure to the range of the points.

A weekday that is not overloaded gets the cheap frontier: today's template and the optimizer's
recommendation. Solves use ``frontier_node_limit``, one calibration round (from the previous
point's factor) and five local-search moves per session (a budget).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.errors import InfeasibleError, SolverError
from polyslot.evaluation.day_settings import DaySettings
from polyslot.optimize.clinic import OptimizeResult
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.frontier_points import (
    FrontierPoint,
    WeekdayFrontier,
    choose_point,
    dominated,
    efficient,
)
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = [
    "FrontierPoint",
    "WeekdayFrontier",
    "frontier_schedule",
    "top_floor",
    "dominated",
    "efficient",
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
#: Calibration rounds of a frontier point (each starts from the previous point's factor).
FRONTIER_ROUNDS = 1
#: Least width of the sweep's floors (when the largest feasible floor is near MIN_FLOOR).
MIN_SPAN = 0.2
#: Overtime weight of the last point, as a multiple of the configured weight.
MAX_OVERTIME_FACTOR = 20.0


def frontier_schedule(n: int, w_overtime: float, top: float = 1.0) -> list[tuple[float, float]]:
    """``n`` (throughput floor, overtime weight) pairs from (``top``, w) down to (bottom, 20 w).

    ``top`` is the largest feasible floor (1: today's throughput can be planned); bottom is
    :data:`MIN_FLOOR`, or ``top -`` :data:`MIN_SPAN` when ``top`` is closer to it than that
    (never below 5%).
    """
    n = max(2, int(n))
    base = max(w_overtime, 0.1)
    bottom = MIN_FLOOR if top >= MIN_FLOOR + MIN_SPAN else max(0.05, top - MIN_SPAN)
    out = []
    for k in range(n):
        t = k / (n - 1)
        floor = top - (top - bottom) * t
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
    pipeline passes the one model with the run's settings and the weekday's seed) or, by
    default, the one model with the clinic's own discipline."""
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
    from polyslot.day import build_day
    from polyslot.evaluation.clinic_day import evaluate_clinic_day

    tpl = SlotTemplate(model.polyclinic_id, tuple(slots), label="recommended")
    weekday = slots[0].weekday if slots else 0
    m = evaluate_clinic_day(build_day(model, tpl, weekday), seed=1000 * weekday)
    return FrontierPoint(
        label,
        float(throughput_floor),
        float(overtime_weight),
        m.value("wait_mean"),
        m.value("patients_served"),
        m.value("overtime"),
        m.value("utilization"),
        tuple(slots),
    )


def _solve_point(
    model: ClinicModel,
    weekday: int,
    config: OptimizeConfig,
    floor: float,
    weight: float,
    gamma0: float = 1.0,
    days: DaySettings | None = None,
    seed: int = 0,
) -> tuple[list[Slot], bool, float] | None:
    """The point's slots, whether a solve stopped at the wall-clock limit and the calibration
    factor it ended with (None: no template)."""
    from polyslot.optimize.clinic import optimize_weekday

    cfg = dataclasses.replace(
        config,
        throughput_floor=floor,
        w_overtime=weight,
        node_limit=config.frontier_node_limit,
        max_calibration_rounds=min(FRONTIER_ROUNDS, config.max_calibration_rounds),
        sequencing_max_iter=min(5, config.sequencing_max_iter),
    )
    try:
        res, slots = optimize_weekday(
            model, weekday, cfg, gamma0, days=days, seed=seed, relax_throughput=False,
            explain=False,
        )  # fmt: skip
    except (InfeasibleError, SolverError):
        return None
    return slots, res.wall_clock_limit_hit, res.calibration[-1].gamma


def top_floor(
    model: ClinicModel,
    weekday: int,
    config: OptimizeConfig,
    days: DaySettings | None = None,
    seed: int = 0,
) -> float | None:
    """The sweep's first floor when today's throughput cannot be planned: the largest feasible
    floor (:func:`~polyslot.optimize.clinic.max_throughput_floor`) rounded down to a whole
    percent, less one percent (at the very edge the node-limited MIP rarely finds a template),
    or None when no floor of at least 5% is feasible."""
    from polyslot.optimize.clinic import max_throughput_floor

    cfg = dataclasses.replace(config, node_limit=config.frontier_node_limit)
    try:
        best = max_throughput_floor(model, weekday, cfg, days=days, seed=seed)
    except SolverError:
        return None
    if best is None or best < 0.06:
        return None
    return max(0.05, math.floor(best * 100 + 1e-9) / 100 - 0.01)


def _labelled(points: Sequence[FrontierPoint], served_today: bool) -> list[FrontierPoint]:
    out = []
    for i, p in enumerate(points):
        if i == 0 and served_today and p.throughput_floor >= 1.0:
            label = "serve everyone served today"
        elif i == 0:
            label = (
                f"most patients the staff allow ({p.throughput_floor:.1%} of today's "
                "throughput; today's cannot be planned)"
            )
        elif i == len(points) - 1:
            label = "finish on time"
        else:
            label = f"{p.throughput_floor:.0%} of today's booked minutes"
        out.append(dataclasses.replace(p, label=label))
    return out


def _fill(
    points: list[FrontierPoint], solve: Callable[[float, float], FrontierPoint | None], n: int
) -> list[FrontierPoint]:
    """Solve midpoints of the widest floor gaps until ``n`` efficient points (``n`` tries)."""
    tried: set[float] = set()
    for _ in range(n):
        if len(points) >= n or len(points) < 2:
            break
        gaps = sorted(
            (
                (a.throughput_floor - b.throughput_floor, a, b)
                for a, b in zip(points, points[1:], strict=False)
            ),
            key=lambda g: (-g[0], -g[1].throughput_floor),
        )
        pick = next(
            (
                (a, b)
                for gap, a, b in gaps
                if gap > 0.01
                and round((a.throughput_floor + b.throughput_floor) / 2, 4) not in tried
            ),
            None,
        )
        if pick is None:
            break
        a, b = pick
        floor = round((a.throughput_floor + b.throughput_floor) / 2, 4)
        tried.add(floor)
        p = solve(floor, round(math.sqrt(a.overtime_weight * b.overtime_weight), 4))
        if p is not None:
            points = efficient([*points, p])
    return points


def _note(points: Sequence[FrontierPoint], n: int, top: float | None) -> str:
    if len(points) >= n:
        return ""
    if top is None:
        return "no template can be planned at any throughput floor of the sweep"
    return (
        f"only {len(points)} distinct efficient templates between "
        f"{points[0].throughput_floor if points else top:.0%} and "
        f"{points[-1].throughput_floor if points else top:.0%} of today's throughput: the "
        "other floors gave the same slots or a template no better on wait, overtime or patients"
    )


def weekday_frontier(
    model: ClinicModel,
    weekday: int,
    config: OptimizeConfig,
    recommended: Iterable[Slot] | None,
    *,
    overloaded: bool,
    evaluate: Evaluate | None = None,
    gamma0: float = 1.0,
    days: DaySettings | None = None,
    seed: int = 0,
) -> WeekdayFrontier:
    """Today's template, the optimizer's recommendation and (overloaded) the sweep.

    The sweep runs from the largest feasible throughput floor (1 when the optimizer's
    recommendation holds today's throughput: that point is the recommendation itself, not
    solved again; else :func:`top_floor`) down to the on-time end, ``frontier_points`` floors
    evenly spaced. Duplicate and dominated templates are dropped and midpoints solved until
    there are ``frontier_points`` efficient templates (``note`` says why when there are fewer).
    The calibration of the waiting cuts starts from ``gamma0`` (the pipeline passes the factor
    the regular optimisation ended with), then from the previous point's factor: neighbouring
    points are alike, so it usually settles in one round.
    """
    current = [s for s in model.current_template.slots if s.weekday == weekday]
    # None: the weekday cannot be planned at today's throughput (only the sweep's lower floors)
    base = None if recommended is None else [s for s in recommended if s.weekday == weekday]
    today = point_kpis(model, current, "today", 1.0, config.w_overtime, evaluate)
    if not overloaded and base is not None:
        rec = point_kpis(model, base, "recommended", 1.0, config.w_overtime, evaluate)
        return WeekdayFrontier(weekday, (today, rec), 1, False)
    n = config.frontier_points
    top = 1.0 if base is not None else top_floor(model, weekday, config, days, seed)

    wall = []
    gamma = [gamma0]

    def solve(floor: float, weight: float) -> FrontierPoint | None:
        got = _solve_point(model, weekday, config, floor, weight, gamma[-1], days, seed)
        if got is None:
            return None
        wall.append(got[1])
        gamma.append(got[2])
        return point_kpis(model, got[0], "", floor, weight, evaluate)

    sweep: list[FrontierPoint] = []
    for k, (floor, weight) in enumerate(
        frontier_schedule(n, config.w_overtime, top) if top is not None else []
    ):
        if k == 0 and base is not None:
            sweep.append(point_kpis(model, base, "", floor, weight, evaluate))
        elif (p := solve(floor, weight)) is not None:
            sweep.append(p)
    sweep = _fill(efficient(sweep), solve, n)
    points = [today, *_labelled(sweep, base is not None)]
    return WeekdayFrontier(
        weekday,
        tuple(points),
        choose_point(points, config.policy),
        True,
        _note(sweep, n, top),
        sum(wall),
    )


def plan_weekdays(
    model: ClinicModel,
    config: OptimizeConfig,
    overloaded: set[int],
    *,
    days: DaySettings | None = None,
    seed: int = 0,
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
            # an overloaded weekday's throughput floor is the frontier's to lower
            res, day_slots = optimize_weekday(
                model, d, config, gamma, days=days, seed=seed, relax_throughput=d not in overloaded
            )
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
