"""Solver adapter and solution record for polyslot's MILPs (PuLP with HiGHS, CBC as fallback)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import pulp

from polyslot.errors import SolverError

__all__ = ["SolveStatus", "SolveRecord", "make_solver", "solve"]


class SolveStatus(StrEnum):
    """Outcome of a solve, as a string enum."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # an integer solution, optimality not proven (time limit)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"


@dataclass(frozen=True)
class SolveRecord:
    """Solver outcome: status, objective, variable values, relative MIP gap (if known), time."""

    status: SolveStatus
    objective: float | None
    values: dict[str, float] = field(repr=False)
    gap: float | None
    time_seconds: float
    solver: str


def make_solver(
    name: str = "highs", time_limit: float | None = None, gap_rel: float | None = None
) -> pulp.LpSolver:
    """A quiet PuLP solver: ``highs`` (falls back to bundled CBC if unavailable) or ``cbc``."""
    if name not in ("highs", "cbc"):
        raise SolverError(f"unknown solver {name!r}; expected 'highs' or 'cbc'")
    if name == "highs":
        highs = pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=gap_rel)
        if highs.available():
            return highs
    cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap_rel)
    if not cbc.available():
        raise SolverError("no MILP solver available: neither HiGHS (highspy) nor CBC was found")
    return cbc


def _gap(prob: pulp.LpProblem) -> float | None:
    model = getattr(prob, "solverModel", None)
    if model is None or not hasattr(model, "getInfo"):
        return None
    try:
        gap = float(model.getInfo().mip_gap)
    except Exception:  # noqa: BLE001 - the gap is informative only
        return None
    return gap if gap < 1e20 else None


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints its banner from C even with ``msg=False``)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (e.g. captured): nothing to protect
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def solve(prob: pulp.LpProblem, solver: pulp.LpSolver | None = None) -> SolveRecord:
    """Solve ``prob`` and return its :class:`SolveRecord` (never raises on infeasibility)."""
    solver = solver or make_solver()
    prob.solverModel = None  # so a stale HiGHS model never reports another solve's gap
    t0 = time.perf_counter()
    try:
        with _quiet_stdout():
            prob.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{solver.name} failed: {exc}") from None
    elapsed = time.perf_counter() - t0
    code = prob.status
    sol = getattr(prob, "sol_status", None)
    if code == pulp.LpStatusOptimal:
        status = SolveStatus.OPTIMAL
        if sol == pulp.LpSolutionIntegerFeasible:
            status = SolveStatus.FEASIBLE
    elif code == pulp.LpStatusInfeasible:
        status = SolveStatus.INFEASIBLE
    elif code == pulp.LpStatusUnbounded:
        status = SolveStatus.UNBOUNDED
    elif sol in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal):
        status = SolveStatus.FEASIBLE
    else:
        status = SolveStatus.NOT_SOLVED
    has_values = status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    values = {v.name: float(v.varValue or 0.0) for v in prob.variables()} if has_values else {}
    objective = float(pulp.value(prob.objective)) if has_values else None
    return SolveRecord(status, objective, values, _gap(prob), elapsed, solver.name)
