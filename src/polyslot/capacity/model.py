"""First-visit / revisit tactical capacity planning.

The model of Nguyen, Sivakumar and Graves, as restated by Poningsih et al.

Three parts kept apart: :func:`build_capacity_model` (the MILP with named constraints),
:mod:`polyslot.optimize.solver` (the shared solver adapter and :class:`SolveRecord`), and
:func:`plan_capacity` (solve, check the breach risk, report a :class:`CapacityPlan`).
The formulation, in this code's notation, and every correction of the paper are in
docs/capacity.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pulp

from polyslot.capacity.chance import add_bonferroni, add_joint
from polyslot.capacity.inputs import CapacityInput
from polyslot.capacity.risk import exact_violation_risk, monte_carlo_violation_risk
from polyslot.errors import InfeasibleError, InputError, SolverError
from polyslot.optimize.solver import SolveRecord, SolveStatus, solve

__all__ = [
    "METHODS",
    "CapacityModel",
    "CapacityPlan",
    "build_capacity_model",
    "plan_capacity",
    "compare_methods",
]

METHODS = ("bonferroni", "joint")
SINK = "after"  # follow-up booked after the planning horizon
_TIE_WEIGHT = 1e-4  # per booked first-visit slot: no reservations beyond what is needed


@dataclass
class CapacityModel:
    """The built MILP and handles to its variables (keys are 0-based period indexes)."""

    prob: pulp.LpProblem
    q: pulp.LpVariable
    z: dict[tuple[int, int], pulp.LpVariable]
    x: dict[tuple[int, int | str], pulp.LpVariable]
    y: dict[tuple[int, int | str], pulp.LpVariable]
    method: str
    inp: CapacityInput


def _open(inp: CapacityInput, j: int) -> bool:
    return j not in inp.closed_periods


def build_capacity_model(
    inp: CapacityInput, method: str = "bonferroni", *, with_bound: bool = True
) -> CapacityModel:
    """Build the MILP ``min q`` of docs/capacity.md for ``inp``.

    Parameters
    ----------
    inp : CapacityInput
    method : {"bonferroni", "joint"}
        Deterministic form of the joint chance constraint.
    with_bound : bool
        Add ``q <= capacity_bound`` when the input states a bound.
    """
    if method not in METHODS:
        raise InputError(f"must be one of {METHODS}", field="method", value=method)
    S, T = inp.S, inp.T
    u, v, w = inp.targets.median, inp.targets.percentile, inp.targets.max
    a, b = inp.revisit.min_lead, inp.revisit.max_lead
    prob = pulp.LpProblem("fv_rv_capacity", pulp.LpMinimize)
    q = pulp.LpVariable("q", lowBound=0)
    z = {
        (i, j): pulp.LpVariable(f"z_{i}_{j}", lowBound=0, cat=pulp.LpInteger)
        for i in range(S)
        for j in range(i, min(i + w, T - 1) + 1)
        if _open(inp, j)
    }
    x: dict[tuple[int, int | str], pulp.LpVariable] = {}
    y: dict[tuple[int, int | str], pulp.LpVariable] = {}
    for i in range(T):
        if not _open(inp, i):
            continue
        for j in range(i + a, min(i + b, T - 1) + 1):
            if _open(inp, j):
                x[i, j] = pulp.LpVariable(f"x_{i}_{j}", lowBound=0)
                y[i, j] = pulp.LpVariable(f"y_{i}_{j}", lowBound=0)
        if i >= S and i + b >= T:  # corrected (10): only visits after the arrival horizon
            x[i, SINK] = pulp.LpVariable(f"x_{i}_{SINK}", lowBound=0)
            y[i, SINK] = pulp.LpVariable(f"y_{i}_{SINK}", lowBound=0)

    z_into: list[list[pulp.LpVariable]] = [[] for _ in range(T)]
    for (_i, j), var in z.items():
        z_into[j].append(var)
    rv_into: list[list[pulp.LpVariable]] = [[] for _ in range(T)]
    x_out: list[list[pulp.LpVariable]] = [[] for _ in range(T)]
    y_out: list[list[pulp.LpVariable]] = [[] for _ in range(T)]
    for (i, dest), var in x.items():
        x_out[i].append(var)
        if not isinstance(dest, str):  # not SINK
            rv_into[dest].append(var)
    for (i, dest), var in y.items():
        y_out[i].append(var)
        if not isinstance(dest, str):  # not SINK
            rv_into[dest].append(var)

    n_fv = [inp.prebooked_fv[j] + pulp.lpSum(z_into[j]) for j in range(T)]
    n_rv = [inp.prebooked_rv[j] + pulp.lpSum(rv_into[j]) for j in range(T)]
    prob += q + _TIE_WEIGHT * pulp.lpSum(z.values()), "peak_capacity"
    for j in range(T):
        c_j = inp.tau_fv * n_fv[j] + inp.tau_rv * n_rv[j]
        prob += q - c_j >= 0, f"peak_{j}"
        if not _open(inp, j):
            continue
        # (5) corrected: FV node of visit period j; (6)+(7) corrected: RV node of period j.
        prob += pulp.lpSum(x_out[j]) - (1 - inp.alpha) * n_fv[j] == 0, f"fv_followup_{j}"
        prob += pulp.lpSum(y_out[j]) - (1 - inp.beta) * n_rv[j] == 0, f"rv_followup_{j}"

    reserved = [pulp.lpSum(var for (i2, _), var in z.items() if i2 == i) for i in range(S)]
    if method == "bonferroni":
        add_bonferroni(prob, reserved, inp.demand, inp.epsilon)
    else:
        add_joint(prob, reserved, inp.demand, inp.epsilon)

    total = pulp.lpSum(z.values())
    short = pulp.lpSum(var for (i, j), var in z.items() if j - i <= u)
    pth = pulp.lpSum(var for (i, j), var in z.items() if j - i <= v)
    prob += short - 0.5 * total >= 0, "lead_median"
    prob += pth - (inp.targets.p / 100.0) * total >= 0, "lead_percentile"
    inside = [(i, j, var) for d in (x, y) for (i, j), var in d.items() if j != SINK]
    prob += (
        pulp.lpSum((j - i - inp.revisit.mean_max) * var for i, j, var in inside) <= 0,  # type: ignore[operator]
        "rv_mean_lead",
    )
    if with_bound and inp.capacity_bound is not None:
        prob += q <= inp.capacity_bound, "capacity_bound"
    return CapacityModel(prob, q, z, x, y, method, inp)


@dataclass(frozen=True)
class CapacityPlan:
    """A solved capacity plan and its checks.

    ``capacity_by_period[j]`` is ``c_j`` in minutes; ``reserved[i]`` is ``s_i = sum_j z_ij``.
    """

    method: str
    epsilon: float
    capacity_max: float
    capacity_by_period: tuple[float, ...]
    fv_by_period: tuple[float, ...]
    rv_by_period: tuple[float, ...]
    reserved: tuple[int, ...]
    risk_exact: float
    risk_mc: float
    risk_mc_ci: float
    lead_median: int
    lead_percentile: int
    lead_max: int
    solve: SolveRecord = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The output contract of ``polyslot capacity`` (docs/capacity.md)."""
        return {
            "capacity_max": self.capacity_max,
            "capacity_by_period": list(self.capacity_by_period),
            "epsilon": self.epsilon,
            "method": self.method,
            "violation_risk": {
                "exact": self.risk_exact,
                "monte_carlo": self.risk_mc,
                "monte_carlo_ci": self.risk_mc_ci,
            },
            "lead_time": {
                "median": self.lead_median,
                "percentile": self.lead_percentile,
                "max": self.lead_max,
            },
        }


