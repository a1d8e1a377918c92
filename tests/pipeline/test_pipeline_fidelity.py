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


def test_a_differing_source_says_why_with_this_polyclinics_numbers(summary, tmp_path) -> None:
    """One story: the exact evaluator (each doctor session alone, no walk-ins) differs from the
    history on the sample; summary.json names the source, the gap and a concrete reason."""
    named = 0
    for e in summary["polyclinics"]:
        agree = e["agreement"]
        facts = agree["facts"]
        assert facts["walk_ins_per_week"] > 0 and facts["doctors_at_once"] >= 1
        for d in agree["differs"]:
            assert d["why"] and d["gap"] == pytest.approx(d["value"] - d["median"], abs=1e-5)
            assert d["why"] in agree["explanation"]
            if (d["source"], d["kpi"]) == ("evaluator", "patients_served"):
                assert f"expects {facts['walk_ins_per_week']:.0f} a week" in d["why"]
                named += 1
            if (d["source"], d["kpi"]) == ("evaluator", "wait_mean") and d["gap"] > 0:
                assert f"up to {int(facts['doctors_at_once'])} doctors" in d["why"]
                named += 1
    assert named >= 1
