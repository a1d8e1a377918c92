"""``polyslot evaluate``: output keys, envelope, table format, bad input -> one line, exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from polyslot.cli import app

runner = CliRunner()

SCHEDULE = {
    "session_end": 60,
    "doctor_start": 3,
    "slot_minutes": 5,
    "patients": [
        {"appointment": 15, "service": {"lognormal": {"mean": 12.0, "cv": 0.5}}, "no_show": 0.05,
         "punctuality": {"offsets": [-10, -5, 0, 5], "pmf": [0.2, 0.4, 0.3, 0.1]}},
        {"appointment": 0, "service": {"pmf": [0, 0.1, 0.3, 0.6]}, "no_show": 0.1},
        {"appointment": 15, "service": {"deterministic": 9}},
    ],
}  # fmt: skip
TOP_KEYS = [
    "patients", "overtime_mean", "overtime_var", "idle_end_mean", "total_wait_mean",
    "total_idle_mean", "completion_mean", "utilization",
]  # fmt: skip
PATIENT_KEYS = ["appointment", "wait_mean", "wait_var", "idle_mean", "idle_var"]


def _write(tmp_path, data, name="s.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_json_output_contract(tmp_path):
    res = runner.invoke(app, ["evaluate", _write(tmp_path, SCHEDULE)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out) == TOP_KEYS
    assert [p["appointment"] for p in out["patients"]] == [0, 15, 15]
    assert all(list(p) == PATIENT_KEYS for p in out["patients"])
    assert out["patients"][0]["wait_mean"] == pytest.approx(3.0)  # doctor arrives at slot 3
    # ties keep the listed order: the unpunctual patient is served before the deterministic one
    assert out["patients"][2]["wait_mean"] > 0
    assert out["total_idle_mean"] == pytest.approx(sum(p["idle_mean"] for p in out["patients"]))


def test_envelope_and_table(tmp_path):
    path = _write(tmp_path, SCHEDULE)
    res = runner.invoke(app, ["evaluate", path, "--envelope"])
    env = json.loads(res.stdout)["envelope"]
    assert list(env) == ["remaining_work_mean", "remaining_work_var", "running_idle_mean"]
    assert all(len(v) == 61 for v in env.values())
    # booked behind the patient at slot 0: doctor arrives at 3, then 0.9 * E[B] = 2.25
    assert env["remaining_work_mean"][0] == pytest.approx(3.0 + 0.9 * 2.5)
    res = runner.invoke(app, ["evaluate", path, "--format", "table", "--envelope"])
    assert res.exit_code == 0 and "total_wait_mean" in res.stdout


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"patients": []}, "patients"),
        ({"session_end": -5}, "session_end"),
        ({"doctor_start": 2.5}, "doctor_start"),
        ({"colour": "red"}, "colour"),
        ({"patients": [{"appointment": 0, "service": {"pmf": [0.5, -0.1, 0.6]}}]}, "pmf"),
        ({"patients": [{"appointment": 0, "service": {"pmf": [0.5, 0.6]}}]}, "pmf"),
        ({"patients": [{"appointment": 0, "service": {"pmf": [1]}, "no_show": 1.5}]}, "no_show"),
        ({"patients": [{"appointment": 1.5, "service": {"pmf": [1]}}]}, "appointment"),
        ({"patients": [{"appointment": 0, "service": {"pmf": [1]}, "x": 1}]}, "x"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, patch, field):
    res = runner.invoke(app, ["evaluate", _write(tmp_path, {**SCHEDULE, **patch})])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.strip().splitlines() if ln]
    assert len(lines) == 1 and field in lines[0], res.output


def test_docs_example_runs(tmp_path):
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "evaluator.md").read_text()
    block = doc.split("```json\n", 1)[1].split("```", 1)[0]
    res = runner.invoke(app, ["evaluate", _write(tmp_path, json.loads(block)), "--envelope"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["envelope"]["running_idle_mean"]) == 241
