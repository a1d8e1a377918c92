"""Why a source differs from the history: concrete reasons with the polyclinic's numbers."""

from __future__ import annotations

import dataclasses

from polyslot.analysis.disagreement import reason, source_facts
from polyslot.analysis.fidelity import source_agreement
from polyslot.clinic_model import HourlyValue
from polyslot.config import FidelitySettings
from polyslot.examples import example_clinic_model

TOL = FidelitySettings()


def _model():
    m = example_clinic_model()
    # two walk-ins an hour, 08-12 every weekday with sessions: 40 a week on five weekdays
    walk = tuple(HourlyValue(d, h, 2.0) for d in range(5) for h in range(8, 12))
    return dataclasses.replace(m, walk_ins=walk)


def test_facts_count_walk_ins_their_minutes_and_the_roster() -> None:
    m = _model()
    f = source_facts(m, discipline="pooled_fcfs", replay_days=14)
    assert f["walk_ins_per_week"] == 40.0
    first = m.service_for(m.visit_types[0]).mean_minutes  # a walk-in without a visit type
    assert f["walk_in_minutes_per_week"] == round(40.0 * first, 3)
    assert f["rostered_minutes_per_week"] == sum(s.end_minute - s.start_minute for s in m.sessions)
    assert f["doctors_at_once"] == round(max(h.value for h in m.staffing))
    assert (f["discipline"], f["replay_days"]) == ("pooled_fcfs", 14)


def test_evaluator_differences_say_why_with_numbers() -> None:
    f = source_facts(_model(), discipline="pooled_fcfs", replay_days=14)
    current = {
        "simulator": {"wait_mean": 8.0, "utilization": 0.80, "patients_served": 1000.0},
        "evaluator": {"wait_mean": 14.0, "utilization": 0.70, "patients_served": 900.0},
        "replay": {"wait_mean": 8.3, "utilization": 0.81, "patients_served": 990.0},
    }
    history = {"wait_mean": 8.1, "utilization": 0.80, "patients_served": 1000.0}
    agree = source_agreement(current, TOL, history, f)
    why = {(d["source"], d["kpi"]): d["why"] for d in agree["differs"]}
    assert set(why) == {
        ("evaluator", "wait_mean"),
        ("evaluator", "utilization"),
        ("evaluator", "patients_served"),
    }
    assert "walk-ins (the model expects 40 a week)" in why["evaluator", "patients_served"]
    minutes = f"{f['walk_in_minutes_per_week']:.0f} doctor-minutes a week"
    share = f["walk_in_minutes_per_week"] / f["rostered_minutes_per_week"]
    assert minutes in why["evaluator", "utilization"]
    assert (
        f"({share:.0%} of the {f['rostered_minutes_per_week']:.0f} rostered)"
        in why["evaluator", "utilization"]
    )
    wait = why["evaluator", "wait_mean"]
    assert "for that doctor alone" in wait and f"up to {f['doctors_at_once']} doctors" in wait
    assert "pooled_fcfs" in wait
    # the text of the report carries each reason after the numbers
    assert (
        "evaluator patients_served 900.00 vs 1000.00 in the history (the exact"
        in (agree["explanation"])
    )
    assert agree["facts"] == f


def test_lower_evaluator_wait_and_other_sources() -> None:
    f = source_facts(_model(), discipline="pooled_fcfs", replay_days=14)
    assert "leaves out the 40 walk-ins a week" in reason("evaluator", "wait_mean", 2.0, 8.0, f)
    assert "the 14 held-back days as recorded" in reason("replay", "wait_mean", 12.0, 8.0, f)
    assert "model's misfit" in reason("simulator", "utilization", 0.7, 0.8, f)
