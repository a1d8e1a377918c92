"""polyslot run end to end on a tiny sample: outputs, determinism, no patient ids."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.config import load_config
from polyslot.examples import tiny_run_overrides
from polyslot.runners.local import run_local

TINY = tiny_run_overrides()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cfg = load_config(overrides=TINY)
    a = run_local(None, cfg, tmp_path_factory.mktemp("a") / "out")
    b = run_local(None, cfg, tmp_path_factory.mktemp("b") / "out")
    return a, b


def test_deliverables_exist_and_summary_has_contract_keys(runs) -> None:
    out = runs[0].out_dir
    for name in (
        "report.html",
        "guide.md",
        "summary.json",
        "templates/PC01.csv",
        "templates/PC01.json",
        "templates/PC01.xlsx",
        "model/PC01.json",
        "store/polyslot.duckdb",
        "store/quarantine.csv",
    ):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    keys = {
        "polyclinic_id",
        "wait_mean_current",
        "wait_mean_recommended",
        "utilization_current",
        "utilization_recommended",
        "patients_served_current",
        "patients_served_recommended",
    }
    assert keys <= set(summary["polyclinics"][0])
    assert keys - {"polyclinic_id"} <= set(summary["network"])
    assert 0 < summary["network"]["utilization_current"] < 1.5


def test_quarantine_reconciles(runs) -> None:
    out = runs[0].out_dir
    quality = json.loads((out / "store" / "data_quality.json").read_text())
    att = quality["tables"]["attendances"]
    assert att["read"] == att["accepted"] + att["quarantined"]
    assert att["quarantined"] > 0  # the sample carries realistic defects
    assert sum(att["reasons"].values()) == att["quarantined"]


def test_same_seed_same_outputs(runs) -> None:
    a, b = (r.out_dir for r in runs)
    for name in (
        "summary.json",
        "templates/PC01.csv",
        "templates/PC01.json",
        "guide.md",
        "model/PC01.json",
        "report.html",
    ):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_no_patient_identifier_in_any_output(runs) -> None:
    out = runs[0].out_dir
    ids = set(pd.read_parquet(out / "sample" / "attendances.parquet")["patient_id"].dropna())
    assert len(ids) > 50
    for path in out.rglob("*"):
        if not path.is_file() or "sample" in path.parts or path.suffix in (".duckdb", ".xlsx"):
            continue  # the input copy and the store legitimately hold them
        text = path.read_bytes().decode("utf-8", errors="ignore")
        leaked = [i for i in ids if i in text]
        assert not leaked, f"{path.relative_to(out)} contains patient ids"


def test_cli_run_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "polyslot.toml"
    bad.write_text("[sample]\npolyclinics = 0\n")
    res = CliRunner().invoke(app, ["run", "--config", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "polyclinics" in res.output and "Traceback" not in res.output
