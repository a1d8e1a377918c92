"""optimize_clinic: the allocation MIP + calibration + sequencing for every weekday of a clinic."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.day import model_discipline
from polyslot.distributions import expected_unmet
from polyslot.errors import SolverError
from polyslot.evaluation.day_settings import DaySettings
from polyslot.optimize.allocation import Curves, build_allocation
from polyslot.optimize.allocation_waiting import CalibrationRound, calibrate
from polyslot.optimize.build_template import DayTotals, build_weekday_slots, day_totals
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.infeasibility import (
    RELAX_STEPS,
    explain_infeasibility,
    smallest_relaxation,
)
from polyslot.optimize.sequencing import pad_services
from polyslot.optimize.solver import SolveRecord, SolveStatus, solve_configured
from polyslot.optimize.waiting_curves import curves_for
from polyslot.optimize.weekday_inputs import WeekdayInputs, current_throughput, weekday_inputs
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = [
    "WeekdayResult",
    "OptimizeResult",
    "optimize_clinic",
    "optimize_weekday",
    "max_throughput_floor",
]


#: One calibration round's solution: the solve record, slots per (bucket, visit type), terms.
_Solution = tuple[SolveRecord, dict[tuple[int, int], int], dict[str, float]]


@dataclass(frozen=True)
class WeekdayResult:
    """_Solution and KPIs of one weekday."""

    weekday: int
    record: SolveRecord
    counts: dict[tuple[int, str], int]
    terms: dict[str, float]
    calibration: tuple[CalibrationRound, ...]
    recommended: DayTotals
    current: DayTotals
    throughput_current: float
    throughput_recommended: float
    slots_current: int
    slots_recommended: int
    conflicts: tuple[str, ...] = ()
    relaxation: tuple[str, ...] = ()
    #: Whether any solve of the weekday (calibration rounds included) stopped at the wall-clock
    #: time limit rather than at the deterministic limits.
    wall_clock_limit_hit: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        last = self.calibration[-1]
        return {
            "weekday": WEEKDAYS[self.weekday],
            **self.record.to_dict(),
            "objective_terms": {k: round(v, 4) for k, v in self.terms.items()},
            "calibration": [
                {
                    "gamma": round(r.gamma, 6),
                    "predicted_wait": round(r.predicted_wait, 4),
                    "exact_wait": round(r.exact_wait, 4),
                    "rel_error": round(r.rel_error, 6),
                }
                for r in self.calibration
            ],
            "predicted_wait": round(last.predicted_wait, 4),
            "exact_wait_calibration": round(last.exact_wait, 4),
            "calibrated_within_tolerance": bool(last.rel_error <= 0.05 + 1e-12),
            "recommended": self.recommended.to_dict(),
            "current": self.current.to_dict(),
            "throughput_current": round(self.throughput_current, 4),
            "throughput_recommended": round(self.throughput_recommended, 4),
            "slots_current": self.slots_current,
            "slots_recommended": self.slots_recommended,
            "relaxed": bool(self.relaxation),
            "conflicts": list(self.conflicts),
            "relaxation": list(self.relaxation),
            "wall_clock_limit_hit": self.wall_clock_limit_hit,
        }


@dataclass(frozen=True)
class OptimizeResult:
    """Recommended template, per-weekday results and the wall time."""

    template: SlotTemplate
    weekdays: dict[int, WeekdayResult] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the ``optimize_summary.json`` entry of a polyclinic)."""
        statuses = {w.record.status.value for w in self.weekdays.values()}
        return {
            "polyclinic_id": self.template.polyclinic_id,
            "status": "optimal" if statuses <= {"optimal"} else ",".join(sorted(statuses)),
            "relaxed_weekdays": [WEEKDAYS[d] for d, w in self.weekdays.items() if w.relaxation],
            # weekdays whose result may depend on the machine's load (see OptimizeConfig)
            "wall_clock_limited_weekdays": [
                WEEKDAYS[d] for d, w in self.weekdays.items() if w.wall_clock_limit_hit
            ],
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "weekdays": [w.to_dict() for w in self.weekdays.values()],
        }


