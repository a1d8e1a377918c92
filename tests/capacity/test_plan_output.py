"""The plan in full: every printed number can be checked from the printed JSON alone.

The checks below recompute from ``polyslot capacity``'s output (and the input file) without
calling polyslot's own distribution or risk code: scipy's CDFs, plain sums.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.examples import example_clinic_model

TIE = 1e-4  # the objective is capacity_max + 1e-4 * sum(reserved_fv_slots) (docs/capacity.md)

INPUT = {
    "epsilon": 0.05,
    "targets": {"median": 2, "percentile": 4, "p": 80, "max": 6},
    "revisit": {"window": [3, 6], "mean_lead_max": 4.5},
    "alpha": 0.3,
    "beta": 0.5,
    "consult_minutes": {"fv": 20, "rv": 12},
    "demand": [
        {"dist": "normal", "mean": 9.5, "sd": 2.5},
        {"dist": "poisson", "mean": 7},
        {"dist": "empirical", "values": [4, 6, 7, 9, 5, 8, 6, 7]},
        6.5,
        {"dist": "normal", "mean": 4.2, "sd": 1.1},
        {"dist": "poisson", "mean": 11},
        {"dist": "normal", "mean": 8, "sd": 3},
        5,
    ],
    "prebooked": {"fv": [1, 2], "rv": [3, 0, 2]},
    "closed_periods": [9],
    "mc_samples": 2000,
}


def _run(tmp_path, *args: str, data: dict | None = None) -> dict:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data or INPUT))
    res = CliRunner().invoke(app, ["capacity", str(path), *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _cdf(d: dict, s: float) -> float:
    """F(s) from the printed distribution, with scipy (independent of polyslot's code)."""
    if d["dist"] == "normal":
        return float(stats.norm.cdf(s, d["mean"], d["sd"]))
    if d["dist"] == "poisson":
        return float(stats.poisson.cdf(math.floor(s), d["mean"]))
    vals = np.asarray(d["values"], dtype=float)
    return float(np.mean(vals <= s))


def _recomputed_risk(out: dict) -> float:
    return 1.0 - math.prod(
        _cdf(d, s) for d, s in zip(out["demand"], out["reserved_fv_slots"], strict=True)
    )


@pytest.mark.parametrize("method", ["bonferroni", "joint"])
def test_recomputed_breach_risk_equals_reported(tmp_path, method):
    out = _run(tmp_path, "--method", method)
    assert len(out["reserved_fv_slots"]) == len(INPUT["demand"])
    assert out["demand"][3] == {"dist": "poisson", "mean": 6.5}  # a bare number is Poisson
    assert abs(_recomputed_risk(out) - out["violation_risk"]["exact"]) <= 1e-9
    assert out["violation_risk"]["exact"] <= INPUT["epsilon"]


def test_recomputed_breach_risk_from_data(store, tmp_path):
    model = example_clinic_model().to_json(tmp_path / "model.json")
    args = ["capacity", "--from-data", "--data", str(store), "--model", str(model)]
    res = CliRunner().invoke(app, [*args, "--weeks", "2", "--method", "joint"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["reserved_fv_slots"]) == len(out["demand"]) == 14
    assert abs(_recomputed_risk(out) - out["violation_risk"]["exact"]) <= 1e-9


def _integer_quantile(d: dict, p: float) -> int:
    k = 0
    while _cdf(d, k) < p:
        k += 1
    return k


def test_boole_reserved_slots_at_least_the_bonferroni_quantile(tmp_path):
    for eps in (0.01, 0.05, 0.2):
        out = _run(tmp_path, "--epsilon", str(eps))
        S = len(out["demand"])
        for d, s in zip(out["demand"], out["reserved_fv_slots"], strict=True):
            assert s >= _integer_quantile(d, 1.0 - eps / S)


def test_joint_capacity_at_most_boole_within_the_reported_gap(tmp_path):
    for eps in (0.02, 0.1):
        boole = _run(tmp_path, "--epsilon", str(eps))
        joint = _run(tmp_path, "--epsilon", str(eps), "--method", "joint")
        for out in (boole, joint):
            assert out["objective"] == pytest.approx(
                out["capacity_max"] + TIE * sum(out["reserved_fv_slots"]), abs=1e-6
            )
            assert out["lower_bound"] <= out["objective"] + 1e-9
            assert out["gap"] == pytest.approx(
                (out["objective"] - out["lower_bound"]) / out["objective"], abs=1e-9
            )
        # every Boole plan is joint-feasible: joint's bound cannot exceed Boole's objective
        assert joint["lower_bound"] <= boole["objective"] + 1e-6
        assert joint["capacity_max"] * (1 - joint["gap"]) <= boole["objective"] + 1e-6


@pytest.mark.parametrize("method", ["bonferroni", "joint"])
def test_plan_honours_lead_time_targets_and_revisit_window_as_printed(tmp_path, method):
    out = _run(tmp_path, "--method", method)
    t, rv = out["targets"], out["revisit"]
    book = {r["lead"]: r["bookings"] for r in out["fv_bookings_by_lead"]}
    total = sum(book.values())
    assert total == sum(out["reserved_fv_slots"])
    assert sum(n for lead, n in book.items() if lead <= t["median"]) >= 0.5 * total
    assert sum(n for lead, n in book.items() if lead <= t["percentile"]) >= t["p"] / 100 * total
    assert max(lead for lead, n in book.items() if n > 0) <= t["max"] == out["lead_time"]["max"]
    assert out["lead_time"]["median"] <= t["median"]
    assert out["lead_time"]["percentile"] <= t["percentile"]
    a, b = rv["window"]
    flows = out["rv_flows_by_lead"]
    assert [r["lead"] for r in flows] == list(range(a, b + 1))
    inside = sum(r["after_fv"] + r["after_rv"] for r in flows)
    mean_lead = sum(r["lead"] * (r["after_fv"] + r["after_rv"]) for r in flows) / inside
    assert a <= mean_lead <= rv["mean_lead_max"] + 1e-6
    # flow conservation: every FV and RV patient seen in an open period is followed up
    sink = out["rv_flows_after_horizon"]
    followed = inside + sink["after_fv"] + sink["after_rv"]
    expected = sum(
        (1 - INPUT["alpha"]) * f + (1 - INPUT["beta"]) * r
        for j, (f, r) in enumerate(zip(out["fv_seen"], out["rv_seen"], strict=True))
        if j not in INPUT["closed_periods"]
    )
    assert followed == pytest.approx(expected, rel=1e-6)
    # capacity per period = tau_fv * FV seen + tau_rv * RV seen, as printed
    cm = INPUT["consult_minutes"]
    for c, f, r in zip(out["capacity_by_period"], out["fv_seen"], out["rv_seen"], strict=True):
        assert c == pytest.approx(cm["fv"] * f + cm["rv"] * r, abs=1e-5)
    assert sum(out["fv_seen"]) == pytest.approx(total + sum(INPUT["prebooked"]["fv"]))
    assert out["capacity_by_period"][9] == 0.0


def test_status_gap_and_echoed_inputs(tmp_path):
    out = _run(tmp_path, "--gap", "0", "--method", "joint")
    assert out["status"] == "optimal" and out["gap"] <= 1e-6
    assert out["solver"] == {"name": "highs", "gap_rel": 0.0, "time_limit": 60.0}
    assert out["solve_seconds"] >= 0
    assert out["targets"] == {"median": 2, "percentile": 4, "p": 80.0, "max": 6}
    assert out["revisit"] == {"window": [3, 6], "mean_lead_max": 4.5}
    assert out["epsilon"] == 0.05 and out["method"] == "joint"
    loose = _run(tmp_path, "--gap", "0.5")
    assert loose["status"] in ("optimal", "feasible_within_gap")
    assert loose["gap"] <= 0.5