def _lead_quantile(leads: np.ndarray, weights: np.ndarray, frac: float) -> int:
    """Smallest lead ``L`` with at least ``frac`` of the bookings at lead ``<= L``."""
    if weights.sum() <= 0:
        return 0
    order = np.argsort(leads, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, frac * cum[-1] - 1e-9, side="left"))
    return int(leads[order][min(k, len(order) - 1)])


def _infeasible(inp: CapacityInput, method: str, opts: dict[str, Any]) -> InfeasibleError:
    """A plain explanation of why no plan exists."""
    r = inp.revisit
    if r.mean_max < r.min_lead:
        return InfeasibleError(
            f"revisit mean lead target {r.mean_max:g} is below the window start a={r.min_lead}: "
            "every revisit is at least a periods after the previous visit",
            conflicts=[f"revisit.mean_lead_max={r.mean_max:g}", f"revisit.window[0]={r.min_lead}"],
            relaxation=[f"revisit.mean_lead_max >= {r.min_lead}"],
        )
    if inp.capacity_bound is not None:
        free = _solve_capacity(build_capacity_model(inp, method, with_bound=False), opts)
        if free.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            need = free.values.get("q", 0.0)
            return InfeasibleError(
                f"the targets (median <= {inp.targets.median}, p{inp.targets.p:g} <= "
                f"{inp.targets.percentile}, max <= {inp.targets.max} periods) at epsilon="
                f"{inp.epsilon:g} need {need:.1f} minutes in the busiest period, more than "
                f"capacity_bound={inp.capacity_bound:g}",
                conflicts=[f"capacity_bound={inp.capacity_bound:g}", f"needed={need:.1f}"],
                relaxation=[f"capacity_bound >= {need:.1f}", "or longer lead-time targets"],
            )
    return InfeasibleError(
        "no plan meets the lead-time targets, the revisit window and the closed periods "
        "together (a revisit window may contain only closed periods)",
        conflicts=["revisit.window", "closed_periods", "targets"],
    )


