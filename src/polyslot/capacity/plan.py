"""A solved capacity plan: what to reserve, who is seen when, how good the solve is, and its JSON.

:meth:`CapacityPlan.to_dict` is the output contract of ``polyslot capacity`` (docs/capacity.md).
Everything a planner needs to act on or check the plan is in it: the reserved first-visit slots
per arrival period, the patients seen per period, bookings and revisit flows by lead time, the
solver status and gap, and the inputs the plan answers (targets, epsilon, method, demand).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from polyslot.capacity.inputs import CapacityInput
from polyslot.capacity.risk import exact_violation_risk, monte_carlo_violation_risk
from polyslot.capacity.solve import TIE_WEIGHT, SolveOutcome
from polyslot.optimize.solver import SolveRecord

if TYPE_CHECKING:
    from polyslot.capacity.model import CapacityModel

__all__ = ["SINK", "TIE_WEIGHT", "CapacityPlan", "extract_plan"]

SINK = "after"  # follow-up booked after the planning horizon


@dataclass(frozen=True)
class CapacityPlan:
    """A solved capacity plan and its checks.

    ``capacity_by_period[j]`` is ``c_j`` in minutes; ``reserved[i]`` is ``s_i = sum_j z_ij``;
    ``fv_by_lead[L]`` the FV bookings made ``L`` periods after the request; ``rv_by_lead`` rows
    ``(L, after an FV, after an RV)`` for ``L = a..b``; ``rv_after_horizon`` the follow-ups sent
    past ``T`` (after an FV, after an RV). ``status``, ``gap`` and ``lower_bound`` refer to the
    objective ``capacity_max + TIE_WEIGHT * sum(reserved)``.
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
    fv_by_lead: tuple[int, ...] = ()
    rv_by_lead: tuple[tuple[int, float, float], ...] = ()
    rv_after_horizon: tuple[float, float] = (0.0, 0.0)
    status: str = "optimal"
    gap: float = 0.0
    lower_bound: float = 0.0
    objective: float = 0.0
    gap_rel: float = 0.01
    time_limit: float = 60.0
    inp: CapacityInput | None = field(default=None, repr=False)

    @property
    def solve_seconds(self) -> float:
        """Seconds spent solving (LP bound, incumbents, branch and bound)."""
        return self.solve.time

    def to_dict(self) -> dict[str, Any]:
        """The output contract of ``polyslot capacity`` (docs/capacity.md)."""
        out: dict[str, Any] = {
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
            "reserved_fv_slots": list(self.reserved),
            "fv_seen": list(self.fv_by_period),
            "rv_seen": list(self.rv_by_period),
            "fv_bookings_by_lead": [
                {"lead": lead, "bookings": n} for lead, n in enumerate(self.fv_by_lead)
            ],
            "rv_flows_by_lead": [
                {"lead": lead, "after_fv": fv, "after_rv": rv} for lead, fv, rv in self.rv_by_lead
            ],
            "rv_flows_after_horizon": {
                "after_fv": self.rv_after_horizon[0],
                "after_rv": self.rv_after_horizon[1],
            },
            "status": self.status,
            "gap": self.gap,
            "lower_bound": self.lower_bound,
            "objective": self.objective,
            "solve_seconds": round(self.solve_seconds, 4),
            "solver": {
                "name": self.solve.solver,
                "gap_rel": self.gap_rel,
                "time_limit": self.time_limit,
            },
        }
        if self.inp is not None:
            inp = self.inp
            out["targets"] = {
                "median": inp.targets.median,
                "percentile": inp.targets.percentile,
                "p": inp.targets.p,
                "max": inp.targets.max,
            }
            out["revisit"] = {
                "window": [inp.revisit.min_lead, inp.revisit.max_lead],
                "mean_lead_max": inp.revisit.mean_max,
            }
            out["demand"] = [d.to_dict() for d in inp.demand]
        return out


def _lead_quantile(leads: np.ndarray, weights: np.ndarray, frac: float) -> int:
    """Smallest lead ``L`` with at least ``frac`` of the bookings at lead ``<= L``."""
    if weights.sum() <= 0:
        return 0
    order = np.argsort(leads, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, frac * cum[-1] - 1e-9, side="left"))
    return int(leads[order][min(k, len(order) - 1)])


def clean(v: float) -> float:
    """Round solver noise (1e-9) away; minutes to 6 decimals."""
    r = round(v, 6)
    return 0.0 if math.isclose(r, 0.0, abs_tol=1e-9) else r


def extract_plan(model: CapacityModel, outcome: SolveOutcome, opts: dict[str, Any]) -> CapacityPlan:
    """Read the plan out of the solved model's values and check its breach risk."""
    inp = model.inp
    vals = outcome.record.values
    n_fv = np.array(inp.prebooked_fv, dtype=float)
    n_rv = np.array(inp.prebooked_rv, dtype=float)
    reserved = np.zeros(inp.S, dtype=int)
    by_lead = np.zeros(inp.targets.max + 1, dtype=int)
    for (i, j), var in model.z.items():
        val = round(vals.get(var.name, 0.0))
        if val > 0:
            n_fv[j] += val
            reserved[i] += val
            by_lead[j - i] += val
    a, b = inp.revisit.min_lead, inp.revisit.max_lead
    rv_lead = np.zeros((b - a + 1, 2))
    sink = [0.0, 0.0]
    for col, flows in enumerate((model.x, model.y)):
        for (i, dest), var in flows.items():
            v = vals.get(var.name, 0.0)
            if isinstance(dest, str):  # SINK
                sink[col] += v
            else:
                n_rv[dest] += v
                rv_lead[dest - i - a, col] += v
    cap = inp.tau_fv * n_fv + inp.tau_rv * n_rv
    mc = monte_carlo_violation_risk(inp.demand, reserved, inp.mc_samples, inp.seed)
    leads = np.arange(by_lead.size)
    return CapacityPlan(
        method=model.method,
        epsilon=inp.epsilon,
        capacity_max=clean(float(cap.max())),
        capacity_by_period=tuple(clean(float(c)) for c in cap),
        fv_by_period=tuple(clean(float(c)) for c in n_fv),
        rv_by_period=tuple(clean(float(c)) for c in n_rv),
        reserved=tuple(int(r) for r in reserved),
        risk_exact=exact_violation_risk(inp.demand, reserved),
        risk_mc=mc.estimate,
        risk_mc_ci=mc.half_width,
        lead_median=_lead_quantile(leads, by_lead.astype(float), 0.5),
        lead_percentile=_lead_quantile(leads, by_lead.astype(float), inp.targets.p / 100.0),
        lead_max=int(np.flatnonzero(by_lead).max()) if by_lead.any() else 0,
        solve=outcome.record,
        fv_by_lead=tuple(int(n) for n in by_lead),
        rv_by_lead=tuple(
            (a + k, clean(float(r[0])), clean(float(r[1]))) for k, r in enumerate(rv_lead)
        ),
        rv_after_horizon=(clean(sink[0]), clean(sink[1])),
        status=outcome.status,
        gap=outcome.gap,
        lower_bound=outcome.lower_bound,
        objective=float(outcome.record.objective or 0.0),
        gap_rel=float(opts["gap_rel"]),
        time_limit=float(opts["time_limit"]),
        inp=inp,
    )
