"""Allocation MIP: every constraint holds (checked independently), HiGHS and CBC agree."""

from __future__ import annotations

import math

import pytest

from polyslot.distributions import expected_unmet
from polyslot.evaluation.day_settings import DaySettings
from polyslot.examples import example_clinic_model
from polyslot.optimize.allocation import build_allocation
from polyslot.optimize.clinic import _curves
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.solver import SolveStatus, available, solve
from polyslot.optimize.weekday_inputs import WeekdayInputs, current_throughput, weekday_inputs


def small_inputs() -> WeekdayInputs:
    """Mon 08:00-12:00 with a break at 10:00 and two visit types."""
    return WeekdayInputs(
        weekday=0,
        bucket_minutes=60,
        buckets=(480, 540, 600, 660),
        servers=(2.0, 1.0, 0.0, 2.0),
        block_end=(False, True, False, True),
        visit_types=("acute", "chronic_followup"),
        mean_service=(10.0, 20.0),
        no_show=((0.1, 0.2),) * 4,
        demand_mean=(10.0, 5.0),
        demand_var=(4.0, 1.0),
        preference=((0.5, 0.2), (0.3, 0.3), (0.0, 0.0), (0.2, 0.5)),
        allowed=((True, True), (True, False), (False, False), (True, True)),
        current=((6, 2), (4, 0), (0, 0), (4, 3)),
        walk_in_load=(5.0, 0.0, 0.0, 5.0),
    )


def _counts(am, rec):
    return {hv: round(rec.values[var.name]) for hv, var in am.x.items()}


def check_constraints(inp: WeekdayInputs, cfg: OptimizeConfig, counts) -> None:
    nb, nv = len(inp.buckets), len(inp.visit_types)
    x = {(h, v): counts.get((h, v), 0) for h in range(nb) for v in range(nv)}
    for (h, v), n in x.items():
        assert n >= 0 and n == int(n)
        if not inp.allowed[h][v]:
            assert n == 0, f"visit type {v} booked in bucket {h} where not allowed"
    for h in range(nb):
        cap = inp.servers[h] * inp.bucket_minutes
        load = sum(x[h, v] * (1 - inp.no_show[h][v]) * inp.mean_service[v] for v in range(nv))
        booked = sum(x[h, v] * inp.mean_service[v] for v in range(nv))
        if any(inp.allowed[h]):
            assert load + inp.walk_in_load[h] <= cfg.utilisation_ceiling * cap + 1e-6
            assert booked <= (1 + cfg.overbooking_cap) * cap + 1e-6
    total = [sum(x[h, v] for h in range(nb)) for v in range(nv)]
    for v in range(nv):
        assert total[v] >= inp.need(v, cfg.epsilon)
    served = sum(
        inp.demand_mean[v] - expected_unmet(inp.demand_mean[v], inp.demand_var[v], total[v])
        for v in range(nv)
    )
    assert served >= current_throughput(inp) - 0.0011
    if cfg.max_change is not None:
        for (h, v), n in x.items():
            assert abs(n - inp.current[h][v]) <= cfg.max_change


@pytest.mark.parametrize(
    "cfg",
    [
        OptimizeConfig(gap_rel=1e-6),
        OptimizeConfig(gap_rel=1e-6, max_change=2, epsilon=0.2, overbooking_cap=0.0),
        OptimizeConfig(gap_rel=1e-6, rooms=2, utilisation_ceiling=1.0),
    ],
)
def test_solution_satisfies_every_constraint(cfg):
    inp = small_inputs()
    if cfg.rooms is not None:
        inp = WeekdayInputs(
            **{**inp.__dict__, "servers": tuple(min(s, cfg.rooms) for s in inp.servers)}
        )
    curve = _curves(example_clinic_model(), inp, DaySettings(), 0)
    am = build_allocation(inp, cfg, curve, 1.3)
    rec = solve(am.problem, "highs", time_limit=20, gap_rel=cfg.gap_rel)
    assert rec.status is SolveStatus.OPTIMAL
    check_constraints(inp, cfg, _counts(am, rec))
    # the waiting variables equal the max of their cuts (the curve at the solution)
    names = {c.name for c in am.problem.constraints()}
    assert any(n.startswith("cover_acute") for n in names)
    assert any(n.startswith("staff_0800") for n in names)
    assert any(n.startswith("wait_0800_seg") for n in names)
    assert "throughput_not_below_current" in names


def test_example_clinic_all_weekdays_feasible_and_valid():
    model = example_clinic_model()
    cfg = OptimizeConfig()
    for d in range(5):
        inp = weekday_inputs(model, d, cfg)
        am = build_allocation(inp, cfg, _curves(model, inp, DaySettings(), 0), 1.5)
        rec = solve(am.problem, "highs", time_limit=10, gap_rel=cfg.gap_rel)
        assert rec.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
        check_constraints(inp, cfg, _counts(am, rec))


@pytest.mark.skipif(not (available("highs") and available("cbc")), reason="needs both solvers")
def test_highs_and_cbc_agree_on_objective():
    inp = small_inputs()
    cfg = OptimizeConfig(gap_rel=1e-7)
    curve = _curves(example_clinic_model(), inp, DaySettings(), 0)
    objs = {}
    for solver in ("highs", "cbc"):
        am = build_allocation(inp, cfg, curve, 1.2)
        rec = solve(am.problem, solver, time_limit=30, gap_rel=1e-7)
        assert rec.status is SolveStatus.OPTIMAL
        assert rec.solver == solver
        objs[solver] = rec.objective
        check_constraints(inp, cfg, _counts(am, rec))
    assert objs["highs"] == pytest.approx(objs["cbc"], rel=1e-5, abs=1e-5)


def test_need_is_the_normal_quantile():
    inp = small_inputs()
    assert inp.need(0, 0.1) == math.ceil(10 + 1.2815515655446004 * 2)
    assert expected_unmet(10, 0, 7) == 3 and expected_unmet(10, 0, 12) == 0


def test_wall_clock_stop_is_reported_and_deterministic_stops_are_not():
    """The time limit is a safety net: a solve it stops says so (its result may depend on the
    machine's load); the node and gap limits (deterministic) do not count as such a stop."""
    model = example_clinic_model()
    cfg = OptimizeConfig()
    assert cfg.time_limit >= 300  # far above the node-limited solves (a fraction of a second)
    inp = weekday_inputs(model, 0, cfg)
    am = build_allocation(inp, cfg, _curves(model, inp, DaySettings(), 0), 1.5)
    rec = solve(am.problem, "highs", time_limit=cfg.time_limit, gap_rel=0.02, node_limit=1)
    assert rec.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.NOT_SOLVED)
    assert rec.wall_clock_limit_hit is False
    assert rec.to_dict()["wall_clock_limit_hit"] is False
    am = build_allocation(inp, cfg, _curves(model, inp, DaySettings(), 0), 1.5)
    rec = solve(am.problem, "highs", time_limit=1e-9, gap_rel=1e-9)
    assert rec.wall_clock_limit_hit is True and rec.time_limit_hit is True


def test_optimizer_summary_lists_wall_clock_limited_weekdays():
    from polyslot.optimize.clinic import optimize_clinic

    model = example_clinic_model()
    res = optimize_clinic(model, OptimizeConfig(sequencing_max_iter=0, max_calibration_rounds=1))
    summary = res.to_dict()
    assert summary["wall_clock_limited_weekdays"] == []
    assert all(w["wall_clock_limit_hit"] is False for w in summary["weekdays"])