def _round_and_fix(
    model: CapacityModel, lp_values: dict[str, float], opts: dict[str, Any]
) -> SolveRecord | None:
    """Round the LP relaxation's ``z`` to integers, fix them, and re-solve for the RV flows.

    Each ``s_i`` is rounded up (keeps the chance constraint: ``F_i`` is nondecreasing) and its
    units go to the bookings with the largest fractional parts; units are then moved to the
    shortest lead of their arrival period until the median / percentile targets hold.
    Returns the fixed model's SolveRecord (or None when it fails).
    """
    inp = model.inp
    by_i: dict[int, list[tuple[int, pulp.LpVariable]]] = {}
    for (i, j), var in model.z.items():
        by_i.setdefault(i, []).append((j, var))
    fixed: dict[tuple[int, int], int] = {}
    for i, cells in by_i.items():
        vals = np.array([lp_values.get(var.name, 0.0) for _, var in cells])
        target = math.ceil(vals.sum() - 1e-6)
        base = np.floor(vals + 1e-6)
        order = np.argsort(-(vals - base), kind="stable")
        for k in order[: max(0, target - int(base.sum()))]:
            base[k] += 1
        for (j, _), n in zip(cells, base, strict=True):
            fixed[i, j] = int(n)
    for frac, lim in ((0.5, inp.targets.median), (inp.targets.p / 100.0, inp.targets.percentile)):
        total = sum(fixed.values())
        short = sum(n for (i, j), n in fixed.items() if j - i <= lim)
        moves = sorted((-(j - i), i, j) for (i, j), n in fixed.items() if j - i > lim and n > 0)
        for _, i, j in moves:
            if short >= frac * total - 1e-9:
                break
            first = min(jj for jj, _ in by_i[i])
            if first - i > lim:
                continue
            fixed[i, j] -= 1
            fixed[i, first] += 1
            short += 1
    for (i, j), var in model.z.items():
        var.lowBound = var.upBound = fixed[i, j]
    try:
        rec = solve(model.prob, **opts)
    finally:
        for var in model.z.values():
            var.lowBound, var.upBound = 0, None
    return rec if rec.status == SolveStatus.OPTIMAL else None


def _solve_capacity(model: CapacityModel, opts: dict[str, Any]) -> SolveRecord:
    """LP bound, then a rounded incumbent; the MILP runs only if the incumbent is not within
    ``gap_rel`` of the bound. Returns the best record, its ``gap`` measured against the bound."""
    for var in model.z.values():
        var.cat = pulp.LpContinuous
    try:
        lp = solve(model.prob, **opts)
        best = None
        if lp.status == SolveStatus.OPTIMAL:
            best = _round_and_fix(model, lp.values, opts)
    finally:
        for var in model.z.values():
            var.cat = pulp.LpInteger
    if lp.status == SolveStatus.INFEASIBLE:
        return lp
    bound = lp.objective if lp.objective is not None else 0.0

    def _gap(obj: float) -> float:
        return max(0.0, obj - bound) / max(abs(obj), 1e-9)

    if best is not None and best.objective is not None and _gap(best.objective) <= opts["gap_rel"]:
        return replace(best, gap=_gap(best.objective), time=lp.time + best.time)
    mip = solve(model.prob, **opts)
    spent = lp.time + (best.time if best else 0.0) + mip.time
    cands = [(r.objective, r) for r in (best, mip) if r is not None and r.objective is not None]
    if not cands:
        return replace(mip, time=spent)
    top_objective, top = min(cands, key=lambda c: c[0])
    if (
        mip.status == SolveStatus.OPTIMAL
        and mip.objective is not None
        and top_objective <= mip.objective + 1e-9
    ):
        return replace(top, status=SolveStatus.OPTIMAL, gap=mip.gap, time=spent)
    gap = _gap(top_objective)
    status = SolveStatus.OPTIMAL if gap <= opts["gap_rel"] else SolveStatus.FEASIBLE
    return replace(top, status=status, gap=gap, time=spent)


