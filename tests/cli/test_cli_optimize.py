"""``polyslot sequence`` and ``polyslot optimize``: JSON output, one-line errors, the folder of
templates and its summary (``polyslot.cli.requests``)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.optimize import OptimizeConfig
from polyslot.template import SlotTemplate


def test_cli_sequence_json(tmp_path):
    req = {
        "session_end": 30,
        "interval": 5,
        "slot_minutes": 1,
        "patients": [
            {
                "service": {"pmf": [0, 0, 0.2, 0.3, 0.3, 0.2]},
                "no_show": 0.2,
                "visit_type": "chronic",
            }
        ]
        * 3
        + [{"service": {"deterministic": 4}}],
        "weights": {"wait": 0.5, "idle": 0.0, "overtime": 0.5},
    }
    path = tmp_path / "req.json"
    path.write_text(json.dumps(req))
    out = CliRunner().invoke(app, ["sequence", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout[out.stdout.index("{") :])
    assert set(data) == {
        "session_end",
        "doctor_start",
        "slot_minutes",
        "patients",
        "objective",
        "counts",
    }
    assert sum(data["counts"]) == 4 and len(data["counts"]) == 6
    assert all(p["appointment"] % 5 == 0 and p["appointment"] < 30 for p in data["patients"])


def test_cli_sequence_bad_input_exit_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"session_end": 30, "patients": [{"service": {"pmf": [0.5]}}]}))
    out = CliRunner().invoke(app, ["sequence", str(path)])
    assert out.exit_code == 2
    assert "patients[0].service.pmf" in out.output


def test_cli_optimize_writes_templates_and_summary(tmp_path, monday_only):
    model_dir = tmp_path / "model"
    monday_only("PC7").to_json(model_dir / "PC7.json")
    out_dir = tmp_path / "templates"
    res = CliRunner().invoke(
        app, ["optimize", "--model", str(model_dir), "--out", str(out_dir), "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    tpl = SlotTemplate.from_dict(json.loads((out_dir / "PC7.json").read_text()))
    assert tpl.polyclinic_id == "PC7" and len(tpl.slots) > 0
    summary = json.loads((out_dir / "optimize_summary.json").read_text())
    day = summary["polyclinics"][0]["weekdays"][0]
    for key in (
        "status",
        "objective_terms",
        "gap",
        "time",
        "predicted_wait",
        "throughput_current",
        "throughput_recommended",
    ):
        assert key in day


def test_optimize_directory_records_infeasible_clinic_and_raises(tmp_path, monday_only):
    from polyslot.cli.requests import optimize_directory
    from polyslot.errors import InfeasibleError

    model_dir = tmp_path / "model"
    small = dataclasses.replace(
        monday_only("PC9"), polyclinic_id="PC9", sessions=monday_only().sessions[:1]
    )
    small.to_json(model_dir / "PC9.json")
    cfg = OptimizeConfig(on_infeasible="raise", time_limit=1.0)
    with pytest.raises(InfeasibleError) as info:
        optimize_directory(model_dir, tmp_path / "out", cfg)
    assert str(info.value).startswith("PC9: Mon ")
    summary = json.loads((tmp_path / "out" / "optimize_summary.json").read_text())
    assert summary["status"] == "infeasible"
    entry = summary["polyclinics"][0]
    assert entry["status"] == "infeasible" and entry["conflicts"] and entry["relaxation"]
    assert not (tmp_path / "out" / "PC9.json").exists()
