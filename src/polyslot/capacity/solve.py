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


def solve_capacity(
    model: CapacityModel,
    opts: dict[str, Any],
    incumbents: Iterable[dict[tuple[int, int], int]] = (),
) -> SolveOutcome | SolveRecord:
    """LP bound, rounded incumbents, then branch and bound only if no incumbent is within
    ``opts["gap_rel"]`` of the bound.

    ``incumbents`` are extra integer bookings to try (for example the Boole plan, which is
    always feasible for the joint form). Returns the LP's SolveRecord when it is not solved
    (infeasible or failed), else a :class:`SolveOutcome`.
    """
    t0 = time.perf_counter()
    for var in model.z.values():
        var.cat = pulp.LpContinuous
    try:
        lp = solve(model.prob, **opts)
    finally:
        for var in model.z.values():
            var.cat = pulp.LpInteger
    if lp.status != SolveStatus.OPTIMAL or lp.objective is None:
        return lp
    bound = lp.objective
    gap_rel = float(opts["gap_rel"])
    tries = [round_bookings(model, lp.values), *incumbents]
    best = _best(_fix_and_solve(model, fixed, opts) for fixed in tries)
    if best is not None and relative_gap(best.objective or 0.0, bound) <= gap_rel:
        return _outcome(best, bound, time.perf_counter() - t0, False, gap_rel)
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
