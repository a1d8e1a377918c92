"""The network MIP against brute force on small networks (3 polyclinics, up to 4 movable
doctor-sessions): the same optimal objective, and its solution keeps every rule (flows, groups,
move limit, lender tolerance, today's patients at borrowers)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from polyslot.errors import InputError
from polyslot.network.mip import MOVE_COST, NetworkProblem, Option, check_solution, solve_network

HALVES = ("AM", "PM")


def _shares(groups, a, b):
    return a != b and (not groups or any(a in g and b in g for g in groups))


def _min_moves(delta: dict[str, int], problem: NetworkProblem, d: int, h: str) -> float:
    """Fewest moves (or inf) that give ``delta`` on ``(d, h)``: enumerate the move counts on
    every allowed edge (a lender with a lending option there to a borrower with a borrowing
    one), independently of the MIP's own edge list."""
    ids = sorted({o.polyclinic_id for o in problem.options if o.weekday == d})

    def has(pid, sign):
        return any(o.weekday == d and o.polyclinic_id == pid and sign * o.change(h) > 0
                   for o in problem.options)

    edges = [(a, b) for a in ids for b in ids
             if _shares(problem.groups, a, b) and has(a, -1) and has(b, +1)]
    top = max([abs(v) for v in delta.values()] + [0])
    best = math.inf
    for counts in itertools.product(range(top + 1), repeat=len(edges)):
        net = dict.fromkeys(ids, 0)
        for (a, b), k in zip(edges, counts, strict=True):
            net[a] -= k
            net[b] += k
        if all(net[p] == delta.get(p, 0) for p in ids):
            best = min(best, sum(counts))
    return best


def brute_force(problem: NetworkProblem) -> float:
    """The least total objective over every choice of one option per polyclinic and weekday
    that the rules allow."""
    keys = problem.keys()
    best = math.inf
    for choice in itertools.product(*(problem.of(c, d) for c, d in keys)):
        if any(o.wait_excess > problem.tolerance or o.overtime_excess > problem.tolerance
               or o.patient_shortfall > 0 for o in choice):
            continue
        moves = 0.0
        for d in sorted({d for _, d in keys}):
            for h in HALVES:
                delta = {o.polyclinic_id: o.change(h) for o in choice if o.weekday == d}
                moves += _min_moves(delta, problem, d, h) if any(delta.values()) else 0
        if moves > problem.max_moves:
            continue
        best = min(best, sum(o.objective for o in choice))
    return best


def random_problem(rng: np.random.Generator) -> NetworkProblem:
    """3 polyclinics, one or two weekdays; a borrower, a lender and one that may do either;
    at most 4 doctor-sessions could move."""
    days = [0] if rng.random() < 0.5 else [0, 1]
    options = []
    for d in days:
        for pid, role in (("A", "borrow"), ("B", "lend"), ("C", rng.choice(["lend", "borrow"]))):
            base = float(rng.uniform(500, 1500))
            options.append(Option(pid, d, 0, 0, base))
            sign = 1 if role == "borrow" else -1
            halves = [(1, 0), (0, 1), (1, 1)] if rng.random() < 0.6 else [(1, 0), (2, 0)]
            for a, p in halves:
                if rng.random() < 0.2:
                    continue  # a point that was not computed
                change = sign * (a + p)
                gain = float(rng.uniform(-100, 500)) * (a + p) if sign > 0 else float(
                    rng.uniform(10, 200)) * (a + p)
                obj = base - gain if sign > 0 else base + gain
                wait = float(rng.uniform(0, 2.5)) if sign < 0 else 0.0
                over = float(rng.uniform(0, 2.5)) if sign < 0 else 0.0
                short = float(rng.choice([0.0, 0.0, 0.0, 1.5])) if sign > 0 else 0.0
                options.append(Option(pid, d, sign * a, sign * p, obj, wait, over,
                                      "optimised", short))
                if sign > 0 and rng.random() < 0.5:  # today's template with the doctors
                    options.append(Option(pid, d, a, p, obj + float(rng.uniform(-50, 150)),
                                          template="today"))
                assert abs(change) <= 2
    groups = ()
    r = rng.random()
    if r < 0.3:
        groups = (("A", "B"),)
    elif r < 0.5:
        groups = (("A", "C"), ("B", "C"))
    return NetworkProblem(tuple(options), groups, int(rng.integers(1, 5)),
                          float(rng.choice([1.0, 2.0, 3.0])))


