"""Capacity MILP: brute force on tiny instances, monotonicity in epsilon, joint <= Boole, risks."""

from __future__ import annotations

import pytest
from capacity_brute import _brute_force, _tiny
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.capacity.inputs import (
    CapacityInput,
    DemandDistribution,
    LeadTimeTargets,
    RevisitPolicy,
)
from polyslot.capacity.model import build_capacity_model, compare_methods, plan_capacity
from polyslot.capacity.risk import exact_violation_risk, monte_carlo_violation_risk
from polyslot.errors import InfeasibleError


@pytest.mark.parametrize("method", ["bonferroni", "joint"])
def test_tiny_instance_matches_brute_force(method):
    inp = _tiny(means=(2.0, 3.0))
    plan = plan_capacity(inp, method, gap_rel=0.0)
    assert plan.capacity_max == pytest.approx(_brute_force(inp, method), abs=1e-5)
    assert plan.solve.status == "optimal"


def test_one_period_by_hand():
    # S = 1, w = 0: all F_0^{-1}(0.95) = ceil(10 + 1.645 * 2) = 14 requests are seen in period 0
    # (280 min); half come back 1 period later (7 x 10 = 70 min).
    inp = CapacityInput(
        demand=(DemandDistribution("normal", mean=10.0, sd=2.0),),
        targets=LeadTimeTargets(0, 0, 0, 90.0),
        revisit=RevisitPolicy(1, 1, 1.0),
        alpha=0.5,
        beta=0.5,
        tau_fv=20.0,
        tau_rv=10.0,
        epsilon=0.05,
    )
    plan = plan_capacity(inp, "bonferroni", gap_rel=0.0)
    assert plan.reserved == (14,)
    assert plan.capacity_by_period == pytest.approx((280.0, 70.0))
    assert plan.lead_median == plan.lead_percentile == plan.lead_max == 0


def test_model_has_named_constraints():
    m = build_capacity_model(_tiny(), "joint")
    names = {c.name for c in m.prob.constraints()}
    assert {"lead_median", "lead_percentile", "rv_mean_lead", "joint_chance"} <= names
    assert "peak_0" in names and "fv_followup_0" in names and "rv_followup_0" in names


def test_smaller_epsilon_never_lowers_capacity():
    caps = [
        plan_capacity(_tiny(means=(4.0, 6.0, 5.0), eps=e), m, gap_rel=0.0).capacity_max
        for m in ("bonferroni", "joint")
        for e in (0.3, 0.1, 0.05, 0.01)
    ]
    for method_caps in (caps[:4], caps[4:]):
        assert all(b >= a - 1e-6 for a, b in zip(method_caps, method_caps[1:], strict=False))


@settings(max_examples=8, deadline=None)
@given(
    means=st.lists(st.floats(1.0, 8.0), min_size=2, max_size=4),
    eps=st.sampled_from([0.02, 0.05, 0.2]),
)
def test_joint_never_needs_more_than_boole(means, eps):
    res = compare_methods(_tiny(means=tuple(means), eps=eps), gap_rel=0.0)
    assert res["joint"].capacity_max <= res["bonferroni"].capacity_max + 1e-6
    assert res["capacity_saved"] >= -1e-6
    for plan in (res["joint"], res["bonferroni"]):
        assert plan.risk_exact <= eps + 1e-9


@pytest.mark.parametrize("method", ["bonferroni", "joint"])
def test_exact_and_monte_carlo_risk_agree_and_stay_below_epsilon(method):
    demand = (
        DemandDistribution("normal", mean=10.0, sd=3.0),
        DemandDistribution("poisson", mean=8.0),
        DemandDistribution("empirical", values=(5, 7, 9, 12, 6, 8, 10, 7)),
        DemandDistribution("poisson", mean=9.0),
    )
    inp = _tiny(eps=0.05, demand=demand, mc_samples=40000)
    plan = plan_capacity(inp, method)
    assert plan.risk_exact <= 0.05
    assert plan.risk_mc - plan.risk_mc_ci <= 0.05
    mc = monte_carlo_violation_risk(inp.demand, plan.reserved, 40000, seed=1)
    assert mc.lower <= plan.risk_exact <= mc.upper
    assert plan.risk_exact == pytest.approx(exact_violation_risk(inp.demand, plan.reserved))


def test_exact_risk_closed_form():
    d = [DemandDistribution("poisson", mean=3.0), DemandDistribution("poisson", mean=5.0)]
    from scipy import stats

    expected = 1 - stats.poisson.cdf(5, 3.0) * stats.poisson.cdf(8, 5.0)
    assert exact_violation_risk(d, [5, 8]) == pytest.approx(expected, rel=1e-12)


def test_monte_carlo_is_seeded():
    d = [DemandDistribution("normal", mean=5.0, sd=2.0)] * 3
    a = monte_carlo_violation_risk(d, [7, 7, 7], 3000, seed=7)
    b = monte_carlo_violation_risk(d, [7, 7, 7], 3000, seed=7)
    assert a == b


def test_non_log_concave_empirical_uses_exact_selection():
    bimodal = DemandDistribution("empirical", values=(1, 1, 1, 1, 9, 9, 9, 9, 9, 9))
    inp = _tiny(demand=(bimodal, DemandDistribution("poisson", mean=1.0)), eps=0.7)
    m = build_capacity_model(inp, "joint")
    assert "logcdf_pick_0" in {c.name for c in m.prob.constraints()}
    plan = plan_capacity(inp, "joint", gap_rel=0.0)
    assert plan.risk_exact <= 0.7
    assert plan.capacity_max == pytest.approx(_brute_force(inp, "joint"), abs=1e-5)


def test_capacity_bound_infeasible_explains_need():
    with pytest.raises(InfeasibleError) as exc:
        plan_capacity(_tiny(capacity_bound=50.0))
    assert "capacity_bound=50" in str(exc.value)
    assert exc.value.relaxation and exc.value.relaxation[0].startswith("capacity_bound >=")


def test_mean_revisit_target_below_window_is_infeasible():
    inp = _tiny(revisit=RevisitPolicy(2, 3, 1.0))
    with pytest.raises(InfeasibleError, match="below the window start"):
        plan_capacity(inp)


def test_closed_periods_get_no_bookings():
    inp = _tiny(means=(3.0, 3.0, 3.0), closed_periods=frozenset({1}))
    plan = plan_capacity(inp, gap_rel=0.0)
    assert plan.capacity_by_period[1] == 0.0
