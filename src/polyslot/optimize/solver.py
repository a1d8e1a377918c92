"""Solver adapter: runs a PuLP problem on HiGHS (default) or CBC and returns a SolveRecord."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import pulp

from polyslot.errors import SolverError

__all__ = ["SolveStatus", "SolveRecord", "available", "solve", "solve_configured"]


class SolveStatus(StrEnum):
    """Outcome of a solve, as a string enum."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped by time limit / gap with an integer solution
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"


@dataclass(frozen=True)
class SolveRecord:
    """What a solve produced.

    Attributes
    ----------
    status : SolveStatus
    objective : float or None
    values : dict
        Variable name -> value.
    gap : float or None
        Relative MIP gap reported by the solver (None when the solver does not report it).
    time : float
        Wall-clock seconds.
    solver : str
        ``"highs"`` or ``"cbc"``.
    bound : float or None
        Best bound on the objective the solver proved (HiGHS's MIP dual bound; None otherwise).
    time_limit_hit : bool
        Whether the solver stopped at its time (or node) limit.
    wall_clock_limit_hit : bool
        Whether the wall-clock time limit stopped it (then the result may depend on the
        machine's load: reported, see ``OptimizeConfig.time_limit``).
    """

    status: SolveStatus
    objective: float | None
    values: dict[str, float] = field(default_factory=dict, repr=False)
    gap: float | None = None
    time: float = 0.0
    solver: str = "highs"
    bound: float | None = None
    time_limit_hit: bool = False
    wall_clock_limit_hit: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (without the variable values)."""
        return {
            "status": self.status.value,
            "objective": self.objective,
            "gap": self.gap,
            "time": round(self.time, 4),
            "solver": self.solver,
            "wall_clock_limit_hit": self.wall_clock_limit_hit,
        }


def available(name: str) -> bool:
    """Whether solver ``name`` (``"highs"`` or ``"cbc"``) can run here."""
    try:
        if name == "highs":
            return bool(pulp.HiGHS(msg=False).available())
        if name == "cbc":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return bool(pulp.PULP_CBC_CMD(msg=False).available())
    except Exception:  # noqa: BLE001 - a broken install simply means "not available"
        return False
    return False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to stdout (HiGHS prints a banner even with msg=False)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _make(
    name: str, time_limit: float, gap_rel: float, node_limit: int | None = None
) -> pulp.LpSolver:
    if name == "highs":
        extra = {} if node_limit is None else {"mip_max_nodes": int(node_limit)}
        return pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=1, **extra)
    with warnings.catch_warnings():  # PuLP 3 flags PULP_CBC_CMD as deprecated for PuLP 4
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap_rel, threads=1)


def solve(
    problem: pulp.LpProblem,
    solver: str = "highs",
    *,
    time_limit: float = 5.0,
    gap_rel: float = 1e-4,
    node_limit: int | None = None,
) -> SolveRecord:
    """Solve ``problem`` with ``solver``; HiGHS falls back to CBC when it is unavailable.

    Raises
    ------
    polyslot.errors.SolverError
        When no solver is available or the solver crashes.
    """
    name = solver
    if name == "highs" and not available("highs"):
        name = "cbc"
    if not available(name):
        raise SolverError(f"solver {solver!r} is not available (tried {name!r})")
    t0 = time.perf_counter()
    limit_hit = False
    try:
        with _quiet_stdout():
            problem.solve(_make(name, time_limit, gap_rel, node_limit))
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{name} failed: {exc}") from None
    except KeyError:
        # PuLP does not map HiGHS's node-limit status; the solution values are already loaded
        limit_hit = True
    elapsed = time.perf_counter() - t0
    lp_status = problem.status
    sol_status = problem.sol_status
    if limit_hit:
        info = problem.solverModel.getInfo()
        found = (
            float(info.objective_function_value) < 1e30 and int(info.primal_solution_status) == 2
        )  # kSolutionStatusFeasible
        lp_status = pulp.LpStatusOptimal if found else pulp.LpStatusNotSolved
        sol_status = pulp.LpSolutionIntegerFeasible if found else pulp.LpSolutionNoSolutionFound
    gap = bound = None
    wall = False
    if name == "highs" and getattr(problem, "solverModel", None) is not None:
        try:
            info = problem.solverModel.getInfo()
            g = float(info.mip_gap)
            gap = g if g < 1e30 else None
            b = float(info.mip_dual_bound)
            bound = b if abs(b) < 1e30 else None
            stopped = str(problem.solverModel.getModelStatus()).rsplit(".", 1)[-1]
            limit_hit = limit_hit or stopped in ("kTimeLimit", "kIterationLimit", "kSolutionLimit")
            wall = stopped == "kTimeLimit"
        except Exception:  # noqa: BLE001
            gap = None
    if lp_status == pulp.LpStatusOptimal:
        status = (
            SolveStatus.OPTIMAL if sol_status == pulp.LpSolutionOptimal else SolveStatus.FEASIBLE
        )
    elif lp_status == pulp.LpStatusInfeasible:
        status = SolveStatus.INFEASIBLE
    elif lp_status == pulp.LpStatusUnbounded:
        status = SolveStatus.UNBOUNDED
    else:
        status = SolveStatus.NOT_SOLVED
    values: dict[str, float] = {}
    objective = None
    if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        values = {v.name: float(v.varValue or 0.0) for v in problem.variables()}
        objective = float(pulp.value(problem.objective) or 0.0)
        if name == "cbc" and status is SolveStatus.OPTIMAL:
            gap = 0.0 if gap is None else gap
    hit = limit_hit or (name == "cbc" and status is SolveStatus.FEASIBLE)
    # CBC runs without a node limit here: stopping short of the gap means the time limit
    wall = wall or (name == "cbc" and status is SolveStatus.FEASIBLE)
    return SolveRecord(status, objective, values, gap, elapsed, name, bound, hit, wall)


def solve_configured(problem: pulp.LpProblem, config) -> SolveRecord:  # noqa: ANN001
    """:func:`solve` with the solver, time limit, gap and node limit of an ``OptimizeConfig``."""
    return solve(
        problem,
        config.solver,
        time_limit=config.time_limit,
        gap_rel=config.gap_rel,
        node_limit=config.node_limit,
    )
