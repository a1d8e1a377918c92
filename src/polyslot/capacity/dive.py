"""Primal heuristics of the capacity solve: a day-by-day dive and the least total reservation.

:func:`dive` fixes the first-visit bookings one visit day at a time, in calendar order: the
day's cells are rounded so that the day's total is an integer (an arrival period's last
cell is rounded up) and rounded down, and the LP of what is still free is solved again, so
the later days, the revisit flows and the other reservations absorb each rounding. Rounding
down matters: a day rounded up to a whole first visit more than the LP spread there sets a peak
20 minutes (one first visit) above the bound that nothing later can lower, while the fraction
left over moves to later days, where the revisit flows even it out. Fixing whole days keeps every
day's first-visit count integer as soon as it is decided, which is what the peak depends on.
A day whose rounding leaves the LP infeasible (usually the lead-time percentile) is retried with
its short-lead cells rounded up, and else left to the final per-row rounding.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from polyslot.capacity.chance import bonferroni_levels, joint_bounds
from polyslot.capacity.highs_copy import HighsCopy, PulpCopy
from polyslot.optimize.solver import SolveRecord, SolveStatus

if TYPE_CHECKING:
    from polyslot.capacity.model import CapacityModel

__all__ = ["dive", "least_reservation"]


def _round_day(
    cells: list[tuple[int, str]],
    vals: np.ndarray,
    last: dict[int, int],
    j: int,
    up_lead: int,
    carry: float,
) -> np.ndarray:
    """Integer cells of day ``j``, the day's total rounded down once ``carry`` (0: always;
    0.5: to the nearest) is added; cells that close their arrival period (or have a lead
    ``<= up_lead``) are rounded up."""
    forced = np.array([last[i] == j or j - i <= up_lead for i, _ in cells])
    base = np.where(forced, np.ceil(vals - 1e-6), np.floor(vals + 1e-6))
    total = math.floor(float(vals.sum()) + carry + 1e-6)
    extra = max(total, int(base.sum())) - int(base.sum())
    order = [k for k in np.argsort(-(vals - base), kind="stable") if not forced[k]]
    for k in order[:extra]:
        base[k] += 1
    return base


def dive(
    model: CapacityModel,
    copy: HighsCopy | PulpCopy,
    values: Mapping[str, float],
    caps: Mapping[str, float],
    time_limit: float,
    carry: float = 0.0,
) -> tuple[dict[str, float], Mapping[str, float]]:
    """Fix the bookings day by day from the fractional ``values`` (module docstring).

    ``caps`` are extra upper bounds kept during the dive (the integer-rounding cuts); ``carry``
    0 rounds each day's total down, 0.5 to the nearest integer. Returns
    the fixed cells (by variable name) and the last LP values; the caller rounds the cells that
    are still free and re-solves the revisit flows.
    """
    last: dict[int, int] = {}
    into: dict[int, list[tuple[int, str]]] = {}
    for (i, j), var in model.z.items():
        last[i] = max(last.get(i, -1), j)
        into.setdefault(j, []).append((i, var.name))
    fixed: dict[str, float] = {}
    for j in sorted(into):
        cells = into[j]
        vals = np.array([max(0.0, values.get(name, 0.0)) for _, name in cells])
        for up_lead in (-1, model.inp.targets.median):
            trial = dict(fixed)
            for (_i, name), n in zip(
                cells, _round_day(cells, vals, last, j, up_lead, carry), strict=True
            ):
                trial[name] = float(n)
            rec = copy.lp(upper=caps, fixed=trial, time_limit=time_limit)
            if rec.status == SolveStatus.OPTIMAL:
                fixed, values = trial, rec.values
                break
    return fixed, values


def least_reservation(model: CapacityModel) -> int:
    """A lower bound on ``sum_i s_i`` over every feasible integer plan.

    Boole: the sum of the levels. Joint: with log-concave ``F_i`` the greedy allocation (one
    unit at a time where ``log F_i`` gains most) maximises ``sum_i log F_i(s_i)`` for each total,
    so the first total that reaches ``log(1 - eps)`` is the least; otherwise the sum of the
    single-period floors ``F_i^{-1}(1 - eps)``.
    """
    inp = model.inp
    if model.method != "joint":
        return sum(bonferroni_levels(inp.demand, inp.epsilon))
    bounds = [joint_bounds(d, inp.epsilon) for d in inp.demand]
    s = [lo for lo, _ in bounds]
    if not all(
        d.log_cdf_is_concave(lo, hi) for d, (lo, hi) in zip(inp.demand, bounds, strict=True)
    ):
        return sum(s)
    logs = [
        np.asarray(d.log_cdf(np.arange(lo, hi + 1)), dtype=float)
        for d, (lo, hi) in zip(inp.demand, bounds, strict=True)
    ]
    need = math.log1p(-inp.epsilon) - sum(float(h[0]) for h in logs)
    heap = [(-(float(h[1] - h[0])), i) for i, h in enumerate(logs) if h.size > 1]
    heapq.heapify(heap)
    while need > 1e-12 and heap:
        gain, i = heapq.heappop(heap)
        need += gain
        s[i] += 1
        k = s[i] - bounds[i][0]
        if k + 1 < logs[i].size:
            heapq.heappush(heap, (-(float(logs[i][k + 1] - logs[i][k])), i))
    return sum(s)


def best_record(records: list[SolveRecord | None]) -> SolveRecord | None:
    """The record with the least objective among those that have one."""
    cands = [r for r in records if r is not None and r.objective is not None]
    return min(cands, key=lambda r: r.objective or 0.0) if cands else None
