"""optimize_clinic end to end on one weekday of the example clinic, and the two CLI commands."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.examples import example_clinic_model
from polyslot.optimize import OptimizeConfig, optimize_clinic
from polyslot.optimize.weekday_inputs import weekday_inputs
from polyslot.template import SlotTemplate


def monday_only(polyclinic_id: str = "EX01"):
    m = example_clinic_model(polyclinic_id=polyclinic_id)
    return dataclasses.replace(
        m,
        sessions=tuple(s for s in m.sessions if s.weekday == 0),
        current_template=m.current_template.for_weekday(0),
        opening={0: m.opening[0]},
    )


@pytest.fixture(scope="module")
def result():
    return optimize_clinic(monday_only(), OptimizeConfig(sequencing_max_iter=10))


def test_calibration_agrees_within_five_percent(result):
    day = result.weekdays[0]
    last = day.calibration[-1]
    assert last.rel_error <= 0.05
    assert day.to_dict()["calibrated_within_tolerance"] is True
    assert abs(day.terms["wait"] - last.predicted_wait) < 1e-6 * max(1.0, last.predicted_wait)


def test_template_matches_counts_and_sessions(result):
    model = monday_only()
    tpl = result.template
    assert isinstance(tpl, SlotTemplate) and tpl.label == "recommended"
    day = result.weekdays[0]
    counted = Counter((s.start_minute // 60 * 60, s.visit_type) for s in tpl.slots)
    assert dict(counted) == day.counts
    sessions = {s.session_id: s for s in model.sessions}
    for sid, slots in tpl.sessions().items():
        sess = sessions[sid]
        seen = set()
        for s in slots:
            assert sess.start_minute <= s.start_minute < sess.end_minute
            assert s.start_minute % 5 == 0
            assert s.overbooked == (s.start_minute in seen)
            seen.add(s.start_minute)


def test_never_wins_by_booking_fewer(result):
    day = result.weekdays[0]
    assert day.throughput_recommended >= day.throughput_current - 0.0011
    inp = weekday_inputs(monday_only(), 0, OptimizeConfig())
    per_type = Counter(s.visit_type for s in result.template.slots)
    for v, vt in enumerate(inp.visit_types):
        assert per_type[vt] >= inp.need(v, 0.1)
    # exact waiting is reported for both templates; the recommended one waits less here
    assert day.recommended.wait_per_patient < day.current.wait_per_patient


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


def test_cli_optimize_writes_templates_and_summary(tmp_path):
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


def test_optimize_directory_records_infeasible_clinic_and_raises(tmp_path):
    from polyslot.errors import InfeasibleError
    from polyslot.optimize import optimize_directory

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