def _curves(model: ClinicModel, inp: WeekdayInputs, days: DaySettings, seed: int) -> Curves:
    """The weekday's waiting curves per number of doctors sharing a queue
    (:mod:`polyslot.optimize.waiting_curves`), for the day's demand-weighted consultation mix."""
    weights = np.asarray(inp.demand_mean, float)
    if weights.sum() <= 0:
        weights = np.ones(len(inp.visit_types))
    weights = weights / weights.sum()
    pmfs = pad_services([model.service_for(v).pmf for v in inp.visit_types])
    mix = weights @ pmfs
    p = float(np.mean([weights @ np.asarray(row) for row in inp.no_show])) if inp.no_show else 0.0
    discipline = model_discipline(model, days.discipline)
    # slot_minutes of the PMF grid; the curves work in minutes
    return curves_for(
        mix / mix.sum(), p, inp.bucket_minutes, inp.servers, discipline, model.slot_minutes,
        seed=seed, absence=(model.absence.on(inp.weekday), model.absence.lost),
    )


#: Precision of the clinic days the optimizer evaluates (calibration, layouts): coarser than the
#: verdict's, since candidates are compared on common random numbers.
PLANNING_REL_SE = 0.03
PLANNING_ABS_SE = 0.1


def planning_precision(days: DaySettings) -> DaySettings:
    """``days`` at the optimizer's precision (:data:`PLANNING_REL_SE`)."""
    return dataclasses.replace(
        days,
        rel_se=max(days.rel_se, PLANNING_REL_SE),
        abs_se=max(days.abs_se, PLANNING_ABS_SE),
        max_replications=min(days.max_replications, 1024),
    )