def plan_capacity(
    inp: CapacityInput,
    method: str = "bonferroni",
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    gap_rel: float = 0.01,
) -> CapacityPlan:
    """Solve the capacity model and check the plan's breach risk.

    The MILP is solved to a relative gap ``gap_rel`` against its LP relaxation: a rounded
    LP solution is used when it is already that close, otherwise HiGHS/CBC branch and bound
    runs (and the better of the two is kept). ``gap_rel=0`` asks for proven optimality.

    Parameters
    ----------
    inp : CapacityInput
    method : {"bonferroni", "joint"}
    solver : {"highs", "cbc"}
        HiGHS (default, falls back to CBC when unavailable) or CBC.
    time_limit : float or None
        Seconds for branch and bound; stopped with an integer solution, status ``feasible``.
    gap_rel : float
        Accepted relative optimality gap.

    Raises
    ------
    InfeasibleError
        With a plain explanation, when no plan meets the targets (e.g. within capacity_bound).
    SolverError
        When the solver fails or returns no solution.
    """
    opts = {"solver": solver, "time_limit": time_limit, "gap_rel": gap_rel}
    model = build_capacity_model(inp, method)
    rec = _solve_capacity(model, opts)
    if rec.status == SolveStatus.INFEASIBLE:
        raise _infeasible(inp, method, opts)
    if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise SolverError(f"capacity model not solved: status {rec.status.value}")
    vals = rec.values
    S = inp.S
    n_fv = np.array(inp.prebooked_fv, dtype=float)
    n_rv = np.array(inp.prebooked_rv, dtype=float)
    reserved = np.zeros(S, dtype=int)
    leads, weights = [], []
    for (i, j), var in model.z.items():
        val = round(vals.get(var.name, 0.0))
        if val > 0:
            n_fv[j] += val
            reserved[i] += val
            leads.append(j - i)
            weights.append(val)
    for d in (model.x, model.y):
        for (_, dest), var in d.items():
            if not isinstance(dest, str):  # not SINK
                n_rv[dest] += vals.get(var.name, 0.0)
    cap = inp.tau_fv * n_fv + inp.tau_rv * n_rv
    exact = exact_violation_risk(inp.demand, reserved)
    mc = monte_carlo_violation_risk(inp.demand, reserved, inp.mc_samples, inp.seed)
    lw, ww = np.array(leads, dtype=int), np.array(weights, dtype=float)
    return CapacityPlan(
        method=method,
        epsilon=inp.epsilon,
        capacity_max=_clean(float(cap.max())),
        capacity_by_period=tuple(_clean(float(c)) for c in cap),
        fv_by_period=tuple(_clean(float(c)) for c in n_fv),
        rv_by_period=tuple(_clean(float(c)) for c in n_rv),
        reserved=tuple(int(r) for r in reserved),
        risk_exact=exact,
        risk_mc=mc.estimate,
        risk_mc_ci=mc.half_width,
        lead_median=_lead_quantile(lw, ww, 0.5),
        lead_percentile=_lead_quantile(lw, ww, inp.targets.p / 100.0),
        lead_max=int(lw.max()) if lw.size else 0,
        solve=rec,
    )


def _clean(v: float) -> float:
    """Round solver noise (1e-9) away; minutes to 6 decimals."""
    r = round(v, 6)
    return 0.0 if math.isclose(r, 0.0, abs_tol=1e-9) else r


def compare_methods(
    inp: CapacityInput,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    gap_rel: float = 0.01,
) -> dict[str, Any]:
    """Solve with Boole and with the joint form; report the capacity the joint form saves."""
    kw = {"solver": solver, "time_limit": time_limit, "gap_rel": gap_rel}
    bon = plan_capacity(inp, "bonferroni", **kw)  # type: ignore[arg-type]
    joint = plan_capacity(inp, "joint", **kw)  # type: ignore[arg-type]
    saved = bon.capacity_max - joint.capacity_max
    return {
        "bonferroni": bon,
        "joint": joint,
        "capacity_saved": saved,
        "capacity_saved_pct": 100.0 * saved / bon.capacity_max if bon.capacity_max > 0 else 0.0,
    }
