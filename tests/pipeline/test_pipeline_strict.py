"""A skipped polyclinic is listed in summary.json, guide.md and the CLI; a run in which nothing
could be planned exits 2 (with --strict too: 3 is for runs that planned some polyclinics)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from polyslot.cli import app


def test_strict_exits_3_and_skipped_polyclinic_is_listed(tmp_path) -> None:
    cfg = tmp_path / "polyslot.toml"
    cfg.write_text(
        "workers = 1\nholdout_days = 7\n"
        "[sample]\npolyclinics = 1\ndays = 42\n"
        "[sensitivity]\nenabled = false\n"
        # a ceiling no template can meet, and no relaxation: the polyclinic cannot be planned
        '[optimize]\non_infeasible = "raise"\nutilisation_ceiling = 0.05\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", "--config", str(cfg), "--out", str(out), "--strict"])
    assert res.exit_code == 2, res.output
    assert "skipped PC01" in res.output and "Traceback" not in res.output
    assert "no polyclinic could be planned (PC01: " in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert [s["polyclinic_id"] for s in summary["skipped"]] == ["PC01"]
    assert summary["skipped"][0]["reason"]
    entry = summary["polyclinics"][0]
    assert entry["verdict"] == "skipped" and entry["reason"] == summary["skipped"][0]["reason"]
    assert "PC01" in (out / "guide.md").read_text().split("## Network roll-out order")[0]


def test_strict_exits_3_when_one_polyclinic_is_skipped_and_others_planned(tmp_path) -> None:
    """A foreign export of two clinics: East can be planned, West's rows are all cancellations
    (nothing to estimate consultation times from). ``--strict`` exits 3 after writing every
    deliverable; West is named in the CLI, summary.json ``skipped`` and the report's first
    screen, East is planned."""
    import sys
    from pathlib import Path

    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
    from foreign_exports import build

    exp = build(tmp_path / "export", "csv", weeks=4)
    frame = pd.read_csv(exp.source, dtype=str, keep_default_na=False)
    east = frame[frame["Clinic"] == "East"]
    west = east.copy()
    west["Clinic"] = "West"
    west["Outcome"] = "Cancelled"
    west[["Arrival Time", "Seen Time", "Finished Time"]] = ""
    data = tmp_path / "data"
    data.mkdir()
    pd.concat([east, west], ignore_index=True).to_csv(data / "attendances.csv", index=False)
    cfg = tmp_path / "small.toml"
    cfg.write_text(
        "holdout_days = 7\nworkers = 1\n[sensitivity]\nenabled = false\n"
        "[simulate]\nmin_replications = 3\nmax_replications = 4\n"
        # the 3 weeks before the hold-out: 6 half-day sessions a weekday
        "[estimate]\nmin_weekday_sessions = 6\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        ["run", "--data", str(data), "--mapping", str(exp.mapping), "--config", str(cfg),
         "--out", str(out), "--strict"],
    )  # fmt: skip
    text = res.stdout + res.stderr
    assert res.exit_code == 3, text
    assert "Traceback" not in text
    assert "skipped West: not estimated: no consultation records" in res.stdout
    assert "--strict: 1 polyclinic(s) skipped" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert [s["polyclinic_id"] for s in summary["skipped"]] == ["West"]
    entries = {e["polyclinic_id"]: e for e in summary["polyclinics"]}
    assert entries["West"]["verdict"] == "skipped"
    assert entries["East"]["verdict"] in ("recommend", "keep_current")
    assert summary["network"]["n_polyclinics"] == 1
    html = (out / "report.html").read_text()
    first_screen = html[: html.index("<h2>Network summary</h2>")]
    assert "Not planned" in first_screen and "West" in first_screen
    assert (out / "templates" / "East.json").exists()
    assert not (out / "templates" / "West.json").exists()
