"""polyslot run end to end on a tiny sample: outputs, determinism, no patient ids."""

from __future__ import annotations

import json

import pandas as pd
import pytest

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


def test_summary_has_trust_keys_and_frontier_files(runs) -> None:
    out = runs[0].out_dir
    summary = json.loads((out / "summary.json").read_text())
    assert summary["skipped"] == []
    for entry in summary["polyclinics"]:
        pid = entry["polyclinic_id"]
        assert entry["verdict"] in ("recommend", "keep_current", "skipped")
        assert entry["confidence"] in ("high", "low")
        assert entry["reason"] or entry["verdict"] == "recommend"
        for k in ("wait_mean_observed", "wait_p90_observed", "utilization_observed"):
            assert entry[k] is not None and entry[k] >= 0
        assert entry["patients_served_observed"] > 0
        fid = entry["fidelity"]
        assert isinstance(fid["within_tolerance"], bool)
        assert set(fid["week"]) >= {"wait_mean", "wait_p90", "utilization", "patients_served"}
        assert (entry["confidence"] == "low") == (not fid["within_tolerance"])
        front = json.loads((out / "frontier" / f"{pid}.json").read_text())
        assert front["polyclinic_id"] == pid and front["policy"] == "balanced"
        for day, f in front["weekdays"].items():
            assert len(f["points"]) >= 2 and 0 < f["chosen"] < len(f["points"])
            assert f["points"][0]["label"] == "today"
            chosen = entry["frontier"]["weekdays"][day]["points"][f["chosen"]]
            assert chosen["patients_per_week"] == f["points"][f["chosen"]]["patients_per_week"]
        # the recommended template of every weekday is the chosen point's
        tpl = json.loads((out / "templates" / f"{pid}.json").read_text())
        for day, f in front["weekdays"].items():
            rows = [
                {k: v for k, v in s.items() if k != "weekday"}
                for s in tpl["slots"]
                if s["weekday"] == day
            ]
            key = lambda s: (s["doctor_session"], s["start_time"], s["visit_type"])  # noqa: E731
            assert sorted(rows, key=key) == sorted(f["points"][f["chosen"]]["slots"], key=key)
    assert summary["network"]["verdicts"]["skipped"] == 0
    assert "## Verdicts" in (out / "guide.md").read_text()
    assert "Model vs your history" in (out / "report.html").read_text()
