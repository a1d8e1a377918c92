"""Fidelity gaps and tolerances; the one-story check names the source that differs."""

from __future__ import annotations

import pytest

from polyslot.analysis.fidelity import fidelity_report, headline_source, source_agreement
from polyslot.config import FidelitySettings, load_config

TOL = FidelitySettings()


def _day(wait: float, p90: float, util: float, patients: float, ot: float = 5.0) -> dict:
    return {
        "wait_mean": wait,
        "wait_p90": p90,
        "utilization": util,
        "patients_served": patients,
        "overtime": ot,
        "duty": 1000.0,
    }


def _obs(wait: float, p90: float, util: float, patients: float, ot: float = 5.0) -> dict:
    return {
        "wait_mean": wait,
        "wait_p90": p90,
        "utilization": util,
        "patients_per_day": patients,
        "overtime": ot,
    }


def test_within_and_outside_tolerance_with_the_gap_named() -> None:
    model = {0: _day(10.0, 25.0, 0.80, 100.0), 1: _day(6.0, 15.0, 0.70, 100.0)}
    obs = {0: _obs(9.0, 24.0, 0.78, 98.0), 1: _obs(5.5, 14.0, 0.72, 99.0)}
    rep = fidelity_report(model, obs, TOL)
    assert rep["within_tolerance"] is True and rep["gap"] == ""
    week = rep["week"]
    assert week["wait_mean"]["model"] == pytest.approx(8.0)  # patient-weighted
    assert week["wait_mean"]["observed"] == pytest.approx((9.0 * 98 + 5.5 * 99) / 197)
    assert week["patients_served"]["observed"] == pytest.approx(197.0)
    assert week["wait_mean"]["tolerance"] == pytest.approx(0.25 * week["wait_mean"]["observed"] + 1)
    assert set(rep["weekdays"]) == {"Mon", "Tue"}
    # a model 30% too busy is outside: utilisation 8 pp off, patients 30% off
    bad = {0: _day(10.0, 25.0, 0.88, 130.0)}
    rep = fidelity_report(bad, {0: obs[0]}, TOL)
    assert rep["within_tolerance"] is False
    assert "utilisation model 88.0 vs history 78.0" in rep["gap"]
    assert "patients a week model 130.0 vs history 98.0" in rep["gap"]
    assert fidelity_report(model, {}, TOL)["within_tolerance"] is None


def test_tolerances_come_from_polyslot_toml(tmp_path) -> None:
    cfg = tmp_path / "polyslot.toml"
    cfg.write_text("[fidelity]\nwait_rel = 0.1\nutilization_pp = 2\n", encoding="utf-8")
    tol = load_config(cfg).fidelity
    assert (tol.wait_rel, tol.wait_abs, tol.utilization_pp) == (0.1, 1.0, 2.0)
    rep = fidelity_report({0: _day(10.0, 25.0, 0.80, 100.0)}, {0: _obs(9.0, 24.0, 0.78, 98.0)}, tol)
    assert rep["week"]["utilization"]["within_tolerance"] is True
    assert rep["week"]["wait_mean"]["tolerance"] == pytest.approx(1.9)


def test_outlier_source_is_named_and_never_the_headline() -> None:
    # issue 15's export: one source said 0.9 min where the others 10.9 and 9.5, history 8.1
    current = {
        "model": {"wait_mean": 0.9, "utilization": 0.8, "patients_served": 100.0},
        "simulator": {"wait_mean": 10.9, "utilization": 0.8, "patients_served": 100.0},
        "replay": {"wait_mean": 9.5, "utilization": 0.8, "patients_served": 100.0},
    }
    history = {"wait_mean": 8.1, "utilization": 0.8, "patients_served": 100.0}
    agree = source_agreement(current, TOL, history)
    assert not agree["agree"]
    assert [(d["source"], d["kpi"]) for d in agree["differs"]] == [("model", "wait_mean")]
    assert agree["differs"][0]["gap"] == pytest.approx(0.9 - 8.1)
    assert "model wait_mean 0.90 vs 8.10 in the history" in agree["explanation"]
    source, why = headline_source(current, agree, history)
    assert source == "replay" and "model differ(s)" in why
    # without history the median of the sources is the reference
    assert source_agreement(current, TOL)["differs"][0]["source"] == "model"
    ok = source_agreement({k: current["simulator"] for k in current}, TOL, history)
    assert ok["agree"] and headline_source(current, ok, history)[0] == "model"
