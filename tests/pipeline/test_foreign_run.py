"""Foreign-shaped and broken exports through ``polyslot run``: one line and exit 2 for every
failure, the whole pipeline on an export with no roster and no template (no traceback from any
command: ``tests/cli/test_cli_no_traceback.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from polyslot.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from foreign_exports import MAPPING, build  # noqa: E402

runner = CliRunner()
SMALL = """\
holdout_days = 7
workers = 1
[sensitivity]
enabled = false
[simulate]
min_replications = 3
max_replications = 4
[estimate]
min_weekday_sessions = 6   # the 3 weeks before the hold-out: 6 half-day sessions a weekday
"""


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    exp = build(d, "csv", weeks=4)
    (d / "small.toml").write_text(SMALL)
    return exp, d


def _run(*args: str):
    res = runner.invoke(app, [str(a) for a in args])
    text = res.stdout + res.stderr
    assert "Traceback" not in text
    return res


def _fails(res, *needles: str) -> str:
    """The run stopped with exit 2 and one ``error:`` line holding every needle."""
    assert res.exit_code == 2, res.stdout + res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, res.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _folder(d: Path, name: str, frame: pd.DataFrame, template: pd.DataFrame | None = None):
    f = d / name
    f.mkdir()
    frame.to_csv(f / "attendances.csv", index=False)
    if template is not None:
        template.to_csv(f / "slot_template.csv", index=False)
    return f


def _template(rows: list[tuple]) -> pd.DataFrame:
    cols = ["polyclinic_id", "weekday", "start_time", "duration_minutes", "visit_type"]
    frame = pd.DataFrame(rows, columns=cols)
    half = ["AM" if t < "12:00" else "PM" for t in frame["start_time"]]
    frame["doctor_session"] = [f"D{w}-{h}" for w, h in zip(frame["weekday"], half, strict=True)]
    return frame


# -- the catalogue of broken and foreign-shaped exports ---------------------------------------


def test_missing_file(export, tmp_path):
    _fails(_run("run", "--data", tmp_path / "nope.csv", "--out", tmp_path), "nope.csv", "not found")


def test_foreign_columns_without_mapping(export, tmp_path):
    exp, _ = export
    _fails(
        _run("run", "--data", exp.source, "--out", tmp_path),
        "export.csv",
        "missing required column",
        "found Appointment ID, Clinic",
        "--mapping",
    )


def test_mapping_naming_an_absent_column(export, tmp_path):
    exp, _ = export
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING.replace('"Clinician"', '"Doctor Name"'))
    line = _fails(_run("run", "--data", exp.source, "--mapping", bad, "--out", tmp_path))
    assert "bad.toml" in line and "Doctor Name" in line


def test_clock_times_without_dates_stop_at_the_guard(export, tmp_path):
    exp, _ = export
    bad = tmp_path / "clock.toml"
    bad.write_text(
        MAPPING.replace('["Appointment Date", "Appointment Time"]', '"Appointment Time"')
    )
    _fails(_run("run", "--data", exp.source, "--mapping", bad, "--out", tmp_path), "appointment_ts")


def test_ids_restarting_per_clinic_without_id_scope(export, tmp_path):
    exp, _ = export
    bad = tmp_path / "ids.toml"
    bad.write_text(MAPPING.replace('id_scope = "polyclinic"\n', ""))
    _fails(
        _run("run", "--data", exp.source, "--mapping", bad, "--out", tmp_path),
        "attendance_id",
        "id_scope",
    )


def test_template_visit_type_unknown_to_the_history(export, tmp_path):
    exp, d = export
    frame = pd.read_csv(exp.source, dtype=str, keep_default_na=False)
    tpl = _template([("North", 0, "08:00", 15, "Chronic"), ("North", 0, "08:15", 15, "")])
    src = _folder(tmp_path, "unknown", frame, tpl)
    _fails(
        _run("run", "--data", src, "--mapping", exp.mapping, "--out", tmp_path / "o"),
        "slot_template.csv",
        "field 'visit_type'",
        "'Chronic'",
        "known visit types: Follow-up, New Case, Vaccination",
    )


def test_history_shorter_than_the_holdout(export, tmp_path):
    exp, d = export
    _fails(
        _run("run", "--data", exp.source, "--mapping", exp.mapping, "--out", tmp_path,
             "--config", _config(tmp_path, "holdout_days = 60\n")),
        "holdout_days",
        "60",
    )  # fmt: skip


def test_no_consultation_times_anywhere(export, tmp_path):
    """Appointment-only export: nothing to estimate consultation times from."""
    exp, d = export
    frame = pd.read_csv(exp.source, dtype=str, keep_default_na=False)
    frame["Outcome"] = frame["Outcome"].replace({"Attended": "Did Not Attend"})
    frame[["Arrival Time", "Seen Time", "Finished Time"]] = ""
    src = _folder(tmp_path, "noconsult", frame)
    _fails(
        _run("run", "--data", src, "--mapping", exp.mapping, "--out", tmp_path / "o",
             "--config", d / "small.toml"),
        "no polyclinic could be planned",
        "East: not estimated: no consultation records (attended visits",
    )  # fmt: skip


def test_bad_config_value(export, tmp_path):
    exp, _ = export
    _fails(
        _run("run", "--data", exp.source, "--config", _config(tmp_path, 'seed = "x"\n')),
        "field 'seed'",
    )


def _config(d: Path, extra: str) -> Path:
    p = d / "cfg.toml"
    p.write_text(extra + SMALL.replace("holdout_days = 7\n", "") if "holdout" in extra else extra)
    return p


# -- the whole pipeline on a foreign export with no roster and no template --------------------


@pytest.fixture(scope="module")
def full_run(export, tmp_path_factory):
    """North / South / East as exported, plus West whose rows are all cancellations (it cannot
    be estimated) and an unreserved template for North."""
    exp, d = export
    frame = pd.read_csv(exp.source, dtype=str, keep_default_na=False)
    west = frame[frame["Clinic"] == "East"].copy()
    west["Clinic"] = "West"
    west["Outcome"] = "Cancelled"
    west[["Arrival Time", "Seen Time", "Finished Time"]] = ""
    src = _folder(d, "full", pd.concat([frame, west], ignore_index=True))
    out = tmp_path_factory.mktemp("out")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", "from polyslot.cli import main; main()", "run", "--data",
         str(src), "--mapping", str(exp.mapping), "--config", str(d / "small.toml"),
         "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=1800, check=False,
    )  # fmt: skip
    return proc, out


def test_full_run_succeeds_and_names_the_skipped_clinic(full_run):
    proc, out = full_run
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "skipped West: not estimated: no consultation records" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert [s["polyclinic_id"] for s in summary["skipped"]] == ["West"]
    assert summary["skipped"][0]["reason"].startswith("not estimated: no consultation records")
    west = next(e for e in summary["polyclinics"] if e["polyclinic_id"] == "West")
    assert west["verdict"] == "skipped"
    html = (out / "report.html").read_text()
    first_screen = html[: html.index("<h2>Network summary</h2>")]
    assert "Not planned" in first_screen and "West" in first_screen
    assert "roster was not supplied" in first_screen
    assert "current slot template was not supplied" in first_screen


def test_full_run_infers_roster_and_the_40_slot_template(full_run):
    _, out = full_run
    dq = json.loads((out / "store" / "data_quality.json").read_text())
    assert dq["inferred"]["roster"]["polyclinics"] == {
        "East": "doctor_id",
        "North": "doctor_id",
        "South": "doctor_id",
    }  # West only has cancellations: no activity, no duty inferred
    north = json.loads((out / "model" / "North.json").read_text())
    assert north["meta"]["template_source"] == "inferred"
    assert north["meta"]["staffing_source"] == "roster_inferred"
    slots = pd.DataFrame(north["current_template"]["slots"])
    # 3 training weeks here (4 exported, 1 held back): a slot may go unbooked on all three
    # Fridays; tests/estimate/test_inferred_inputs.py checks exactly 40 on 6 weeks
    per_day = slots.groupby("weekday").size()
    assert per_day.between(39, 40).all() and per_day.sum() >= 199


def test_full_run_writes_valid_fhir_bundles(full_run):
    _, out = full_run
    for clinic in ("North", "South", "East"):
        doc = json.loads((out / "templates" / f"{clinic}.fhir.json").read_text())
        bundle = Bundle.model_validate(doc)
        tpl = json.loads((out / "templates" / f"{clinic}.json").read_text())
        n_slots = sum(1 for e in bundle.entry if e.resource.__resource_type__ == "Slot")
        assert n_slots == len(tpl["slots"])
    # the planning week is the first Monday after the data (4 weeks from 2025-03-03)
    first = doc["entry"][0]["resource"]["planningHorizon"]["start"]
    assert first.startswith("2025-03-3") or first.startswith("2025-04-0")


def test_unreserved_template_runs_end_to_end(export, tmp_path):
    """Empty and ``any`` visit types in the template: open to every visit type."""
    exp, d = export
    frame = pd.read_csv(exp.source, dtype=str, keep_default_na=False)
    frame = frame[frame["Clinic"] == "North"]
    rows = [("North", wd, f"{m // 60:02d}:{m % 60:02d}", 15, "" if m % 30 else "any")
            for wd in range(5) for m in range(480, 1080, 15)]  # fmt: skip
    src = _folder(tmp_path, "unreserved", frame, _template(rows))
    out = tmp_path / "o"
    res = _run("run", "--data", src, "--mapping", exp.mapping, "--out", out,
               "--config", d / "small.toml")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    model = json.loads((out / "model" / "North.json").read_text())
    types = {s["visit_type"] for s in model["current_template"]["slots"]}
    assert types == {"any"}
    summary = json.loads((out / "summary.json").read_text())
    north = summary["polyclinics"][0]
    assert north["patients_served_current"] > 0
    assert north["wait_mean_current"] >= 0


@pytest.mark.parametrize("command", ["map", "ingest"])
def test_binary_file_named_csv_is_one_line_exit_2(command, tmp_path):
    src = tmp_path / "export.csv"
    src.write_bytes(bytes(range(256)) * 8)
    args = [str(src)] if command == "map" else [str(src), "--out", str(tmp_path / "o")]
    res = _run(command, *args)
    assert res.exit_code == 2, (command, res.stdout, res.stderr)
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "export.csv" in res.stderr and "Traceback" not in res.stderr
