"""Infeasibility is explained with the right bucket and numbers, and the smallest relaxation."""

from __future__ import annotations

import dataclasses

import pytest
from scipy import stats

from polyslot.errors import InfeasibleError
from polyslot.examples import example_clinic_model
from polyslot.optimize.allocation import THROUGHPUT_TOL
from polyslot.optimize.allocation_waiting import waiting_curve
from polyslot.optimize.clinic import optimize_clinic
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.infeasibility import explain_infeasibility, smallest_relaxation
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


# -- issue 22: every conflict named with its setting; relax relaxes the throughput floor -------


def throughput_only() -> WeekdayInputs:
    """Mon 09:00-10:00, one doctor, 6-minute visits, demand N(5, 3^2), today 20 slots.

    Coverage needs ceil(5 + 1.2816 x 3) = 9 slots and the staff allow 54 / 6 = 9: it fits.
    But 20 slots serve 5 - E[(D - 20)^+] requests and the most the overbooking cap allows,
    72 / 6 = 12 slots, serve E[(D - 12)^+] = 0.0100 fewer: only the throughput floor conflicts.
    """
    return dataclasses.replace(
        one_bucket(5.0), mean_service=(6.0,), demand_var=(9.0,), current=((20,),)
    )


def unmet(slots: int, mean: float = 5.0, sd: float = 3.0) -> float:
    z = (mean - slots) / sd  # E[(D - s)^+] of a normal demand, the closed form
    return sd * float(stats.norm.pdf(z)) + (mean - slots) * float(stats.norm.cdf(z))


CURVE6 = waiting_curve([0, 0, 0, 0, 0, 0, 1.0], 0.0, 60)


def test_infeasible_only_because_of_the_throughput_floor():
    inp, cfg = throughput_only(), OptimizeConfig()
    assert inp.need(0, cfg.epsilon) == 9
    # demand coverage and the utilisation ceiling (up to the overbooking cap) are not enough
    assert smallest_relaxation(inp, cfg, CURVE6, ("cover", "staff")) is None
    slacks, err = smallest_relaxation(inp, cfg, CURVE6)
    # the overbooking cap's 12 slots, and the rest below today's throughput
    assert sum(err.counts.values()) == 12
    gap = unmet(12) - unmet(20) - THROUGHPUT_TOL
    assert slacks["throughput"] == pytest.approx(gap, abs=1e-6)
    assert slacks["throughput_chronic_followup"] == pytest.approx(gap, abs=1e-6)
    assert not any(k.startswith("cover") for k in slacks)
    served = 5.0 - unmet(20)
    assert err.conflicts == [
        "Mon 09:00-10:00: workload needs 72.0 min, staff allow 54.0 min",
        f"Mon: serving the {served:.2f} requests today's template serves needs {gap:.2f} more "
        "than staff allow",
        f"Mon: serving the {served:.2f} requests today's template serves of chronic_followup "
        f"needs {gap:.2f} more than staff allow",
    ]
    assert "optimize.utilisation_ceiling" in err.relaxation[0]
    assert "optimize.throughput_floor 0.99" in err.relaxation[1]


def test_relax_mode_relaxes_the_throughput_floor():
    """Issue 22: with on_infeasible = "relax" a week infeasible only because of the throughput
    floor stopped ("no polyclinic could be planned")."""
    model = throughput_model()
    with pytest.raises(InfeasibleError) as info:
        optimize_clinic(model, OptimizeConfig(on_infeasible="raise", sequencing_max_iter=0))
    assert "today's template serves" in str(info.value)
    res = optimize_clinic(model, OptimizeConfig(on_infeasible="relax", sequencing_max_iter=0))
    day = res.weekdays[0]
    assert res.to_dict()["relaxed_weekdays"] == ["Mon"]
    assert any("throughput_floor" in r for r in day.relaxation)
    assert len(res.template.slots) == 12  # all the overbooking cap allows
    gap = unmet(12) - unmet(20)
    assert day.throughput_recommended == pytest.approx(day.throughput_current - gap, abs=1e-6)


