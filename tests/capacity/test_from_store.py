"""--from-data: revisit pattern from a real DuckDB store, ClinicModel link, doctors per day, CLI."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from polyslot.capacity.from_store import (
    classify_visit_types,
    doctor_minutes_by_weekday,
    estimate_revisit_pattern,
    plan_capacity_from_data,
)
from polyslot.capacity.inputs import LeadTimeTargets
from polyslot.cli import app
from polyslot.errors import DataError
from polyslot.examples import example_clinic_model


def test_revisit_pattern_recovers_construction(store):
    est = estimate_revisit_pattern(store, ["new_patient"], ["chronic_followup"])
    assert est.alpha == pytest.approx(0.25)
    assert est.beta == pytest.approx(0.75)
    assert (est.min_lead, est.max_lead) == (14, 21)
    assert est.mean_lead == pytest.approx((75 * 14 + 25 * 21) / 100)
    assert (est.n_fv_visits, est.n_rv_visits, est.n_intervals) == (100, 100, 100)


def test_censoring_needs_old_enough_visits(store):
    with pytest.raises(DataError, match="older than"):
        estimate_revisit_pattern(store, ["new_patient"], ["chronic_followup"], followup_days=500)


def test_classification_defaults_and_overrides():
    vts = ("acute", "chronic_followup", "new_patient")
    assert classify_visit_types(vts) == (("new_patient",), ("chronic_followup",))
    assert classify_visit_types(vts, ["acute"], ["new_patient"]) == (("acute",), ("new_patient",))


def test_from_data_plan_and_doctors(store):
    model = example_clinic_model()
    out = plan_capacity_from_data(
        store, model, targets=LeadTimeTargets(2, 4, 7, 90.0), weeks=1, epsilon=0.05
    )
    per_doc = doctor_minutes_by_weekday(model)
    assert per_doc[0] == pytest.approx(480.0)  # 3 doctors x (240 + 240) minutes / 3
    pairs = zip(out["capacity_by_period"], out["doctors_by_period"], strict=True)
    for j, (c, d) in enumerate(pairs):
        m = per_doc.get(j % 7, 0.0)
        assert d == (math.ceil(c / m - 1e-9) if m and c > 0 else 0)
        if j % 7 >= 5:
            assert c == 0.0  # the example clinic is closed at weekends
    assert out["doctors_max"] == max(out["doctors_by_period"])
    assert out["inputs"]["alpha"] == pytest.approx(0.25)
    assert out["inputs"]["tau_fv"] == pytest.approx(20.0)
    assert out["violation_risk"]["exact"] <= 0.05
    assert "PAT" not in json.dumps(out)  # no patient identifier leaves


def _input(tmp_path, **patch):
    data = {
        "epsilon": 0.05,
        "targets": {"median": 1, "percentile": 2, "p": 90, "max": 3},
        "revisit": {"window": [2, 4], "mean_lead_max": 3},
        "alpha": 0.4,
        "beta": 0.5,
        "consult_minutes": {"fv": 20, "rv": 10},
        "demand": [{"dist": "normal", "mean": 5, "sd": 2}, {"dist": "poisson", "mean": 4}, 3],
        "mc_samples": 2000,
    }
    data.update(patch)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data))
    return path


def test_cli_json_contract(tmp_path):
    res = CliRunner().invoke(app, ["capacity", str(_input(tmp_path)), "--method", "joint"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the original contract keys come first, in order; the plan in full extends them
    assert list(out)[:6] == [
        "capacity_max",
        "capacity_by_period",
        "epsilon",
        "method",
        "violation_risk",
        "lead_time",
    ]
    assert list(out)[6:] == [
        "reserved_fv_slots",
        "fv_seen",
        "rv_seen",
        "fv_bookings_by_lead",
        "rv_flows_by_lead",
        "rv_flows_after_horizon",
        "status",
        "gap",
        "lower_bound",
        "objective",
        "solve_seconds",
        "solver",
        "targets",
        "revisit",
        "demand",
    ]
    assert set(out["violation_risk"]) == {"exact", "monte_carlo", "monte_carlo_ci"}
    assert set(out["lead_time"]) == {"median", "percentile", "max"}
    assert out["method"] == "joint" and out["epsilon"] == 0.05
    assert out["capacity_max"] == max(out["capacity_by_period"])


def test_cli_table_and_errors(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["capacity", str(_input(tmp_path)), "--format", "table"])
    assert res.exit_code == 0 and "capacity_max" in res.output
    res = runner.invoke(app, ["capacity", str(_input(tmp_path, capacity_bound=10))])
    assert res.exit_code == 2 and "capacity_bound=10" in res.output
    res = runner.invoke(app, ["capacity", str(_input(tmp_path, beta=1.5))])
    assert res.exit_code == 2 and "'beta'" in res.output


def test_cli_from_data(store, tmp_path):
    model_path = example_clinic_model().to_json(tmp_path / "model.json")
    res = CliRunner().invoke(
        app,
        [
            "capacity",
            "--from-data",
            "--data",
            str(store),
            "--model",
            str(model_path),
            "--fv-types",
            "new_patient",
            "--weeks",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["doctors_max"] >= 1 and out["inputs"]["fv_types"] == ["new_patient"]
