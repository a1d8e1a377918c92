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


def test_a_differing_source_says_why_with_this_polyclinics_numbers(summary) -> None:
    """One story: the planning model is the headline, every source that differs from the
    history is named with its gap and a concrete reason, and the facts behind the reasons are
    this polyclinic's."""
    for e in summary["polyclinics"]:
        assert e["source"] == "model"
        agree = e["agreement"]
        facts = agree["facts"]
        assert facts["walk_ins_per_week"] > 0 and facts["doctors_at_once"] >= 1
        for d in agree["differs"]:
            assert d["why"] and d["gap"] == pytest.approx(d["value"] - d["median"], abs=1e-5)
            assert d["why"] in agree["explanation"]
        # the queue the model plans with is the one the history shows, with its evidence
        assert e["model"]["discipline"] == "pooled"
        assert e["model"]["overtaken_share"] < 0.05
        assert e["model"]["evaluator"] == "simulation"
