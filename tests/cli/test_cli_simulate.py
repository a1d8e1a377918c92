"""``polyslot simulate``: the JSON contract, the clinic-day mode and exit code 2 on bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.examples import example_clinic_model

runner = CliRunner()

SCHEDULE = {
    "session_end": 40,
    "patients": [
        {"appointment": 0, "service": {"pmf": [0, 0, 0.5, 0.5]}, "no_show": 0.1},
        {"appointment": 2, "service": {"lognormal": {"mean": 4.0, "cv": 0.5}}},
        {"appointment": 5, "service": {"deterministic": 3}},
    ],
}


def test_sim_cli_schedule_contract(tmp_path) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps(SCHEDULE))
    r = runner.invoke(
        app, ["simulate", str(p), "--replications", "50", "--seed", "3", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["replications"] == 50
    assert len(out["patients"]) == 3
    for k in ("overtime_mean", "overtime_ci", "total_wait_mean"):
        assert isinstance(out[k], float)
    assert out["patients"][0]["wait_mean"] == 0.0 and out["patients"][1]["wait_ci"] >= 0
    again = runner.invoke(app, ["simulate", str(p), "--replications", "50", "--seed", "3"])
    assert json.loads(again.stdout) == out


def test_sim_cli_clinic_mode(tmp_path) -> None:
    m = tmp_path / "m.json"
    example_clinic_model().to_json(m)
    t = tmp_path / "t.json"
    t.write_text(json.dumps(example_clinic_model().current_template.to_dict()))
    r = runner.invoke(
        app,
        [
            "simulate",
            "--model",
            str(m),
            "--template",
            str(t),
            "--weekday",
            "1",
            "--replications",
            "12",
            "--seed",
            "1",
            "--discipline",
            "dedicated",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["replications"] == 12 and out["discipline"] == "dedicated"
    assert 0 < out["utilization"] < 2 and out["wait_mean_ci"] > 0


def test_sim_cli_bad_input_exit_2(tmp_path) -> None:
    p = tmp_path / "bad.json"
    bad = dict(SCHEDULE, patients=[{"appointment": 0, "service": {"pmf": [0.5, 0.6]}}])
    p.write_text(json.dumps(bad))
    r = runner.invoke(app, ["simulate", str(p)])
    assert r.exit_code == 2
    assert "patients[0].service.pmf" in r.output
    r = runner.invoke(app, ["simulate", "--model", str(p), "--discipline", "lifo"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["simulate"])
    assert r.exit_code == 2