class _WeekdaySolver:
    """The allocation MIP of one weekday solved at a calibration factor, with the
    ``on_infeasible = "relax"`` path (see :func:`optimize_weekday`)."""

    def __init__(
        self,
        inp: WeekdayInputs,
        config: OptimizeConfig,
        curve: Curves,
        weekday: int,
        steps: tuple[str, ...] | None,
        explain: bool,
    ) -> None:
        self.inp, self.config, self.curve, self.weekday = inp, config, curve, weekday
        self.steps, self.explain = steps, explain
        self.relax: dict[str, float] = {}
        self.fallback: dict[tuple[int, int], int] = {}
        self.notes: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        self.wall: list[bool] = []  # a solve stopped by the wall clock
        self.priced = False  # explain=False: coverage and the ceiling are priced

    def run(self, problem: Any) -> SolveRecord:
        rec = solve_configured(problem, self.config)
        self.wall.append(rec.wall_clock_limit_hit)
        return rec

    def build(self, gamma: float) -> Any:
        """The MIP at ``gamma``: the plain one, or with the relaxed requirements priced (see
        :func:`build_allocation`'s ``penalise``)."""
        inp, config, curve = self.inp, self.config, self.curve
        if self.priced:
            return build_allocation(
                inp, config, curve, gamma, penalise_families=("cover", "staff")
            )
        if not self.relax:
            return build_allocation(inp, config, curve, gamma)
        soft = {k: v for k, v in self.relax.items() if k.startswith(("cover_", "staff_"))}
        hard = {k: v for k, v in self.relax.items() if k not in soft}
        return build_allocation(inp, config, curve, gamma, relax=hard, penalise=soft)

    def _learn(self, found: tuple[dict[str, float], Any]) -> None:
        slacks, err = found
        self.fallback.update(err.counts)
        if slacks:
            self.relax.update({k: v + 1e-6 for k, v in slacks.items()})
            self.notes.append((tuple(err.conflicts), tuple(err.relaxation)))

    def first_relaxation(self, gamma: float) -> tuple[Any, SolveRecord]:
        """The relaxed MIP after the plain one proved infeasible."""
        if not self.explain:
            self.priced = True
        else:
            found = smallest_relaxation(self.inp, self.config, self.curve, self.steps)
            if found is None:
                raise explain_infeasibility(self.inp, self.config, self.curve)
            self._learn(found)
        am = self.build(gamma)
        return am, self.run(am.problem)

    def solve_with(self, gamma: float) -> tuple[_Solution, float]:
        """Solve at ``gamma``: the solution and the MIP's predicted waiting."""
        inp, config = self.inp, self.config
        am = self.build(gamma)
        rec = self.run(am.problem)
        fresh = not (self.relax or self.priced)
        if rec.status is SolveStatus.INFEASIBLE and fresh and config.on_infeasible == "relax":
            am, rec = self.first_relaxation(gamma)
        if rec.status is SolveStatus.NOT_SOLVED and not self.fallback:
            # no incumbent in time (not proven infeasible): the elastic model, whose slack makes
            # a feasible start easy to find, gives slots feasible for the least-relaxed model
            found = smallest_relaxation(inp, config, self.curve, self.steps)
            if found is not None:
                self._learn(found)
                am = self.build(gamma)
        if rec.status is SolveStatus.NOT_SOLVED and self.fallback:
            # no incumbent within the time limit: fix the slots to the elastic solution's
            # (feasible for the relaxed model) and solve the remaining LP
            for hv, var in am.x.items():
                var.lowBound = var.upBound = self.fallback.get(hv, 0)
            rec = self.run(am.problem)
            rec = dataclasses.replace(rec, status=SolveStatus.FEASIBLE, gap=None)
        if rec.status is SolveStatus.NOT_SOLVED:
            raise SolverError(
                f"{WEEKDAYS[self.weekday]}: no solution within the time limit "
                f"({config.time_limit} s); raise time_limit"
            )
        if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            raise explain_infeasibility(inp, config, self.curve)
        counts = {(h, v): int(round(rec.values.get(var.name, 0.0))) for (h, v), var in am.x.items()}
        terms = {
            k: float(sum(rec.values.get(t.name, 0.0) * c for t, c in e.items()) + e.constant)
            for k, e in am.terms.items()
        }
        if self.explain:
            for name, var in am.slack.items():  # the relaxation used (the smallest, to 1e-6)
                used = float(rec.values.get(var.name, 0.0))
                if used > self.relax.get(name, 0.0) + 1e-6:
                    self.relax[name] = used
        return (rec, counts, terms), terms["wait"]


def optimize_weekday(
    model: ClinicModel,
    weekday: int,
    config: OptimizeConfig,
    gamma0: float = 1.0,
    *,
    days: DaySettings | None = None,
    seed: int = 0,
    relax_throughput: bool = True,
    explain: bool = True,
) -> tuple[WeekdayResult, list[Slot]]:
    """Solve, calibrate and sequence one weekday (calibration starts from ``gamma0``).

    The MIP's waiting curves are the one model's per number of doctors on duty; calibration and
    sequencing evaluate the built weekday with the one model (``days``: how the run builds and
    evaluates its clinic days; ``seed``: the polyclinic's seed, paired with the verdict's days).

    With ``on_infeasible = "relax"`` the smallest relaxation of demand coverage and the
    utilisation ceiling is applied, and, when that is not enough and ``relax_throughput``,
    of the throughput floor (:data:`~polyslot.optimize.infeasibility.RELAX_STEPS`). The
    trade-off frontier passes ``relax_throughput=False``: it lowers the floor itself, and
    ``explain=False``: a point's relaxation of coverage and the ceiling is found by the relaxed
    MIP itself (one solve) and not reported.

    Raises
    ------
    polyslot.errors.InfeasibleError
        With the conflicting requirements and the smallest relaxation.
    """
    days = planning_precision(days or DaySettings())
    inp = weekday_inputs(model, weekday, config)
    curve = _curves(model, inp, days, seed)
    vts = inp.visit_types

    solver = _WeekdaySolver(
        inp, config, curve, weekday, None if relax_throughput else RELAX_STEPS[0], explain
    )

    def modelled(sol: _Solution) -> float:
        _, counts, _ = sol
        built = build_weekday_slots(
            model, inp, counts, config, sequence=False, days=days, seed=seed
        )
        return day_totals(model, weekday, built, days, seed).total_wait

    (rec, counts, terms), rounds = calibrate(
        solver.solve_with,
        modelled,
        config.calibration_tolerance,
        config.max_calibration_rounds,
        gamma0,
    )
    notes, wall = solver.notes, solver.wall
    slots = build_weekday_slots(model, inp, counts, config, sequence=True, days=days, seed=seed)
    kpi = day_totals(model, weekday, slots, days, seed)
    current_slots = [s for s in model.current_template.slots if s.weekday == weekday]
    cur_kpi = day_totals(model, weekday, current_slots, days, seed)
    thr_new = sum(
        inp.demand_mean[v]
        - expected_unmet(
            inp.demand_mean[v],
            inp.demand_var[v],
            sum(n for (h, vv), n in counts.items() if vv == v),
        )
        for v in range(len(vts))
    )
    named = {(inp.buckets[h], vts[v]): n for (h, v), n in counts.items() if n > 0}
    res = WeekdayResult(
        weekday,
        rec,
        named,
        terms,
        tuple(rounds),
        kpi,
        cur_kpi,
        current_throughput(inp),
        thr_new,
        len(current_slots),
        len(slots),
        notes[0][0] if notes else (),
        notes[0][1] if notes else (),
        any(wall),
    )
    return res, slots


