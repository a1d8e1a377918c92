"""The network MIP: which whole doctor-sessions move from polyclinics that can lend to those
that need them.

Data: for every polyclinic ``c`` and weekday ``d`` of the plan, its options ``o`` (the computed
staffing points, :class:`Option`): ``am_o``, ``pm_o`` doctor-sessions more (negative: fewer) than
today, the day's objective ``f_o`` (minutes: ``w_wait`` total wait + ``w_idle`` idle +
``w_overtime`` overtime + ``w_unmet`` unmet demand) and, for a lender, how much its mean wait
and overtime per doctor-session exceed the recommended plan's (``e^wait_o``, ``e^over_o``). The
option ``(0, 0)`` (the recommended plan) is always there.

Variables: ``z[c, d, o]`` binary (option chosen); ``m[l, b, d, h]`` integer >= 0 (doctor-sessions
of half-day ``h`` of weekday ``d`` moved from ``l`` to ``b``; only for ``l`` and ``b`` sharing a
group, ``l`` with a lending option there and ``b`` a borrowing one).

Minimise ``sum z f + 1e-6 sum m`` (the small term leaves no pointless chains of moves) subject to

* ``one_<c>_<d>``: ``sum_o z[c, d, o] = 1``;
* ``flow_<c>_<d>_<h>``: ``sum_o z[c, d, o] h_o = sum_l m[l, c, d, h] - sum_b m[c, b, d, h]``: a
  polyclinic's doctor-sessions change only by the moves in and out, so today's total
  doctor-sessions of every weekday and half-day is unchanged (``sessions_<d>_<h>`` states it);
* ``moves``: ``sum m <= max_moves_per_week``;
* ``tolerance_wait_<c>_<d>`` and ``tolerance_overtime_<c>_<d>``: ``sum_o z e_o <= tolerance``;
* ``keep_patients_<c>_<d>``: ``sum_o z s_o <= 0``, where ``s_o`` is how many patients a day a
  borrowing option serves fewer than today (beyond the 95% interval of the difference): a
  borrowed doctor-session is there to serve today's patients, not to trade them (the
  recommended plan ``(0, 0)``, with its trade, stays possible).

The problem is small (a few options per polyclinic and weekday) and solved to optimality by
HiGHS through :func:`polyslot.optimize.solver.solve`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulp

from polyslot.errors import InputError, SolverError
from polyslot.network.roles import may_share
from polyslot.optimize.solver import SolveStatus, solve
from polyslot.staffing import HALVES

__all__ = ["Option", "NetworkProblem", "Move", "NetworkSolution", "solve_network", "check_solution",
           "MOVE_COST"]

#: Objective cost of one move (minutes): only breaks ties against pointless chains.
MOVE_COST = 1e-6


@dataclass(frozen=True)
class Option:
    """One computed staffing point of polyclinic ``polyclinic_id`` on ``weekday``."""

    polyclinic_id: str
    weekday: int
    am: int
    pm: int
    objective: float
    wait_excess: float = 0.0
    overtime_excess: float = 0.0
    template: str = "optimised"
    patient_shortfall: float = 0.0

    def change(self, half: str) -> int:
        """Doctor-sessions more (negative: fewer) on ``half``."""
        return self.am if half == "AM" else self.pm


@dataclass(frozen=True)
class NetworkProblem:
    """Options of every polyclinic and weekday, who may share with whom, and the limits."""

    options: tuple[Option, ...]
    groups: tuple[tuple[str, ...], ...] = ()
    max_moves: int = 24
    tolerance: float = 2.0

    def __post_init__(self) -> None:
        keys = {(o.polyclinic_id, o.weekday) for o in self.options}
        for k in sorted(keys):
            if not any((o.am, o.pm) == (0, 0) for o in self.options
                       if (o.polyclinic_id, o.weekday) == k):
                raise InputError("every polyclinic and weekday needs its (0, 0) option",
                                 field="options", value=k)

    def keys(self) -> list[tuple[str, int]]:
        """``(polyclinic, weekday)`` pairs in order."""
        return sorted({(o.polyclinic_id, o.weekday) for o in self.options})

    def of(self, pid: str, weekday: int) -> list[Option]:
        """The options of ``pid`` on ``weekday``."""
        return [o for o in self.options if (o.polyclinic_id, o.weekday) == (pid, weekday)]

    def pairs(self) -> list[tuple[str, str, int, str]]:
        """``(lender, borrower, weekday, half)`` a move may join."""
        out = []
        for lender, d in self.keys():
            for h in HALVES:
                if not any(o.change(h) < 0 for o in self.of(lender, d)):
                    continue
                for b, e in self.keys():
                    if e == d and any(o.change(h) > 0 for o in self.of(b, d)) and may_share(
                        self.groups, lender, b
                    ):
                        out.append((lender, b, d, h))
        return out


@dataclass(frozen=True)
class Move:
    """``count`` doctor-sessions of ``half`` on ``weekday`` from ``lender`` to ``borrower``."""

    lender: str
    borrower: str
    weekday: int
    half: str
    count: int = 1


@dataclass(frozen=True)
class NetworkSolution:
    """The chosen option of every polyclinic and weekday, the moves and the objective."""

    status: str
    objective: float
    baseline: float
    chosen: dict[tuple[str, int], Option] = field(default_factory=dict)
    moves: tuple[Move, ...] = ()

    @property
    def moved(self) -> int:
        """Doctor-sessions moved per week."""
        return sum(m.count for m in self.moves)


def _name(*parts: object) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(str(p) for p in parts))


def solve_network(problem: NetworkProblem, solver: str = "highs") -> NetworkSolution:
    """The network plan of ``problem`` (see the module docstring).

    Raises
    ------
    SolverError
        When the solver fails (the problem itself is always feasible: every option ``(0, 0)``).
    """
    keys = problem.keys()
    base = sum(o.objective for o in problem.options if (o.am, o.pm) == (0, 0))
    if not keys:
        return NetworkSolution("optimal", 0.0, 0.0)
    prob = pulp.LpProblem("network", pulp.LpMinimize)
    z = {}
    for c, d in keys:
        for o in problem.of(c, d):
            z[o] = pulp.LpVariable(_name("z", c, d, o.am, o.pm, o.template), cat="Binary")
    m = {
        p: pulp.LpVariable(_name("m", *p), lowBound=0, cat="Integer") for p in problem.pairs()
    }
    prob += pulp.lpSum(o.objective * v for o, v in z.items()) + MOVE_COST * pulp.lpSum(m.values())
    for c, d in keys:
        opts = problem.of(c, d)
        prob += pulp.lpSum(z[o] for o in opts) == 1, _name("one", c, d)
        for h in HALVES:
            if all(o.change(h) == 0 for o in opts):
                continue
            inflow = pulp.lpSum(v for (_, b, e, g), v in m.items() if (b, e, g) == (c, d, h))
            outflow = pulp.lpSum(v for (a, _, e, g), v in m.items() if (a, e, g) == (c, d, h))
            prob += (
                pulp.lpSum(o.change(h) * z[o] for o in opts) == inflow - outflow,
                _name("flow", c, d, h),
            )
        prob += (
            pulp.lpSum(o.wait_excess * z[o] for o in opts) <= problem.tolerance,
            _name("tolerance_wait", c, d),
        )
        prob += (
            pulp.lpSum(o.overtime_excess * z[o] for o in opts) <= problem.tolerance,
            _name("tolerance_overtime", c, d),
        )
        if any(o.patient_shortfall > 0 for o in opts):
            prob += (
                pulp.lpSum(o.patient_shortfall * z[o] for o in opts) <= 0,
                _name("keep_patients", c, d),
            )
    for d in sorted({d for _, d in keys}):
        for h in HALVES:
            terms = [o.change(h) * v for o, v in z.items() if o.weekday == d and o.change(h)]
            if terms:
                prob += pulp.lpSum(terms) == 0, _name("sessions", d, h)
    if m:
        prob += pulp.lpSum(m.values()) <= problem.max_moves, "moves"
    rec = solve(prob, solver, time_limit=120.0, gap_rel=1e-9)
    if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise SolverError(f"the network plan could not be solved ({rec.status.value})")
    chosen = {}
    for o, v in z.items():
        if rec.values.get(v.name, 0.0) > 0.5:
            chosen[(o.polyclinic_id, o.weekday)] = o
    moves = tuple(
        Move(a, b, d, h, int(round(rec.values.get(v.name, 0.0))))
        for (a, b, d, h), v in sorted(m.items(), key=lambda kv: (kv[0][2], kv[0][3], kv[0][0],
                                                                  kv[0][1]))
        if rec.values.get(v.name, 0.0) > 0.5
    )
    total = sum(o.objective for o in chosen.values())
    return NetworkSolution(rec.status.value, total, base, chosen, moves)


def check_solution(problem: NetworkProblem, solution: NetworkSolution) -> list[str]:
    """What ``solution`` breaks of ``problem``'s constraints (empty when nothing)."""
    bad = []
    for c, d in problem.keys():
        o = solution.chosen.get((c, d))
        if o is None:
            bad.append(f"{c} {d}: no option chosen")
            continue
        if o.wait_excess > problem.tolerance + 1e-9 or o.overtime_excess > problem.tolerance + 1e-9:
            bad.append(f"{c} {d}: lender beyond tolerance")
        if o.patient_shortfall > 0:
            bad.append(f"{c} {d}: borrows and serves fewer patients than today")
        for h in HALVES:
            net = sum(m.count for m in solution.moves
                      if (m.borrower, m.weekday, m.half) == (c, d, h))  # fmt: skip
            net -= sum(m.count for m in solution.moves
                       if (m.lender, m.weekday, m.half) == (c, d, h))  # fmt: skip
            if net != o.change(h):
                bad.append(f"{c} {d} {h}: change {o.change(h)} but moves give {net}")
    for mv in solution.moves:
        if not may_share(problem.groups, mv.lender, mv.borrower):
            bad.append(f"{mv.lender} -> {mv.borrower}: not in a common group")
    if solution.moved > problem.max_moves:
        bad.append(f"{solution.moved} moves > {problem.max_moves}")
    return bad