@pytest.mark.parametrize("seed", range(40))
def test_mip_equals_brute_force(seed):
    problem = random_problem(np.random.default_rng(seed))
    sol = solve_network(problem)
    want = brute_force(problem)
    assert sol.objective == pytest.approx(want, rel=1e-9, abs=1e-6)
    assert check_solution(problem, sol) == []
    # the moves are the fewest that give the chosen changes (no pointless chains)
    assert sol.moved * MOVE_COST < 1e-3


def test_the_random_networks_move_doctors():
    """The generator exercises the moves (a brute-force check of nothing but 'no move' would
    prove little)."""
    moved = [solve_network(random_problem(np.random.default_rng(s))).moved for s in range(40)]
    assert sum(m > 0 for m in moved) >= 20 and max(moved) >= 2


def test_lender_tolerance_and_groups_bind():
    """A's best is to borrow 1 AM; B lends within tolerance only at an objective cost, C (a
    cheap lender) is outside A's group, D is beyond the tolerance: B lends."""
    opts = (
        Option("A", 0, 0, 0, 1000.0), Option("A", 0, 1, 0, 400.0),
        Option("B", 0, 0, 0, 300.0), Option("B", 0, -1, 0, 450.0, 1.5, 0.5),
        Option("C", 0, 0, 0, 300.0), Option("C", 0, -1, 0, 310.0, 0.1, 0.1),
        Option("D", 0, 0, 0, 300.0), Option("D", 0, -1, 0, 301.0, 2.5, 0.0),
    )  # fmt: skip
    problem = NetworkProblem(opts, (("A", "B", "D"), ("C",)), max_moves=4, tolerance=2.0)
    sol = solve_network(problem)
    assert [(m.lender, m.borrower, m.half) for m in sol.moves] == [("B", "A", "AM")]
    assert sol.chosen[("D", 0)].am == 0 and sol.chosen[("C", 0)].am == 0
    assert sol.objective == pytest.approx(400 + 450 + 300 + 300)
    # without the group, C lends; with a looser tolerance, D does (cheaper than B)
    assert solve_network(NetworkProblem(opts, (), 4, 2.0)).moves[0].lender == "C"
    assert solve_network(NetworkProblem(opts, (("A", "B", "D"),), 4, 3.0)).moves[0].lender == "D"
    # no moves allowed: everyone keeps the recommended plan
    none = solve_network(NetworkProblem(opts, (), 0, 2.0))
    assert none.moves == () and none.objective == pytest.approx(none.baseline) == 1900.0


def test_borrower_keeps_todays_patients():
    """The borrowing option that serves fewer patients than today is not taken, even when its
    objective is lower; the one that keeps them is."""
    opts = (
        Option("A", 0, 0, 0, 1000.0),
        Option("A", 0, 1, 0, 300.0, patient_shortfall=1.2),
        Option("A", 0, 1, 0, 500.0, template="today"),
        Option("B", 0, 0, 0, 300.0), Option("B", 0, -1, 0, 350.0, 0.5, 0.5),
    )  # fmt: skip
    sol = solve_network(NetworkProblem(opts, (), 4, 2.0))
    assert sol.chosen[("A", 0)].template == "today"
    assert sol.objective == pytest.approx(850.0)


def test_every_polyclinic_weekday_needs_its_plan():
    with pytest.raises(InputError, match=r"\(0, 0\)"):
        NetworkProblem((Option("A", 0, 1, 0, 1.0),))