def throughput_model():
    """The clinic of :func:`throughput_only`: one Monday session 09:00-10:00, today 20 slots."""
    from polyslot.clinic_model import ClinicModel, DemandRate, DoctorSession, ServiceTime
    from polyslot.template import Slot, SlotTemplate

    pmf = tuple(1.0 if i == 6 else 0.0 for i in range(7))
    slots = tuple(Slot(0, 540 + 3 * i, 3, "chronic_followup", "Mon-AM-D01") for i in range(20))
    return ClinicModel(
        polyclinic_id="T1",
        slot_minutes=1,
        visit_types=("chronic_followup",),
        service=(ServiceTime("chronic_followup", pmf, 6.0, 0.0),),
        punctuality=(),
        no_show=(),
        demand=(DemandRate("chronic_followup", 0, 5.0, 9.0, 0.0, 10.0),),
        preference=(),
        walk_ins=(),
        staffing=(),
        sessions=(DoctorSession(0, "Mon-AM-D01", 540, 600),),
        current_template=SlotTemplate("T1", slots, 60, "current"),
        opening={0: (540, 600)},
    )


def test_several_conflicts_are_all_named_with_their_settings():
    """Two visit types each confined to one hour, each needing more than that hour's doctor:
    the message names both (it used to end in "(and 1 more)")."""
    inp = dataclasses.replace(
        one_bucket(14.0),
        buckets=(540, 600),
        servers=(1.0, 1.0),
        block_end=(False, True),
        visit_types=("acute", "chronic"),
        mean_service=(6.0, 6.0),
        no_show=((0.0, 0.0), (0.0, 0.0)),
        demand_mean=(14.0, 12.0),
        demand_var=(0.0, 0.0),
        preference=((1.0, 0.0), (0.0, 1.0)),
        allowed=((True, False), (False, True)),
        current=((0, 0), (0, 0)),
        walk_in_load=(0.0, 0.0),
    )
    cfg = OptimizeConfig(allowed_hours={"acute": (9,), "chronic": (10,)})
    err = explain_infeasibility(inp, cfg, CURVE6)
    assert err.conflicts == [
        "Mon 09:00-10:00: acute needs 14 slots, staff allow 9",
        "Mon 10:00-11:00: chronic needs 12 slots, staff allow 9",
    ]
    assert err.relaxation == [
        "Mon 09:00-10:00: lower acute coverage from 14 to 9 slots (raise optimize.epsilon "
        "above 0.1) or add 34 doctor-minutes, or allow acute in more hours "
        "(optimize.allowed_hours)",
        "Mon 10:00-11:00: lower chronic coverage from 12 to 9 slots (raise optimize.epsilon "
        "above 0.1) or add 20 doctor-minutes, or allow chronic in more hours "
        "(optimize.allowed_hours)",
    ]
    msg = str(err)
    assert "\n" not in msg and "more)" not in msg
    assert msg == "; ".join(
        f"{c} (relax: {r.split(': ', 1)[1]})"
        for c, r in zip(err.conflicts, err.relaxation, strict=True)
    )


def test_clinic_message_lists_every_conflict():
    model = example_clinic_model(doctors=3)
    cfg = OptimizeConfig(
        allowed_hours={"new_patient": (9,), "acute": (10,)},
        max_calibration_rounds=1,
        on_infeasible="raise",
    )
    with pytest.raises(InfeasibleError) as info:
        optimize_clinic(model, cfg)
    exc = info.value
    assert len(exc.conflicts) >= 2 and len(exc.relaxation) == len(exc.conflicts)
    for c in exc.conflicts:
        assert c in str(exc)
    assert "more)" not in str(exc)


def test_frontier_keeps_an_overloaded_weekdays_floor_to_itself():
    """An overloaded weekday's throughput floor is lowered by the frontier sweep, not by the
    relax path: plan_weekdays leaves it to the frontier; a regular weekday is relaxed."""
    from polyslot.optimize.frontier import plan_weekdays

    model, cfg = throughput_model(), OptimizeConfig(sequencing_max_iter=0)
    res, left = plan_weekdays(model, cfg, overloaded={0})
    assert res.weekdays == {} and "today's template serves" in left[0]
    res, left = plan_weekdays(model, cfg, overloaded=set())
    assert left == {} and len(res.template.slots) == 12
