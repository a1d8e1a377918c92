"""``polyslot capacity``: the JSON contract, the table, one-line errors and --from-data."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from capacity_example import SMALL_INPUT
from polyslot.cli import app
from polyslot.examples import example_clinic_model


def _input(tmp_path, **patch):
    data = {**SMALL_INPUT, "mc_samples": 2000}
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


def test_cli_from_data(revisit_store, tmp_path):
    model_path = example_clinic_model().to_json(tmp_path / "model.json")
    res = CliRunner().invoke(
        app,
        [
            "capacity",
            "--from-data",
            "--data",
            str(revisit_store),
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
