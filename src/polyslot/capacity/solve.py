"""Solving the capacity MILP: LP bound, rounded incumbents, branch and bound only when needed.

:func:`solve_capacity` returns a :class:`SolveOutcome`: the best plan found, the best lower bound
on the objective known (the LP relaxation, or the bound branch and bound proved), the relative
gap between them and a status a planner can read:

* ``optimal``: the gap is closed (<= 1e-6);
* ``feasible_within_gap``: the plan is within the accepted ``gap_rel`` of the bound;
* ``time_limit``: branch and bound stopped at the time limit with a larger gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pulp

from polyslot.optimize.solver import SolveRecord, SolveStatus, solve

if TYPE_CHECKING:
    from polyslot.capacity.model import CapacityModel

__all__ = ["PLAN_STATUSES", "SolveOutcome", "solve_capacity", "relative_gap"]

PLAN_STATUSES = ("optimal", "feasible_within_gap", "time_limit")
_CLOSED = 1e-6


@dataclass(frozen=True)
class SolveOutcome:
    """Best plan found and how good it is known to be.

    Attributes
    ----------
    record : SolveRecord
        The plan's values and objective; ``record.time`` is the total solve time (seconds).
    lower_bound : float
        Best known lower bound on the objective.
    gap : float
        ``(objective - lower_bound) / objective`` (0 when closed).
    status : str
        One of :data:`PLAN_STATUSES`.
    """

    record: SolveRecord
    lower_bound: float
    gap: float
    status: str


def relative_gap(objective: float, bound: float) -> float:
    """``max(0, objective - bound) / max(|objective|, 1e-9)``."""
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def _fix_and_solve(
    model: CapacityModel, fixed: dict[tuple[int, int], int], opts: dict[str, Any]
) -> SolveRecord | None:
    """Fix every ``z`` to ``fixed`` and solve the LP that remains (the RV flows)."""
    for (i, j), var in model.z.items():
        var.lowBound = var.upBound = fixed.get((i, j), 0)
    try:
        rec = solve(model.prob, **opts)
    finally:
        for var in model.z.values():
            var.lowBound, var.upBound = 0, None
    return rec if rec.status == SolveStatus.OPTIMAL else None


def _meet_lead_targets(model: CapacityModel, fixed: dict[tuple[int, int], int]) -> None:
    """Move units to the shortest lead of their arrival period until median / pth targets hold."""
    inp = model.inp
    first = {i: min(j for (i2, j) in model.z if i2 == i) for i in range(inp.S)}
    for frac, lim in ((0.5, inp.targets.median), (inp.targets.p / 100.0, inp.targets.percentile)):
        total = sum(fixed.values())
        short = sum(n for (i, j), n in fixed.items() if j - i <= lim)
        moves = sorted((-(j - i), i, j) for (i, j), n in fixed.items() if j - i > lim and n > 0)
        for _, i, j in moves:
            while fixed[i, j] > 0 and short < frac * total - 1e-9 and first[i] - i <= lim:
                fixed[i, j] -= 1
                fixed[i, first[i]] += 1
                short += 1


def round_bookings(
    model: CapacityModel, values: dict[str, float], reserved: dict[int, int] | None = None
) -> dict[tuple[int, int], int]:
    """Integer bookings from fractional ``z`` values.

    Each arrival period's total ``s_i`` becomes ``reserved[i]`` when given, else the LP total
    rounded up (which keeps the chance constraint: ``F_i`` is nondecreasing). Its units go to
    the cells with the largest fractional parts (cells with more LP mass first when units must
    be added or removed beyond them); then units move to the shortest lead of their arrival
    period until the median and percentile targets hold.
    """
    by_i: dict[int, list[tuple[int, pulp.LpVariable]]] = {}
    for (i, j), var in model.z.items():
        by_i.setdefault(i, []).append((j, var))
    fixed: dict[tuple[int, int], int] = {}
    for i, cells in by_i.items():
        vals = np.array([max(0.0, values.get(var.name, 0.0)) for _, var in cells])
        target = reserved[i] if reserved is not None else math.ceil(vals.sum() - 1e-6)
        base = np.floor(vals + 1e-6)
        extra = target - int(base.sum())
        if extra >= 0:
            order = np.argsort(-(vals - base), kind="stable")
            for k in np.resize(order, extra):  # cycles when more units than cells are asked
                base[k] += 1
        else:
            for k in np.argsort(vals - base, kind="stable"):
                while extra < 0 and base[k] > 0:
                    base[k] -= 1
                    extra += 1
        for (j, _), n in zip(cells, base, strict=True):
            fixed[i, j] = int(n)
    _meet_lead_targets(model, fixed)
    return fixed


def _integer_reservations(model: CapacityModel, values: dict[str, float]) -> dict[int, int]:
    """Integer ``s_i`` from the LP: rounded up, then (joint form) lowered one unit at a time
    where the joint chance constraint ``sum_i log F_i(s_i) >= log(1 - eps)`` still holds,
    cheapest loss of log-probability first."""
    inp = model.inp
    lp_s = [0.0] * inp.S
    for (i, _j), var in model.z.items():
        lp_s[i] += max(0.0, values.get(var.name, 0.0))
    s = [math.ceil(v - 1e-6) for v in lp_s]
    if model.method != "joint":
        return dict(enumerate(s))
    floor = [d.quantile(1.0 - inp.epsilon) for d in inp.demand]
    s = [max(v, f) for v, f in zip(s, floor, strict=True)]
    # log F_i(k) for k = floor_i .. s_i, one vectorised call per period
    logs = [
        np.asarray(d.log_cdf(np.arange(f, v + 1)), dtype=float)
        for d, f, v in zip(inp.demand, floor, s, strict=True)
    ]
    budget = sum(float(h[-1]) for h in logs) - math.log1p(-inp.epsilon)
    while True:
        best, loss = -1, math.inf
        for i, h in enumerate(logs):
            k = s[i] - floor[i]
            if k > 0:
                step = float(h[k] - h[k - 1])
                if step < loss and step <= budget - 1e-12:
                    best, loss = i, step
        if best < 0:
            return dict(enumerate(s))
        s[best] -= 1
        budget -= loss


def _daily_rv(model: CapacityModel, values: dict[str, float]) -> list[float]:
    """RV patients seen per period in a solution (pre-booked plus inflows)."""
    nr = list(model.inp.prebooked_rv)
    for flows in (model.x, model.y):
        for (_i, j), var in flows.items():
            if isinstance(j, int):
                nr[j] += values.get(var.name, 0.0)
    return nr


def capacity_aware_bookings(
    model: CapacityModel,
    values: dict[str, float],
    reserved: dict[int, int],
    peak: float,
    opts: dict[str, Any],
) -> dict[tuple[int, int], int] | None:
    """Integer bookings that keep every day under ``peak`` minutes, given the LP's RV load.

    Day ``j`` takes at most ``floor((peak - tau_rv * nr_j) / tau_fv) - rf_j`` booked first
    visits, ``nr_j`` from ``values``; each arrival period books exactly ``reserved[i]``; the
    median and percentile lead targets hold; among such bookings the one with the shortest total
    lead is taken. Apart from the two lead-time rows this is a transportation problem (a network
    matrix), so the simplex vertex is integral but for a few cells, which :func:`round_bookings`
    rounds. Returns None when it is infeasible.
    """
    inp = model.inp
    nr = _daily_rv(model, values)
    cap = [
        max(0, math.floor((peak - inp.tau_rv * nr[j]) / inp.tau_fv + 1e-9) - inp.prebooked_fv[j])
        for j in range(inp.T)
    ]
    prob = pulp.LpProblem("fv_transport", pulp.LpMinimize)
    var = {(i, j): pulp.LpVariable(f"t_{i}_{j}", lowBound=0) for (i, j) in model.z}
    rows: dict[int, list[pulp.LpVariable]] = {}
    cols: dict[int, list[pulp.LpVariable]] = {}
    for (i, j), v in var.items():
        rows.setdefault(i, []).append(v)
        cols.setdefault(j, []).append(v)
    prob += pulp.lpSum((j - i) * v for (i, j), v in var.items())
    for i, vs in rows.items():
        prob += pulp.lpSum(vs) == reserved[i], f"row_{i}"
    for j, vs in cols.items():
        prob += pulp.lpSum(vs) <= cap[j], f"col_{j}"
    total = sum(reserved.values())
    for frac, lim in ((0.5, inp.targets.median), (inp.targets.p / 100.0, inp.targets.percentile)):
        prob += pulp.lpSum(v for (i, j), v in var.items() if j - i <= lim) >= frac * total
    rec = solve(prob, str(opts["solver"]), time_limit=float(opts["time_limit"]), gap_rel=0.0)
    if rec.status != SolveStatus.OPTIMAL:
        return None
    named = {model.z[k].name: rec.values.get(v.name, 0.0) for k, v in var.items()}
    return round_bookings(model, named, reserved)


def _best(records: Iterable[SolveRecord | None]) -> SolveRecord | None:
    cands = [r for r in records if r is not None and r.objective is not None]
    return min(cands, key=lambda r: r.objective) if cands else None  # type: ignore[arg-type,return-value]


def _outcome(rec: SolveRecord, bound: float, spent: float, limit_hit: bool, gap_rel: float):
    gap = relative_gap(rec.objective or 0.0, bound)
    if gap <= _CLOSED:
        status = "optimal"
    elif limit_hit and gap > gap_rel + 1e-12:
        status = "time_limit"
    else:
        status = "feasible_within_gap"
    solver_status = SolveStatus.OPTIMAL if status != "time_limit" else SolveStatus.FEASIBLE
    rec = replace(rec, status=solver_status, gap=gap, time=spent, bound=bound)
    return SolveOutcome(rec, bound, gap, status)


def _relax(
    model: CapacityModel, opts: dict[str, Any], bounds: dict[pulp.LpVariable, float] | None = None
) -> SolveRecord:
    """The LP relaxation (``z`` continuous), with upper ``bounds`` on variables for this solve."""
    saved = {var: var.upBound for var in bounds or {}}
    for var in model.z.values():
        var.cat = pulp.LpContinuous
    for var, ub in (bounds or {}).items():
        var.upBound = ub
    try:
        return solve(model.prob, **opts)
    finally:
        for var in model.z.values():
            var.cat = pulp.LpInteger
        for var, ub in saved.items():
            var.upBound = ub


def peak_cuts(model: CapacityModel, peak: float) -> dict[pulp.LpVariable, float] | None:
    """``q <= peak`` and, on the periods no revisit flow reaches (``model.fv_count``), the integer
    rounding ``n_j <= floor((peak - tau_rv rr_j) / tau_fv - rf_j)``, as variable bounds.

    Valid for every integer plan whose peak is at most ``peak``: there the load is
    ``tau_fv n_j + tau_rv rr_j`` with an integer FV count ``n_j``. None when some period's bound
    is negative (no such plan).
    """
    inp = model.inp
    cuts = {model.q: peak}
    for j, n in model.fv_count.items():
        room = (peak - inp.tau_rv * inp.prebooked_rv[j]) / inp.tau_fv - inp.prebooked_fv[j]
        cap = math.floor(room + 1e-9)
        if cap < 0:
            return None
        cuts[n] = cap
    return cuts


def _round_from(
    model: CapacityModel, values: dict[str, float], opts: dict[str, Any], good: Any = None
) -> SolveRecord | None:
    """Best integer plan rounded from a fractional solution: per-row rounding
    (:func:`round_bookings`), then, unless that plan is already ``good``, capacity-aware
    bookings at the solution's peak (then half a first visit and one first visit above it);
    the RV flows re-solved with the bookings fixed."""
    rounded = _fix_and_solve(model, round_bookings(model, values), opts)
    if good is not None and good(rounded):
        return rounded
    reserved = _integer_reservations(model, values)
    peak = values.get("q", 0.0)
    for extra in (0.0, 0.5, 1.0):
        fixed = capacity_aware_bookings(
            model, values, reserved, peak + extra * model.inp.tau_fv, opts
        )
        if fixed is not None:
            aware = _fix_and_solve(model, fixed, opts)
            if aware is not None:
                return _best([rounded, aware])
    return rounded


def solve_capacity(model: CapacityModel, opts: dict[str, Any]) -> SolveOutcome | SolveRecord:
    """LP bound and rounded incumbents; a stronger bound from integer-rounding cuts; branch and
    bound only when the gap is still above ``opts["gap_rel"]``.

    The cut step evaluates, for a trial peak ``B``, the relaxation with :func:`peak_cuts`:
    every integer plan either has a peak above ``B`` or is feasible for it, so
    ``min(B, its optimum)`` (``B`` when it is infeasible) is a lower bound on the objective.
    ``B`` is bisected between the bound and the incumbent, and each feasible cut relaxation is
    rounded into a new incumbent. Returns the LP's SolveRecord when it is not solved (infeasible
    or failed), else a :class:`SolveOutcome`.
    """
    t0 = time.perf_counter()
    gap_rel = float(opts["gap_rel"])
    lp = _relax(model, opts)
    if lp.status != SolveStatus.OPTIMAL or lp.objective is None:
        return lp
    bound = lp.objective

    def good(rec: SolveRecord | None) -> bool:
        return rec is not None and relative_gap(rec.objective or 0.0, bound) <= gap_rel

    def done() -> bool:
        return good(best)

    best = _round_from(model, lp.values, opts, good)

    days = model.fv_count
    lo = bound
    hi = best.objective if best is not None and best.objective is not None else bound * 1.05
    for k in range(8):
        if done() or not days:
            break
        trial = hi * (1.0 - gap_rel) if k == 0 and gap_rel > 0 else 0.5 * (lo + hi)
        trial = max(trial, lo)
        cuts = peak_cuts(model, trial)
        rec = _relax(model, opts, cuts) if cuts is not None else None
        if rec is None or rec.status != SolveStatus.OPTIMAL or rec.objective is None:
            bound = lo = max(bound, trial)
            continue
        bound = max(bound, min(trial, rec.objective))
        if rec.objective <= trial:
            hi = trial
            best = _best([best, _round_from(model, rec.values, opts, good)])
        else:
            lo = trial
    if best is not None and best.objective is not None:
        bound = min(bound, best.objective)
    if done():
        return _outcome(best, bound, time.perf_counter() - t0, False, gap_rel)  # type: ignore[arg-type]
    left = max(0.1, float(opts["time_limit"]) - (time.perf_counter() - t0))
    mip = solve(model.prob, **{**opts, "time_limit": left})
    if mip.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) and mip.objective is not None:
        if mip.bound is not None:
            bound = max(bound, mip.bound)
        elif mip.status == SolveStatus.OPTIMAL and not mip.time_limit_hit:  # CBC: gap_rel met
            bound = max(bound, mip.objective * (1.0 - gap_rel))
    top = _best([best, mip])
    if top is None:
        return replace(mip, time=time.perf_counter() - t0)
    bound = min(bound, top.objective or bound)
    return _outcome(top, bound, time.perf_counter() - t0, mip.time_limit_hit, gap_rel)
