"""Every ``polyslot capacity`` option does what it says, with INPUT.json and with --from-data.

With INPUT.json an option either overrides the file's field (visible in the output) or stops
with one line saying it applies only to --from-data (exit 2). With --from-data every option
shows in the output.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from capacity_example import SMALL_INPUT
from polyslot.cli import app
from polyslot.examples import example_clinic_model

INPUT = {
    **SMALL_INPUT,
    "demand": [*SMALL_INPUT["demand"], 6],
    "mc_samples": 2000,
}

# option -> (value, check of the JSON output); the same checks serve both modes
CHECKS = {
    "--method": ("joint", lambda o: o["method"] == "joint"),
    "--solver": ("cbc", lambda o: o["solver"]["name"] == "cbc"),
    "--gap": ("0.2", lambda o: o["solver"]["gap_rel"] == 0.2 and o["gap"] <= 0.2),
    "--time-limit": ("7", lambda o: o["solver"]["time_limit"] == 7.0),
    "--epsilon": ("0.3", lambda o: o["epsilon"] == 0.3 and o["violation_risk"]["exact"] <= 0.3),
    "--median": ("0", lambda o: o["targets"]["median"] == 0 and o["lead_time"]["median"] == 0),
    "--percentile": ("3", lambda o: o["targets"]["percentile"] == 3),
    "--p": ("75", lambda o: o["targets"]["p"] == 75.0),
    "--max": ("9", lambda o: o["targets"]["max"] == 9 and o["lead_time"]["max"] <= 9),
}
FROM_DATA_ONLY = {
    "--data": "x",
    "--model": "x",
    "--fv-types": "new_patient",
    "--rv-types": "chronic_followup",
    "--polyclinic": "EX01",
    "--weeks": "2",
}


def _input(tmp_path) -> str:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(INPUT))
    return str(path)


def _json(res) -> dict:
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("option", sorted(CHECKS))
def test_option_overrides_the_input_file(tmp_path, option):
    value, check = CHECKS[option]
    base = _json(CliRunner().invoke(app, ["capacity", _input(tmp_path)]))
    assert not check(base)  # the default differs, so the override is what made it true
    out = _json(CliRunner().invoke(app, ["capacity", _input(tmp_path), option, value]))
    assert check(out)


def test_epsilon_and_target_overrides_change_the_plan(tmp_path):
    runner = CliRunner()
    base = _json(runner.invoke(app, ["capacity", _input(tmp_path)]))
    loose = _json(runner.invoke(app, ["capacity", _input(tmp_path), "--epsilon", "0.3"]))
    assert sum(loose["reserved_fv_slots"]) < sum(base["reserved_fv_slots"])
    longer = _json(runner.invoke(app, ["capacity", _input(tmp_path), "--max", "9"]))
    assert len(longer["capacity_by_period"]) == 4 + 9  # T = S + max(b, w) follows --max


@pytest.mark.parametrize("option", sorted(FROM_DATA_ONLY))
def test_from_data_option_with_input_file_stops_in_one_line(tmp_path, option):
    res = CliRunner().invoke(app, ["capacity", _input(tmp_path), option, FROM_DATA_ONLY[option]])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and f"{option} applies only to --from-data" in lines[0]
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--gap", "1.5"], "--gap"),
        (["--time-limit", "0"], "--time-limit"),
        (["--epsilon", "1.2"], "--epsilon"),
        (["--median", "5"], "--median"),
        (["--p", "40"], "--p"),
    ],
)
def test_bad_option_values_name_the_option(tmp_path, args, field):
    res = CliRunner().invoke(app, ["capacity", _input(tmp_path), *args])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert field in res.output


def test_format_and_out_with_input_file(tmp_path):
    target = tmp_path / "plan.json"
    res = CliRunner().invoke(
        app, ["capacity", _input(tmp_path), "--format", "table", "--out", str(target)]
    )
    assert res.exit_code == 0 and "reserved FV slots" in res.output
    assert json.loads(target.read_text())["reserved_fv_slots"]


def _from_data(store, tmp_path, *extra: str):
    model = example_clinic_model().to_json(tmp_path / "model.json")
    args = ["capacity", "--from-data", "--data", str(store), "--model", str(model)]
    return CliRunner().invoke(app, [*args, "--weeks", "1", *extra])


@pytest.mark.parametrize("option", sorted(CHECKS))
def test_option_applies_with_from_data(revisit_store, tmp_path, option):
    value, check = CHECKS[option]
    assert not check(_json(_from_data(revisit_store, tmp_path)))
    assert check(_json(_from_data(revisit_store, tmp_path, option, value)))


def test_from_data_options_show_in_the_output(revisit_store, tmp_path):
    target = tmp_path / "plan.json"
    out = _json(
        _from_data(
            revisit_store,
            tmp_path,
            "--fv-types",
            "new_patient",
            "--rv-types",
            "chronic_followup",
            "--polyclinic",
            "EX01",
            "--weeks",
            "2",
            "--out",
            str(target),
        )
    )
    assert out["inputs"]["fv_types"] == ["new_patient"]
    assert out["inputs"]["rv_types"] == ["chronic_followup"]
    assert out["inputs"]["polyclinic_id"] == "EX01" and out["inputs"]["weeks"] == 2
    assert len(out["reserved_fv_slots"]) == 14
    assert json.loads(target.read_text()) == out
    res = _from_data(revisit_store, tmp_path, "--polyclinic", "NOPE")
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    table = _from_data(revisit_store, tmp_path, "--format", "table")
    assert table.exit_code == 0 and "doctors" in table.output


def test_input_file_and_from_data_are_exclusive(revisit_store, tmp_path):
    res = _from_data(revisit_store, tmp_path, _input(tmp_path))
    assert res.exit_code == 2 and "not both" in res.output
