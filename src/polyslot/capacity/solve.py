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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pulp

from polyslot.capacity.dive import best_record, dive
from polyslot.capacity.highs_copy import HighsCopy, PulpCopy, problem_copy
from polyslot.optimize.solver import SolveRecord, SolveStatus, solve

if TYPE_CHECKING:
    from polyslot.capacity.model import CapacityModel

__all__ = ["PLAN_STATUSES", "SolveOutcome", "solve_capacity", "relative_gap"]

PLAN_STATUSES = ("optimal", "feasible_within_gap", "time_limit")
_CLOSED = 1e-6
_RESTRICTED_NODES = 2000  # nodes of the search below the incumbent before the whole model's
_ROUNDING_CELLS = 2000  # cut solutions rounded per bisection: this over the number of cells
TIE_WEIGHT = 1e-4  # objective weight per booked first-visit slot: no reservation beyond need


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


def peak_cuts(model: CapacityModel, peak: float) -> dict[pulp.LpVariable, float] | None:
    """``q <= peak`` and, on every period that takes bookings (``model.fv_count``), the integer
    rounding ``n_j <= floor((peak - tau_rv rr_j) / tau_fv - rf_j)``, as variable bounds.

    Valid for every integer plan whose peak is at most ``peak``: a period's load is at least
    ``tau_fv (rf_j + n_j) + tau_rv rr_j`` with an integer FV count ``n_j`` (equal to it where no
    revisit flow arrives, ``model.fv_only``, which is where the cut binds most). None when some
    period's bound is negative (no such plan).
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


def _names(cuts: dict[pulp.LpVariable, float]) -> dict[str, float]:
    return {var.name: ub for var, ub in cuts.items()}


def _fix(
    model: CapacityModel, copy: HighsCopy | PulpCopy, fixed: dict[tuple[int, int], int], tl: float
) -> SolveRecord | None:
    """Fix every ``z`` to ``fixed`` (0 where absent) and solve the LP that remains (RV flows)."""
    names = {var.name: float(fixed.get(k, 0)) for k, var in model.z.items()}
    rec = copy.lp(fixed=names, time_limit=tl)
    return rec if rec.status == SolveStatus.OPTIMAL else None


def _round_from(
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
    best = _fix(model, copy, round_bookings(model, dict(values)), left())
    if good(best):
        return best
    for carry in (0.0, 0.5):  # each day's total rounded down, then to the nearest
        if caps is None:
            break
        _fixed, dived = dive(model, copy, values, caps, left(), carry)
        best = best_record([best, _fix(model, copy, round_bookings(model, dict(dived)), left())])
        if good(best):
            return best
    reserved = _integer_reservations(model, dict(values))
    peak = values.get("q", 0.0)
    for extra in (0.0, 0.5, 1.0):
        fixed = capacity_aware_bookings(
            model, dict(values), reserved, peak + extra * model.inp.tau_fv, opts
        )
        if fixed is not None:
            aware = _fix(model, copy, fixed, left())
            if aware is not None:
                return best_record([best, aware])
    return best


@dataclass
class _Search:
    """The state of one solve: the copy, the incumbent, the bound and the clock."""

    model: CapacityModel
    copy: HighsCopy | PulpCopy
    opts: dict[str, Any]
    bound: float
    best: SolveRecord | None = None
    t0: float = 0.0
    limit_hit: bool = False

    @property
    def gap_rel(self) -> float:
        return float(self.opts["gap_rel"])

    def left(self) -> float:
        return max(0.1, float(self.opts["time_limit"]) - (time.perf_counter() - self.t0))

    def good(self, rec: SolveRecord | None) -> bool:
        return rec is not None and relative_gap(rec.objective or 0.0, self.bound) <= self.gap_rel

    def done(self) -> bool:
        return self.good(self.best)

    def round_from(self, values: Mapping[str, float], caps: dict[str, float] | None) -> None:
        found = _round_from(self.model, self.copy, values, self.opts, self.good, caps, self.left)
        self.best = best_record([self.best, found])


def _cut_bisection(st: _Search) -> None:
    """Integer-rounding cuts for a stronger bound: for a trial peak ``B``, the relaxation with
    :func:`peak_cuts` bounds every integer plan with peak ``<= B``, so ``min(B, its optimum)``
    (``B`` when infeasible) is a lower bound. ``B`` is bisected between the bound and the
    incumbent (at most 8 LPs); feasible cut relaxations are rounded into new incumbents (every
    one on small models, fewer as the model grows: each rounding dives)."""
    if not st.model.fv_count:
        return
    lo = st.bound
    hi = st.best.objective if st.best is not None and st.best.objective else st.bound * 1.05
    roundings = max(1, _ROUNDING_CELLS // max(1, len(st.model.z)))  # small models: every step
    for k in range(8):
        if st.done():
            return
        trial = hi * (1.0 - st.gap_rel) if k == 0 and st.gap_rel > 0 else 0.5 * (lo + hi)
        trial = max(trial, lo)
        cuts = peak_cuts(st.model, trial)
        rec = st.copy.lp(upper=_names(cuts), time_limit=st.left()) if cuts is not None else None
        if rec is None or rec.status == SolveStatus.INFEASIBLE:  # proven: no plan under trial
            st.bound = lo = max(st.bound, trial)
            continue
        if rec.status != SolveStatus.OPTIMAL or rec.objective is None:
            return  # not solved (time limit): no conclusion
        st.bound = max(st.bound, min(trial, rec.objective))
        if rec.objective <= trial and cuts is not None:
            hi = trial
            if roundings > 0:  # each rounding dives (up to T LPs): fewer on large models
                caps = {name: v for name, v in _names(cuts).items() if name != st.model.q.name}
                st.round_from(rec.values, caps)
                roundings -= 1
        else:
            lo = trial


def _take(st: _Search, mip: SolveRecord, cap: float | None) -> None:
    """Keep a branch-and-bound result: its plan when better, its bound when valid (for a search
    restricted to ``q <= cap``, capped at what the restriction proves)."""
    if mip.objective is None:
        return
    below = mip.bound
    if below is None and mip.status == SolveStatus.OPTIMAL and not mip.time_limit_hit:
        below = mip.objective * (1.0 - st.gap_rel)  # CBC: the gap was met
    if below is not None:
        above = math.inf if cap is None else cap + TIE_WEIGHT * st.model.least
        st.bound = max(st.bound, min(above, below))
    st.best = best_record([st.best, mip])


def _below_incumbent(st: _Search) -> None:
    """Branch and bound, first on the plans whose peak is below the incumbent's, then on all.

    With ``q <= C`` (``C`` just under the incumbent's peak), the integer-rounding cuts of
    :func:`peak_cuts` at ``C`` as bounds and the cover cut ``sum z >= model.least`` (the LP's
    reservations along the chords of ``log F`` may total up to a unit less), presolve often
    proves at once that no such plan exists: then every plan has ``q > C`` and
    ``C + TIE_WEIGHT * model.least`` (the least total reservation) bounds the objective (the
    incumbent is optimal up to that). Otherwise the plans it finds are better incumbents and its
    dual bound, capped at that value, is a valid bound. This first search
    stops after ``_RESTRICTED_NODES`` nodes; if the gap is still open, HiGHS/CBC branch and bound
    on the whole model, from the incumbent, has the time that is left. Both stop as soon as a
    plan within the gap of the best bound known is found.
    """
    assert st.best is not None
    peak = st.best.values.get(st.model.q.name, st.best.objective or 0.0)
    cap = peak - max(1e-6, 0.5 * _CLOSED * peak)  # the gap left by the proof stays "closed"
    cuts = peak_cuts(st.model, cap)
    user_nodes = st.opts.get("node_limit")
    nodes = _RESTRICTED_NODES if user_nodes is None else min(_RESTRICTED_NODES, int(user_nodes))
    stop = st.bound / (1.0 - st.gap_rel) if st.gap_rel < 1 else None
    least = ({var.name: 1.0 for var in st.model.z.values()}, float(st.model.least))
    mip = (
        st.copy.mip(
            _names(cuts),
            time_limit=st.left(),
            gap_rel=st.gap_rel,
            node_limit=nodes,
            stop_at=stop,
            rows=[least],
        )
        if cuts is not None
        else None
    )
    if mip is None or mip.status == SolveStatus.INFEASIBLE:
        st.bound = max(st.bound, cap + TIE_WEIGHT * st.model.least)
        return
    _take(st, mip, cap)
    if st.done() or (mip.status == SolveStatus.OPTIMAL and not mip.time_limit_hit):
        return  # done, or the restricted search finished: nothing below the incumbent it missed
    stop = st.bound / (1.0 - st.gap_rel) if st.gap_rel < 1 else None
    full = st.copy.mip(
        time_limit=st.left(),
        gap_rel=st.gap_rel,
        node_limit=user_nodes,
        stop_at=stop,
        start=st.best.values,
    )
    st.limit_hit = full.time_limit_hit
    _take(st, full, None)


def solve_capacity(model: CapacityModel, opts: dict[str, Any]) -> SolveOutcome | SolveRecord:
    """LP bound and rounded incumbents; a stronger bound from integer-rounding cuts; branch and
    bound below the incumbent only when the gap is still above ``opts["gap_rel"]``.

    Every LP runs on one copy of the problem in the solver (:mod:`polyslot.capacity.highs_copy`)
    that is re-solved warm with changed bounds. Returns the LP's SolveRecord when it is not
    solved (infeasible or failed), else a :class:`SolveOutcome`.
    """
    t0 = time.perf_counter()
    copy = problem_copy(model.prob, str(opts["solver"]))
    lp = copy.lp(time_limit=float(opts["time_limit"]))
    if lp.status != SolveStatus.OPTIMAL or lp.objective is None:
        return replace(lp, time=time.perf_counter() - t0)
    st = _Search(model, copy, opts, lp.objective, t0=t0)
    st.round_from(lp.values, {})
    _cut_bisection(st)
    if st.best is not None and not st.done():
        st.bound = min(st.bound, st.best.objective or st.bound)
        _below_incumbent(st)
    if st.best is None:
        return replace(lp, status=SolveStatus.NOT_SOLVED, time=time.perf_counter() - t0)
    bound = min(st.bound, st.best.objective or st.bound)
    return _outcome(st.best, bound, time.perf_counter() - t0, st.limit_hit, st.gap_rel)
