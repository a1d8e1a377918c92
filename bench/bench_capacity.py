"""Benchmark: FV/RV capacity plans over horizons (12 days to 26 weeks) x epsilons x methods.

Daily periods, weekends closed, weekday FV demand ~ Normal(12, 3.5^2) (Monday 15), revisits
14-28 days after a visit. Prints the load average, then one row per horizon x epsilon x method:
wall and CPU seconds of ``plan_capacity`` (build, solve, breach-risk check), the solve seconds it
reports, its status and gap against the lower bound, and the capacity; then how many rows are
within the accepted gap (status not ``time_limit``) in under 2 CPU-seconds, and the 26-week
instance with CBC. Goal: every row. CPU seconds are the figure to read on a shared machine (wall
seconds grow with the load). Run: ``.venv/bin/python bench/bench_capacity.py [--quick]``.
"""

from __future__ import annotations

import os
import sys
import time

from polyslot.capacity.inputs import (
    CapacityInput,
    DemandDistribution,
    LeadTimeTargets,
    RevisitPolicy,
)
from polyslot.capacity.model import build_capacity_model, plan_capacity

HORIZONS = (12, 16, 20, 28, 56, 91, 182)  # arrival days
EPSILONS = (0.01, 0.05, 0.1, 0.2)


def instance(weeks: int = 26, days: int | None = None, epsilon: float = 0.05) -> CapacityInput:
    """Weekday FV demand ~ Normal(12, 3.5^2) (Monday 15), weekends closed, revisits 14-28 days."""
    S = days if days is not None else 7 * weeks
    demand = tuple(
        DemandDistribution("normal", mean=15.0 if i % 7 == 0 else 12.0, sd=3.5)
        if i % 7 < 5
        else DemandDistribution("poisson", mean=0.0)
        for i in range(S)
    )
    T = S + 28
    return CapacityInput(
        demand=demand,
        targets=LeadTimeTargets(median=3, percentile=7, max=14, p=90.0),
        revisit=RevisitPolicy(14, 28, 21.0),
        alpha=0.4,
        beta=0.5,
        tau_fv=20.0,
        tau_rv=12.0,
        epsilon=epsilon,
        closed_periods=frozenset(j for j in range(T) if j % 7 >= 5),
    )


GOAL_CPU = 2.0  # seconds


def _row(inp: CapacityInput, method: str, solver: str = "highs") -> tuple[str, bool]:
    """One table row and whether it meets the goal (within the gap in under 2 CPU-s)."""
    w0, c0 = time.perf_counter(), time.process_time()
    plan = plan_capacity(inp, method, solver=solver)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    row = (
        f"| {inp.S:4d} | {inp.epsilon:4.2f} | {method:10s} | {wall:5.2f} | {cpu:5.2f} "
        f"| {plan.solve_seconds:5.2f} | {plan.status:19s} | {100 * plan.gap:5.2f}% "
        f"| {plan.capacity_max:7.1f} | {plan.risk_exact:.4f} |"
    )
    return row, cpu < GOAL_CPU and plan.status != "time_limit"


def main() -> None:
    quick = "--quick" in sys.argv
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    inp = instance()
    print(f"26-week horizon: S={inp.S} arrival days, T={inp.T} planning days")
    for method in ("bonferroni", "joint"):
        t0 = time.perf_counter()
        m = build_capacity_model(inp, method)
        print(
            f"  {method}: {len(m.z)} integer z, {len(m.x) + len(m.y)} RV flows, "
            f"{len(m.prob.constraints())} constraints, built in {time.perf_counter() - t0:.2f} s"
        )
    print()
    print(
        "| days | eps  | method     | wall s | CPU s | solve s | status | gap | capacity | risk |"
    )
    print("|---:|---:|---|---:|---:|---:|---|---:|---:|---:|")
    horizons = (12, 28, 182) if quick else HORIZONS
    met = rows = 0
    for days in horizons:
        for eps in (0.05,) if quick else EPSILONS:
            for method in ("bonferroni", "joint"):
                row, ok = _row(instance(days=days, epsilon=eps), method)
                print(row, flush=True)
                met, rows = met + ok, rows + 1
    print()
    print(f"within the gap in under {GOAL_CPU:g} CPU-s: {met} of {rows} rows")
    print("load average (1, 5, 15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print()
    print("26 weeks with CBC:")
    for method in ("bonferroni", "joint"):
        print(_row(inp, method, "cbc")[0], flush=True)


if __name__ == "__main__":
    main()
