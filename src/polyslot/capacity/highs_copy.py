"""A persistent HiGHS copy of a PuLP problem, for the many small re-solves of the capacity solve.

Passing a PuLP problem to a solver rebuilds it from its Python expressions every time (about
0.1 s for the 26-week model, ten times the LP itself). :class:`HighsCopy` converts the problem
once into sparse arrays; each LP re-solve changes a few column bounds on one ``highspy.Highs``
object and warm-starts from the previous basis, and each MIP runs on a fresh copy of the same
arrays. Values come back keyed by PuLP variable name, in the :class:`SolveRecord` of the solver
adapter, so the rest of the capacity code does not know which path solved.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import highspy
import numpy as np
import pulp

from polyslot.optimize.solver import SolveRecord, SolveStatus, _quiet_stdout, available, solve

__all__ = ["HighsCopy", "PulpCopy", "highs_available", "problem_copy"]

_INF = 1e30
Stepper = Callable[..., SolveRecord]  # step(fixed, free=()) of a pinned sequence of re-solves


def highs_available() -> bool:
    """Whether HiGHS runs here (``highspy`` is a dependency; the PuLP check covers a broken
    install)."""
    return available("highs")


def _new_highs(threads: int = 1) -> Any:
    with _quiet_stdout():  # HiGHS prints a banner on its first construction
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    return h


class HighsCopy:
    """The problem ``prob`` as arrays, with a warm-started LP relaxation and MIP solves.

    Parameters
    ----------
    prob : pulp.LpProblem
        A minimisation problem; its variables' bounds at construction are the defaults that
        every solve starts from.
    """

    def __init__(self, prob: pulp.LpProblem) -> None:
        variables = prob.variables()
        self.names = [v.name for v in variables]
        self.index = {name: k for k, name in enumerate(self.names)}
        n = len(variables)
        self.cost = np.zeros(n)
        for var, coef in prob.objective.items():
            self.cost[self.index[var.name]] = coef
        self.offset = float(prob.objective.constant)
        self.lower = np.array([-_INF if v.lowBound is None else v.lowBound for v in variables])
        self.upper = np.array([_INF if v.upBound is None else v.upBound for v in variables])
        self.integer = np.array([v.cat == pulp.LpInteger for v in variables])
        starts, idx, vals, row_lo, row_hi = [0], [], [], [], []
        for con in prob.constraints():
            for var, coef in con.items():
                if coef != 0:
                    idx.append(self.index[var.name])
                    vals.append(coef)
            starts.append(len(idx))
            lo, hi = con.getLb(), con.getUb()
            row_lo.append(-_INF if lo is None else lo)
            row_hi.append(_INF if hi is None else hi)
        self._rows = (
            np.array(row_lo, dtype=float),
            np.array(row_hi, dtype=float),
            np.array(starts, dtype=np.int32),
            np.array(idx, dtype=np.int32),
            np.array(vals, dtype=float),
        )
        self._lp = self._build(integer=False)

    # -- building -------------------------------------------------------------------------------
    def _build(self, *, integer: bool, upper: np.ndarray | None = None) -> Any:
        h = _new_highs()
        n = len(self.names)
        empty = np.zeros(n + 1, dtype=np.int32)
        ub = self.upper if upper is None else upper
        h.addCols(n, self.cost, self.lower, ub, 0, empty, np.array([], np.int32), np.array([]))
        lo, hi, starts, idx, vals = self._rows
        h.addRows(len(lo), lo, hi, len(idx), starts[:-1], idx, vals)
        h.changeObjectiveOffset(self.offset)
        if integer and self.integer.any():
            cols = np.flatnonzero(self.integer).astype(np.int32)
            kinds = np.full(cols.size, highspy.HighsVarType.kInteger)
            h.changeColsIntegrality(cols.size, cols, kinds)
        return h

    def columns(self, names: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Column indexes and values of a ``{name: value}`` mapping."""
        cols = np.array([self.index[k] for k in names], dtype=np.int32)
        return cols, np.array(list(names.values()), dtype=float)

    def _record(self, h: Any, t0: float, *, mip: bool) -> SolveRecord:
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        info = h.getInfo()
        has_sol = int(info.primal_solution_status) == 2
        limit = status in (ms.kTimeLimit, ms.kIterationLimit, ms.kSolutionLimit) or (
            mip and str(status).endswith("kNodeLimit")
        )
        if status == ms.kOptimal:
            st = SolveStatus.OPTIMAL
        elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            st = SolveStatus.INFEASIBLE
        elif status == ms.kUnbounded:
            st = SolveStatus.UNBOUNDED
        elif has_sol and mip:
            st = SolveStatus.FEASIBLE
        else:
            st = SolveStatus.NOT_SOLVED
        values: dict[str, float] = {}
        objective = bound = gap = None
        if st in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            x = np.asarray(h.getSolution().col_value, dtype=float)
            values = dict(zip(self.names, x.tolist(), strict=True))
            objective = float(h.getInfo().objective_function_value)
        if mip:
            b = float(info.mip_dual_bound)
            bound = b if abs(b) < _INF else None
            g = float(info.mip_gap)
            gap = g if g < _INF else None
        spent = time.perf_counter() - t0
        return SolveRecord(st, objective, values, gap, spent, "highs", bound, limit)

    # -- solves ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _bounds(
        self, h: Any, upper: Mapping[str, float], fixed: Mapping[str, float]
    ) -> Iterator[None]:
        changed = np.array([self.index[k] for k in (*upper, *fixed)], dtype=np.int32)
        lo = self.lower[changed].copy()
        hi = self.upper[changed].copy()
        k = len(upper)
        hi[:k] = np.minimum(hi[:k], np.fromiter(upper.values(), float, k))
        lo[k:] = hi[k:] = np.fromiter(fixed.values(), float, len(fixed))
        if changed.size:
            h.changeColsBounds(changed.size, changed, lo, hi)
        try:
            yield
        finally:
            if changed.size:
                h.changeColsBounds(changed.size, changed, self.lower[changed], self.upper[changed])

    def lp(
        self,
        upper: Mapping[str, float] | None = None,
        fixed: Mapping[str, float] | None = None,
        time_limit: float = 60.0,
    ) -> SolveRecord:
        """The LP relaxation with extra upper bounds and fixed values (by variable name)."""
        t0 = time.perf_counter()
        h = self._lp
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        with self._bounds(h, upper or {}, fixed or {}):
            h.run()
            return self._record(h, t0, mip=False)

    @contextlib.contextmanager
    def pinned(self, upper: Mapping[str, float], time_limit: float) -> Iterator[Stepper]:
        """A sequence of LP re-solves that fix more columns each time (a dive).

        Inside, ``step(fixed, free)`` sets ``fixed`` columns to their values and returns the
        ``free`` ones to their bounds, keeps them so, and re-solves warm; ``upper`` holds
        throughout. Every bound is restored on exit.
        """
        h = self._lp
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        touched: set[int] = set()

        def set_bounds(cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
            if cols.size:
                h.changeColsBounds(cols.size, cols, lo, hi)
                touched.update(cols.tolist())

        cols, ub = self.columns(upper)
        set_bounds(cols, self.lower[cols], np.minimum(self.upper[cols], ub))

        def step(fixed: Mapping[str, float], free: Iterable[str] = ()) -> SolveRecord:
            t0 = time.perf_counter()
            back = np.array([self.index[n] for n in free], dtype=np.int32)
            set_bounds(back, self.lower[back], self.upper[back])
            cols, vals = self.columns(fixed)
            set_bounds(cols, vals, vals)
            h.run()
            return self._record(h, t0, mip=False)

        try:
            yield step
        finally:
            done = np.array(sorted(touched), dtype=np.int32)
            if done.size:
                h.changeColsBounds(done.size, done, self.lower[done], self.upper[done])

    def mip(
        self,
        upper: Mapping[str, float] | None = None,
        *,
        time_limit: float = 60.0,
        gap_rel: float = 1e-4,
        node_limit: int | None = None,
        stop_at: float | None = None,
        start: Mapping[str, float] | None = None,
        rows: Iterable[tuple[Mapping[str, float], float]] = (),
    ) -> SolveRecord:
        """Branch and bound on a fresh copy, with extra upper bounds (by variable name).

        ``stop_at``: stop as soon as a plan with objective at most this is found (the caller
        knows a better bound than the solver's); ``start``: a feasible plan to start from;
        ``rows``: extra cuts ``sum coef * var >= lower`` given as ``({name: coef}, lower)``.
        """
        t0 = time.perf_counter()
        ub = self.upper.copy()
        for name, value in (upper or {}).items():
            k = self.index[name]
            ub[k] = min(ub[k], value)
        h = self._build(integer=True, upper=ub)
        for coefs, lower in rows:
            cols, vals = self.columns(coefs)
            h.addRow(float(lower), _INF, cols.size, cols, vals)
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        h.setOptionValue("mip_rel_gap", float(gap_rel))
        if node_limit is not None:
            h.setOptionValue("mip_max_nodes", int(node_limit))
        if stop_at is not None:

            def enough(event: Any) -> None:
                if event.data_out.mip_primal_bound <= stop_at:
                    event.interrupt()

            h.cbMipInterrupt.subscribe(enough)
        if start is not None:
            sol = highspy.HighsSolution()
            sol.col_value = [float(start.get(name, 0.0)) for name in self.names]
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        return self._record(h, t0, mip=True)


class PulpCopy:
    """The same interface as :class:`HighsCopy` on the PuLP problem itself (for CBC): each
    solve sets the bounds on the PuLP variables, passes the problem to the solver adapter and
    restores them."""

    def __init__(self, prob: pulp.LpProblem, solver: str) -> None:
        self.prob = prob
        self.solver = solver
        self.vars = prob.variablesDict()
        self.integer = [v for v in self.vars.values() if v.cat == pulp.LpInteger]

    @contextlib.contextmanager
    def _bounds(self, upper: Mapping[str, float], fixed: Mapping[str, float]) -> Iterator[None]:
        saved = {n: (self.vars[n].lowBound, self.vars[n].upBound) for n in (*upper, *fixed)}
        for n, ub in upper.items():
            var = self.vars[n]
            var.upBound = ub if var.upBound is None else min(var.upBound, ub)
        for n, val in fixed.items():
            self.vars[n].lowBound = self.vars[n].upBound = val
        try:
            yield
        finally:
            for n, (lo, hi) in saved.items():
                self.vars[n].lowBound, self.vars[n].upBound = lo, hi

    def lp(
        self,
        upper: Mapping[str, float] | None = None,
        fixed: Mapping[str, float] | None = None,
        time_limit: float = 60.0,
    ) -> SolveRecord:
        """The LP relaxation with extra upper bounds and fixed values (by variable name)."""
        for var in self.integer:
            var.cat = pulp.LpContinuous
        try:
            with self._bounds(upper or {}, fixed or {}):
                return solve(self.prob, self.solver, time_limit=time_limit, gap_rel=0.0)
        finally:
            for var in self.integer:
                var.cat = pulp.LpInteger

    @contextlib.contextmanager
    def pinned(self, upper: Mapping[str, float], time_limit: float) -> Iterator[Stepper]:
        """The :meth:`HighsCopy.pinned` sequence of re-solves, on the PuLP problem."""
        fixed_now: dict[str, float] = {}

        def step(fixed: Mapping[str, float], free: Iterable[str] = ()) -> SolveRecord:
            for name in free:
                fixed_now.pop(name, None)
            fixed_now.update(fixed)
            return self.lp(upper, fixed_now, time_limit)

        yield step

    def mip(
        self,
        upper: Mapping[str, float] | None = None,
        *,
        time_limit: float = 60.0,
        gap_rel: float = 1e-4,
        node_limit: int | None = None,
        stop_at: float | None = None,  # noqa: ARG002 - HiGHS only
        start: Mapping[str, float] | None = None,  # noqa: ARG002 - HiGHS only
        rows: Iterable[tuple[Mapping[str, float], float]] = (),  # noqa: ARG002 - cuts: optional
    ) -> SolveRecord:
        """Branch and bound with extra upper bounds (by variable name)."""
        with self._bounds(upper or {}, {}):
            return solve(
                self.prob,
                self.solver,
                time_limit=time_limit,
                gap_rel=gap_rel,
                node_limit=node_limit,
            )


def problem_copy(prob: pulp.LpProblem, solver: str) -> HighsCopy | PulpCopy:
    """A :class:`HighsCopy` for HiGHS when ``highspy`` is there, else a :class:`PulpCopy`."""
    if solver == "highs" and highs_available():
        return HighsCopy(prob)
    return PulpCopy(prob, solver)
