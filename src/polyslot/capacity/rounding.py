"""Integer plans from fractional solutions of the capacity model (the incumbents of the solve).

:func:`round_from` tries, cheapest first, per-row rounding (:func:`round_bookings`), the
day-by-day dive of :mod:`polyslot.capacity.dive` and capacity-aware bookings
(:func:`capacity_aware_bookings`); each plan's revisit flows are re-solved with the bookings
fixed (:func:`fix_bookings`). docs/capacity.md, "How the model is solved", step 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pulp

from polyslot.capacity.dive import best_record, dive
from polyslot.capacity.highs_copy import HighsCopy, PulpCopy
from polyslot.optimize.solver import SolveRecord, SolveStatus, solve

if TYPE_CHECKING:
    from polyslot.capacity.model import CapacityModel

__all__ = [
    "capacity_aware_bookings",
    "fix_bookings",
    "integer_reservations",
    "round_bookings",
    "round_from",
]


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


def integer_reservations(model: CapacityModel, values: dict[str, float]) -> dict[int, int]:
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


def fix_bookings(
    model: CapacityModel, copy: HighsCopy | PulpCopy, fixed: dict[tuple[int, int], int], tl: float
) -> SolveRecord | None:
    """Fix every ``z`` to ``fixed`` (0 where absent) and solve the LP that remains (RV flows)."""
    names = {var.name: float(fixed.get(k, 0)) for k, var in model.z.items()}
    rec = copy.lp(fixed=names, time_limit=tl)
    return rec if rec.status == SolveStatus.OPTIMAL else None


def round_from(
    model: CapacityModel,
    copy: HighsCopy | PulpCopy,
    values: Mapping[str, float],
    opts: dict[str, Any],
    good: Callable[[SolveRecord | None], bool],
    caps: dict[str, float] | None,
    left: Callable[[], float],
) -> SolveRecord | None:
    """Best integer plan rounded from a fractional solution, cheapest first, stopping when one is
    ``good``: per-row rounding (:func:`round_bookings`); the day-by-day dive
    (:func:`polyslot.capacity.dive.dive`, under the cut bounds ``caps``; skipped when ``caps`` is
    None); capacity-aware bookings at the solution's peak (then half a first visit and one
    first visit above it). Each with the RV flows re-solved for the fixed bookings."""
    best = fix_bookings(model, copy, round_bookings(model, dict(values)), left())
    if good(best):
        return best
    for carry in (0.0, 0.5):  # each day's total rounded down, then to the nearest
        if caps is None:
            break
        _fixed, dived = dive(model, copy, values, caps, left(), carry)
        rounded = fix_bookings(model, copy, round_bookings(model, dict(dived)), left())
        best = best_record([best, rounded])
        if good(best):
            return best
    reserved = integer_reservations(model, dict(values))
    peak = values.get("q", 0.0)
    for extra in (0.0, 0.5, 1.0):
        fixed = capacity_aware_bookings(
            model, dict(values), reserved, peak + extra * model.inp.tau_fv, opts
        )
        if fixed is not None:
            aware = fix_bookings(model, copy, fixed, left())
            if aware is not None:
                return best_record([best, aware])
    return best
