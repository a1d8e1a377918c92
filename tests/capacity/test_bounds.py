"""The solve's lower bounds are valid: never above a plan found by exhaustive enumeration.

The reported ``lower_bound`` (LP, integer-rounding cuts, or the proof that no plan has a lower
peak than the incumbent) must hold for every integer plan; ``least_reservation`` must be the least
total reservation meeting the chance constraint; both solver paths (the warm HiGHS copy and PuLP
with CBC) must give the same proven optimum.
"""

from __future__ import annotations

import functools
import itertools
import math

import pytest
from capacity_brute import _brute_force, _tiny

from polyslot.capacity.chance import bonferroni_levels, joint_bounds, least_reservation
from polyslot.capacity.dive import dive
from polyslot.capacity.highs_copy import HighsCopy, PulpCopy
from polyslot.capacity.inputs import DemandDistribution, LeadTimeTargets
from polyslot.capacity.model import build_capacity_model, plan_capacity
from polyslot.capacity.solve import TIE_WEIGHT
from polyslot.optimize.solver import available

CASES = [  # small enough to enumerate in about a second each
    ((2.0, 3.0), 0.1),
    ((2.0, 3.0), 0.01),
    ((2.0, 1.0), 0.05),
    ((1.0, 2.0, 1.5), 0.3),
]


@functools.cache
def _least_peak(means: tuple[float, ...], eps: float, method: str) -> float:
    return _brute_force(_tiny(means=means, eps=eps), method)


@pytest.mark.parametrize("method", ["bonferroni", "joint"])
@pytest.mark.parametrize(("means", "eps"), CASES)
@pytest.mark.parametrize("gap_rel", [0.0, 0.01, 0.2])
def test_lower_bound_never_above_an_enumerated_plan(method, means, eps, gap_rel):
    inp = _tiny(means=means, eps=eps)
    plan = plan_capacity(inp, method, gap_rel=gap_rel)
    best_peak = _least_peak(means, eps, method)
    # every plan's objective is its peak plus TIE_WEIGHT per reserved slot, and reserves at least
    # least_reservation slots: no valid bound exceeds the enumerated optimum's objective
    assert plan.lower_bound <= best_peak + TIE_WEIGHT * sum(plan.reserved) + 1e-7
    assert plan.lower_bound <= plan.objective + 1e-9
    assert plan.gap == pytest.approx((plan.objective - plan.lower_bound) / plan.objective)
    assert plan.gap <= max(gap_rel, 1e-6) + 1e-9 or plan.status == "time_limit"  # 1e-6: closed
    # the plan's peak is within the stated gap of the enumerated optimum
    assert plan.capacity_max >= best_peak - 1e-6
    assert plan.capacity_max <= best_peak / (1.0 - plan.gap) + TIE_WEIGHT * 20 + 1e-6
    if plan.status == "optimal":
        assert plan.capacity_max == pytest.approx(best_peak, abs=1e-5)


def _least_by_enumeration(demand, eps: float, method: str) -> int:
    if method == "bonferroni":
        return sum(bonferroni_levels(demand, eps))
    ranges = [range(lo, hi + 1) for lo, hi in (joint_bounds(d, eps) for d in demand)]
    best = math.inf
    for s in itertools.product(*ranges):
        logp = sum(float(d.log_cdf(k)) for d, k in zip(demand, s, strict=True))
        if logp >= math.log1p(-eps) - 1e-12:
            best = min(best, sum(s))
    return int(best)


@pytest.mark.parametrize("method", ["bonferroni", "joint"])
@pytest.mark.parametrize("eps", [0.01, 0.1, 0.4])
def test_least_reservation_matches_enumeration(method, eps):
    demand = (
        DemandDistribution("poisson", mean=3.0),
        DemandDistribution("normal", mean=4.0, sd=1.5),
        DemandDistribution("poisson", mean=1.5),
    )
    inp = _tiny(demand=demand, eps=eps, targets=LeadTimeTargets(1, 2, 2, 75.0))
    model = build_capacity_model(inp, method)
    assert least_reservation(demand, eps, method) == _least_by_enumeration(demand, eps, method)
    assert model.least == least_reservation(demand, eps, method)


def test_highs_copy_and_pulp_path_agree():
    inp = _tiny(means=(4.0, 6.0, 5.0), eps=0.05)
    model = build_capacity_model(inp, "joint")
    fast = HighsCopy(model.prob).lp()
    slow = PulpCopy(model.prob, "highs").lp()
    assert fast.objective == pytest.approx(slow.objective, rel=1e-9)
    cut = {model.q.name: fast.objective + 5.0}
    assert HighsCopy(model.prob).lp(upper=cut).objective == pytest.approx(fast.objective)
    # the copy leaves the PuLP problem's bounds as they were
    assert model.q.upBound is None and all(v.upBound is None for v in model.z.values())


@pytest.mark.skipif(not available("cbc"), reason="CBC not installed")
@pytest.mark.parametrize("method", ["bonferroni", "joint"])
def test_cbc_path_finds_the_enumerated_optimum(method):
    inp = _tiny(means=(2.0, 1.0), eps=0.05)
    plan = plan_capacity(inp, method, solver="cbc", gap_rel=0.0)
    assert plan.capacity_max == pytest.approx(_least_peak((2.0, 1.0), 0.05, method), abs=1e-5)
    assert plan.lower_bound <= plan.objective + 1e-9


def test_dive_fixes_whole_bookings_and_leaves_the_copy_as_it_was():
    model = build_capacity_model(_tiny(means=(4.0, 6.0, 5.0), eps=0.05), "joint")
    copy = HighsCopy(model.prob)
    lp = copy.lp()
    fixed, _values = dive(model, copy, lp.values, {}, 60.0)
    assert fixed and all(float(v).is_integer() and v >= 0 for v in fixed.values())
    assert copy.lp().objective == pytest.approx(lp.objective)  # every bound restored
