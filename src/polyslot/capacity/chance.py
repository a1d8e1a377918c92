"""Deterministic forms of the joint chance constraint ``P(f_i <= s_i for all i) >= 1 - eps``.

* Boole / Bonferroni (the paper): ``s_i >= F_i^{-1}(1 - eps/S)`` for every arrival period.
* Joint (log-concave): with independent demands the constraint is exactly
  ``sum_i log F_i(s_i) >= log(1 - eps)``. For log-concave ``F_i`` the sequence
  ``h_i(k) = log F_i(k)`` is concave in the integer ``k``, so it equals the minimum of its
  chords between consecutive integers at every integer ``k``. We add those chords as cuts
  ``g_i <= h_i(k) + (h_i(k+1) - h_i(k)) (s_i - k)``: a piecewise-linear outer approximation of
  the continuous constraint that is *exact* at the integer reservations ``s_i`` the MILP picks.
  A demand whose ``log F`` is not concave (possible for an empirical distribution) gets an exact
  binary selection of its reservation level instead.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np
import pulp

from polyslot.capacity.inputs import DemandDistribution

__all__ = [
    "bonferroni_levels",
    "add_bonferroni",
    "add_joint",
    "joint_bounds",
    "least_reservation",
]

_TOP_P = 1.0 - 1e-10


def bonferroni_levels(demand: Sequence[DemandDistribution], epsilon: float) -> list[int]:
    """``F_i^{-1}(1 - eps/S)`` per period: the smallest integer reservations under Boole."""
    S = len(demand)
    return [d.quantile(1.0 - epsilon / S) for d in demand]


def add_bonferroni(
    prob: pulp.LpProblem,
    reserved: Sequence[pulp.LpAffineExpression],
    demand: Sequence[DemandDistribution],
    epsilon: float,
) -> list[int]:
    """Add ``s_i >= F_i^{-1}(1 - eps/S)`` (named ``fv_quota_i``); return the levels."""
    levels = bonferroni_levels(demand, epsilon)
    for i, (s, lev) in enumerate(zip(reserved, levels, strict=True)):
        prob += s >= lev, f"fv_quota_{i}"
    return levels


def joint_bounds(d: DemandDistribution, epsilon: float) -> tuple[int, int]:
    """Reservations worth modelling: ``F^{-1}(1 - eps)`` (necessary) to ``F^{-1}(1 - 1e-10)``."""
    lo = d.quantile(1.0 - epsilon)
    hi = max(lo + 1, d.quantile(_TOP_P))
    return lo, hi


def add_joint(
    prob: pulp.LpProblem,
    reserved: Sequence[pulp.LpAffineExpression],
    demand: Sequence[DemandDistribution],
    epsilon: float,
) -> None:
    """Add ``sum_i g_i >= log(1 - eps)`` with ``g_i <= log F_i(s_i)`` modelled exactly at integers.

    Constraint names: ``fv_floor_i`` (``s_i >= F_i^{-1}(1 - eps)``), ``logcdf_i_k`` (chords),
    ``logcdf_pick_i`` / ``logcdf_level_i`` (binary selection), ``joint_chance``.
    """
    g_vars = []
    for i, (s, d) in enumerate(zip(reserved, demand, strict=True)):
        lo, hi = joint_bounds(d, epsilon)
        prob += s >= lo, f"fv_floor_{i}"
        g = pulp.LpVariable(f"g_{i}", upBound=0.0)
        g_vars.append(g)
        if d.log_cdf_is_concave(lo, hi):
            ks = list(range(lo, hi + 1))
            h = [float(v) for v in d.log_cdf(np.asarray(ks))]
            for k in range(len(ks) - 1):
                slope = h[k + 1] - h[k]
                prob += g - slope * s <= h[k] - slope * ks[k], f"logcdf_{i}_{ks[k]}"
        else:
            pts = [int(p) for p in d.support_points(lo, hi)]
            h = [float(v) for v in d.log_cdf(np.asarray(pts))]
            delta = [pulp.LpVariable(f"pick_{i}_{p}", cat=pulp.LpBinary) for p in pts]
            prob += pulp.lpSum(delta) == 1, f"logcdf_pick_{i}"
            prob += (
                s - pulp.lpSum(p * dv for p, dv in zip(pts, delta, strict=True)) >= 0,
                (f"logcdf_level_{i}"),
            )
            prob += (
                g - pulp.lpSum(hv * dv for hv, dv in zip(h, delta, strict=True)) <= 0,
                (f"logcdf_value_{i}"),
            )
    prob += pulp.lpSum(g_vars) >= math.log1p(-epsilon), "joint_chance"


def least_reservation(demand: Sequence[DemandDistribution], epsilon: float, method: str) -> int:
    """A lower bound on ``sum_i s_i`` over every feasible integer plan.

    Boole: the sum of the levels. Joint: with log-concave ``F_i`` the greedy allocation (one
    unit at a time where ``log F_i`` gains most) maximises ``sum_i log F_i(s_i)`` for each total,
    so the first total that reaches ``log(1 - eps)`` is the least; otherwise the sum of the
    single-period floors ``F_i^{-1}(1 - eps)``.
    """
    if method != "joint":
        return sum(bonferroni_levels(demand, epsilon))
    bounds = [joint_bounds(d, epsilon) for d in demand]
    s = [lo for lo, _ in bounds]
    if not all(d.log_cdf_is_concave(lo, hi) for d, (lo, hi) in zip(demand, bounds, strict=True)):
        return sum(s)
    logs = [
        np.asarray(d.log_cdf(np.arange(lo, hi + 1)), dtype=float)
        for d, (lo, hi) in zip(demand, bounds, strict=True)
    ]
    need = math.log1p(-epsilon) - sum(float(h[0]) for h in logs)
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
