"""First-visit / revisit tactical capacity planning.

The model of Nguyen, Sivakumar and Graves, as restated by Poningsih et al.

Three parts kept apart: :func:`build_capacity_model` (the MILP with named constraints),
:mod:`polyslot.capacity.solve` (LP bound, rounded incumbents, branch and bound on the shared
solver adapter), and :func:`plan_capacity` (solve, check the breach risk, report a
:class:`~polyslot.capacity.plan.CapacityPlan`).
The formulation, in this code's notation, and every correction of the paper are in
docs/capacity.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulp

from polyslot.capacity.chance import add_bonferroni, add_joint, least_reservation
from polyslot.capacity.inputs import CapacityInput
from polyslot.capacity.plan import SINK, TIE_WEIGHT, CapacityPlan, extract_plan
from polyslot.capacity.solve import SolveOutcome, solve_capacity
from polyslot.errors import InfeasibleError, InputError, SolverError
from polyslot.optimize.solver import SolveStatus

__all__ = [
    "METHODS",
    "CapacityModel",
    "CapacityPlan",
    "build_capacity_model",
    "plan_capacity",
    "compare_methods",
]

METHODS = ("bonferroni", "joint")


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
    fv_count: dict[int, pulp.LpVariable] = field(default_factory=dict)
    fv_only: frozenset[int] = frozenset()
    least: int = 0


def _open(inp: CapacityInput, j: int) -> bool:
    return j not in inp.closed_periods


def _add_chance(
    prob: pulp.LpProblem, z: dict[tuple[int, int], pulp.LpVariable], inp: CapacityInput, method: str
) -> int:
    """Add the chance constraint on ``s_i = sum_j z_ij``; return the least total reservation of
    any integer plan (:func:`least_reservation`), which the solver adds as a cut where it helps
    (for the joint form the LP's fractional reservations along the chords may total up to one
    unit less)."""
    by_arrival: list[list[pulp.LpVariable]] = [[] for _ in range(inp.S)]
    for (i, _j), var in z.items():
        by_arrival[i].append(var)
    reserved = [pulp.lpSum(zs) for zs in by_arrival]
    if method == "bonferroni":
        add_bonferroni(prob, reserved, inp.demand, inp.epsilon)
    else:
        add_joint(prob, reserved, inp.demand, inp.epsilon)
    return least_reservation(inp.demand, inp.epsilon, method)


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

    # FV count of each period that takes bookings: its load is at least tau_fv times this
    # integer plus the pre-booked load, which the solver's rounding cuts use
    # (polyslot.capacity.solve.peak_cuts); on a period no RV flow reaches it is the whole load
    fv_count = {j: pulp.LpVariable(f"fv_count_{j}", lowBound=0) for j in range(T) if z_into[j]}
    fv_only = frozenset(j for j in fv_count if not rv_into[j])
    n_fv = [inp.prebooked_fv[j] + pulp.lpSum(z_into[j]) for j in range(T)]
    n_rv = [inp.prebooked_rv[j] + pulp.lpSum(rv_into[j]) for j in range(T)]
    prob += q + TIE_WEIGHT * pulp.lpSum(z.values()), "peak_capacity"
    for j in range(T):
        c_j = inp.tau_fv * n_fv[j] + inp.tau_rv * n_rv[j]
        prob += q - c_j >= 0, f"peak_{j}"
        if not _open(inp, j):
            continue
        # (5) corrected: FV node of visit period j; (6)+(7) corrected: RV node of period j.
        prob += pulp.lpSum(x_out[j]) - (1 - inp.alpha) * n_fv[j] == 0, f"fv_followup_{j}"
        prob += pulp.lpSum(y_out[j]) - (1 - inp.beta) * n_rv[j] == 0, f"rv_followup_{j}"

    least = _add_chance(prob, z, inp, method)

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
    for j, n in fv_count.items():
        prob += n - pulp.lpSum(z_into[j]) == 0, f"fv_count_{j}"
    return CapacityModel(prob, q, z, x, y, method, inp, fv_count, fv_only, least)


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
        free = solve_capacity(build_capacity_model(inp, method, with_bound=False), opts)
        if isinstance(free, SolveOutcome):
            need = free.record.values.get("q", 0.0)
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


def plan_capacity(
    inp: CapacityInput,
    method: str = "bonferroni",
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    gap_rel: float = 0.01,
    node_limit: int | None = None,
) -> CapacityPlan:
    """Solve the capacity model and check the plan's breach risk.

    The MILP is solved to a relative gap ``gap_rel`` against the best bound known: rounded
    incumbents first, integer-rounding cuts for a stronger bound, and HiGHS/CBC branch and bound
    only when the gap is still open (the better plan is kept; docs/capacity.md, "How the model
    is solved"). ``gap_rel=0`` asks for proven optimality.

    Parameters
    ----------
    inp : CapacityInput
    method : {"bonferroni", "joint"}
    solver : {"highs", "cbc"}
        HiGHS (default, falls back to CBC when unavailable) or CBC.
    time_limit : float
        Seconds for the whole solve; branch and bound stopped by it gives status ``time_limit``.
    gap_rel : float
        Accepted relative optimality gap.
    node_limit : int, optional
        Branch-and-bound nodes (HiGHS): a limit that, unlike time, gives the same plan on a
        busy machine (status ``time_limit`` when it stops the search).

    Raises
    ------
    InfeasibleError
        With a plain explanation, when no plan meets the targets (e.g. within capacity_bound).
    SolverError
        When the solver fails or returns no solution.
    """
    opts: dict[str, Any] = {"solver": solver, "time_limit": time_limit, "gap_rel": gap_rel}
    if node_limit is not None:
        opts["node_limit"] = node_limit
    model = build_capacity_model(inp, method)
    res = solve_capacity(model, opts)
    if isinstance(res, SolveOutcome):
        return extract_plan(model, res, opts)
    if res.status == SolveStatus.INFEASIBLE:
        raise _infeasible(inp, method, opts)
    raise SolverError(f"capacity model not solved: status {res.status.value}")


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
