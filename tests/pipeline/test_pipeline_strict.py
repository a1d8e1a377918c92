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
