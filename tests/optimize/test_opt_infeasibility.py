"""Infeasibility is explained with the right bucket and numbers, and the smallest relaxation."""

from __future__ import annotations

import pytest

from polyslot.errors import InfeasibleError
from polyslot.examples import example_clinic_model
from polyslot.optimize.allocation_waiting import waiting_curve
from polyslot.optimize.clinic import optimize_clinic
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.infeasibility import explain_infeasibility
from polyslot.optimize.weekday_inputs import WeekdayInputs


def one_bucket(demand: float) -> WeekdayInputs:
    """Mon 09:00-10:00, one doctor (54 workload minutes at a 0.9 ceiling), 6-minute visits."""
    return WeekdayInputs(
        weekday=0,
        bucket_minutes=60,
        buckets=(540,),
        servers=(1.0,),
        block_end=(True,),
        visit_types=("chronic_followup",),
        mean_service=(6.0,),
        no_show=((0.0,),),
        demand_mean=(demand,),
        demand_var=(0.0,),
        preference=((1.0,),),
        allowed=((True,),),
        current=((0,),),
        walk_in_load=(0.0,),
    )


def test_names_bucket_and_numbers():
    curve = waiting_curve([0, 0, 0, 0, 0, 0, 1.0], 0.0, 60)
    err = explain_infeasibility(one_bucket(14.0), OptimizeConfig(), curve)
    assert isinstance(err, InfeasibleError)
    assert err.conflicts[0] == "Mon 09:00-10:00: chronic_followup needs 14 slots, staff allow 9"
    assert str(err).startswith("Mon 09:00-10:00: chronic_followup needs 14 slots, staff allow 9")
    assert "from 14 to 9 slots" in err.relaxation[0]
    # 5 slots x 6 min / 0.9 = 33.3 -> 34 doctor-minutes
    assert "add 34 doctor-minutes" in err.relaxation[0]


def test_clinic_level_raises_with_explanation():
    model = example_clinic_model(doctors=3)
    cfg = OptimizeConfig(
        allowed_hours={"new_patient": (9,)}, max_calibration_rounds=1, on_infeasible="raise"
    )
    with pytest.raises(InfeasibleError) as info:
        optimize_clinic(model, cfg)
    assert info.value.conflicts[0].startswith("Mon 09:00-10:00: new_patient needs ")
    assert "staff allow" in info.value.conflicts[0]
    assert info.value.relaxation


def test_relax_mode_applies_and_reports_the_smallest_relaxation(monday_only):
    import dataclasses

    m = monday_only(doctors=2)
    strict = OptimizeConfig(on_infeasible="raise", sequencing_max_iter=0, time_limit=1.0)
    with pytest.raises(InfeasibleError) as info:
        optimize_clinic(m, strict)
    res = optimize_clinic(m, dataclasses.replace(strict, on_infeasible="relax"))
    day = res.weekdays[0]
    assert day.relaxation and day.conflicts
    assert day.conflicts[0] == info.value.conflicts[0] or "needs" in day.conflicts[0]
    assert res.to_dict()["relaxed_weekdays"] == ["Mon"]
    # demand coverage was relaxed, never the current template's throughput
    assert day.throughput_recommended >= day.throughput_current - 0.0011
    assert len(res.template.slots) > 0
