"""The model reproduces the sample's history within the fidelity tolerances, every polyclinic."""

from __future__ import annotations

import json

import pytest

from polyslot.config import load_config
from polyslot.runners.local import run_local

#: One polyclinic of each kind of the sample (congested, overloaded, well-run), 16 weeks.
OVERRIDES = {
    "workers": 1,
    "holdout_days": 14,
    "sample": {"polyclinics": 3, "days": 112},
    "simulate": {"min_replications": 10, "max_replications": 20},
    "sensitivity": {"enabled": False},
    "optimize": {"sequencing_max_iter": 5},
}


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = run_local(None, load_config(overrides=OVERRIDES), tmp_path_factory.mktemp("f") / "out")
    return json.loads((out.out_dir / "summary.json").read_text())


def test_fidelity_within_tolerance_for_every_polyclinic(summary) -> None:
    rows = []
    for e in summary["polyclinics"]:
        week = e["fidelity"]["week"]
        rows.append((e["polyclinic_id"], {k: (v["model"], v["observed"]) for k, v in week.items()}))
        assert e["fidelity"]["within_tolerance"] is True, (e["polyclinic_id"], e["fidelity"]["gap"])
    assert len(rows) == 3


def test_headline_source_is_not_an_outlier(summary) -> None:
    for e in summary["polyclinics"]:
        outliers = {d["source"] for d in e["agreement"]["differs"]}
        assert e["source"] not in outliers or outliers >= {"simulator", "evaluator", "replay"}