def max_throughput_floor(
    model: ClinicModel,
    weekday: int,
    config: OptimizeConfig,
    *,
    days: DaySettings | None = None,
    seed: int = 0,
) -> float | None:
    """The largest throughput floor (share of today's expected throughput) at which
    :func:`optimize_weekday` can plan ``weekday``: one MIP that maximises the floor, demand
    coverage and the utilisation ceiling relaxable as in the ``relax`` path, every other
    requirement held; None when no floor is feasible or the solver found none."""
    inp = weekday_inputs(model, weekday, config)
    curves = _curves(model, inp, days or DaySettings(), seed)
    am = build_allocation(
        inp, config, curves, elastic=True, soft_families=("cover", "staff"), max_floor=True,
    )  # fmt: skip
    rec = solve_configured(am.problem, config)
    if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return None
    return float(rec.values.get("throughput_floor", 0.0))


def _weekdays(model: ClinicModel) -> list[int]:
    days = {s.weekday for s in model.sessions} | set(model.opening)
    return sorted(days)


def optimize_clinic(
    model: ClinicModel,
    config: OptimizeConfig | None = None,
    *,
    days: DaySettings | None = None,
    seed: int = 0,
) -> OptimizeResult:
    """Recommended SlotTemplate of one polyclinic with per-weekday solution records and KPIs.

    Parameters
    ----------
    model : ClinicModel
    config : OptimizeConfig, optional
    days : DaySettings, optional
        How clinic days are built and evaluated (discipline, late policy, precision).
    seed : int
        Seed of the clinic days evaluated (per weekday :func:`~polyslot.evaluation.day_seed`).

    Raises
    ------
    polyslot.errors.InfeasibleError
        When a weekday's requirements conflict (message names the bucket and the numbers).
    polyslot.errors.SolverError
        When no MIP solver is available.
    """
    config = config or OptimizeConfig()
    t0 = time.perf_counter()
    c0 = time.process_time()
    results: dict[int, WeekdayResult] = {}
    slots: list[Slot] = []
    gamma = 1.0
    for d in _weekdays(model):
        if not any(s.weekday == d for s in model.sessions):
            continue
        # weekdays of a clinic are alike: start each calibration where the last one ended
        res, day_slots = optimize_weekday(model, d, config, gamma, days=days, seed=seed)
        gamma = res.calibration[-1].gamma
        results[d] = res
        slots.extend(day_slots)
    template = SlotTemplate(model.polyclinic_id, tuple(slots), config.bucket_minutes, "recommended")
    return OptimizeResult(template, results, time.perf_counter() - t0, time.process_time() - c0)
