"""Exact per-session KPIs against hand-computed values, and the perturbations behind sensitivity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from polyslot.analysis.perturb import perturb
from polyslot.clinic_model import Punctuality, ServiceTime
from polyslot.distributions import pmf_mean
from polyslot.evaluation.sessions import session_schedule
from polyslot.evaluation.template_kpis import template_session_kpis
from polyslot.examples import example_clinic_model
from polyslot.template import Slot, SlotTemplate


def _deterministic_model():
    """Example clinic whose 'acute' visits last exactly 10 minutes, nobody misses, all punctual."""
    m = example_clinic_model(doctors=1)
    pmf = tuple([0.0] * 10 + [1.0])
    service = tuple(
        ServiceTime(s.visit_type, pmf, 10.0, 1e-9) if s.visit_type == "acute" else s
        for s in m.service
    )
    no_show = tuple(dataclasses.replace(r, rate=0.0) for r in m.no_show)
    punct = tuple(Punctuality(p.visit_type, (0,), (1.0,)) for p in m.punctuality)
    return dataclasses.replace(m, service=service, no_show=no_show, punctuality=punct)


def test_closed_form_deterministic_session() -> None:
    m = _deterministic_model()
    # session 0-AM-1 runs 08:00-12:00 (240 min): appointments 08:00, 08:00, 08:20
    slots = (
        Slot(0, 480, 10, "acute", "0-AM-1"),
        Slot(0, 480, 10, "acute", "0-AM-1"),
        Slot(0, 500, 10, "acute", "0-AM-1"),
    )
    (k,) = template_session_kpis(m, SlotTemplate("EX01", slots), "current")
    assert k.wait_mean == pytest.approx(10 / 3)  # waits 0, 10, 0
    assert k.wait_p90 == pytest.approx(10.0)
    assert k.overtime == pytest.approx(0.0)
    assert k.idle == pytest.approx(240 - 30)  # busy 30 of 240 minutes
    assert k.utilization == pytest.approx(30 / 240)
    assert k.patients_served == pytest.approx(3.0)
    assert k.capacity_minutes == pytest.approx(240.0)


def test_fill_fraction_acts_like_no_shows() -> None:
    m = _deterministic_model()
    slots = [Slot(0, 480 + 10 * i, 10, "acute", "0-AM-1") for i in range(4)]
    sched = session_schedule(m, slots, fill=0.5)
    assert [p.no_show for p in sched.patients] == [0.5] * 4
    (k,) = template_session_kpis(m, SlotTemplate("EX01", tuple(slots)), "current", fill=0.5)
    assert k.patients_served == pytest.approx(2.0)
    assert k.utilization == pytest.approx(20 / 240)


def test_perturb_identity_and_scaling() -> None:
    m = example_clinic_model()
    assert perturb(m, "no_show", 1.0) is m
    ns = perturb(m, "no_show", 2.0)
    assert [r.rate for r in ns.no_show] == pytest.approx([min(0.95, 2 * r.rate) for r in m.no_show])
    dm = perturb(m, "duration_mean", 1.3)
    for a, b in zip(m.service, dm.service, strict=True):
        assert pmf_mean(np.array(b.pmf)) == pytest.approx(1.3 * pmf_mean(np.array(a.pmf)), rel=0.01)
        assert b.cv == a.cv
    dcv = perturb(m, "duration_cv", 0.5)
    assert [s.cv for s in dcv.service] == pytest.approx([0.5 * s.cv for s in m.service])
    dd = perturb(m, "demand", 0.8)
    assert [d.mean for d in dd.demand] == pytest.approx([0.8 * d.mean for d in m.demand])
    pu = perturb(m, "punctuality", 0.0)
    assert all(p.offsets == (0,) and p.pmf == pytest.approx((1.0,)) for p in pu.punctuality)


def test_perturb_rejects_unknown_parameter() -> None:
    from polyslot.errors import InputError

    with pytest.raises(InputError, match="parameter"):
        perturb(example_clinic_model(), "weather", 1.1)


def test_booked_model_folds_unfilled_slots_into_no_shows() -> None:
    from polyslot.distributions import expected_unmet
    from polyslot.evaluation.booking import booked_model, fill_fractions, hourly_fill

    m = example_clinic_model()  # 540 slots a week; demand below that for most types
    fill = fill_fractions(m, m.current_template)
    slots_mon_acute = sum(
        1 for s in m.current_template.slots if s.weekday == 0 and s.visit_type == "acute"
    )
    rate = next(r for r in m.demand if r.weekday == 0 and r.visit_type == "acute")
    demand = rate.mean
    assert fill[(0, "acute")] == pytest.approx(min(1.0, demand / slots_mon_acute))
    b = booked_model(m, m.current_template)
    p0 = m.no_show_rate("acute", 0, 9)
    f9 = hourly_fill(m, m.current_template)[(0, "acute", 9)]
    assert b.no_show_rate("acute", 0, 9) == pytest.approx(1 - (1 - p0) * f9)
    # expected patients who come on Monday equal the expected bookings E[min(D, n)] (demand
    # that finds a slot), times the show rate (no cancellations in this model)
    come = sum(
        1 - b.no_show_rate(s.visit_type, 0, s.hour)
        for s in m.current_template.slots
        if s.weekday == 0 and s.visit_type == "acute"
    )
    booked = demand - expected_unmet(demand, rate.variance, slots_mon_acute)
    assert booked <= min(demand, slots_mon_acute)
    assert come == pytest.approx(booked * (1 - p0))


def test_unbooked_slots_are_in_the_unpopular_hours_and_cancellations_stay_empty() -> None:
    import dataclasses

    from polyslot.clinic_model import DemandRate, HourlyValue
    from polyslot.evaluation.booking import booked_model, hourly_fill

    m = example_clinic_model()
    mon = [s for s in m.current_template.slots if s.weekday == 0 and s.visit_type == "acute"]
    hours = sorted({s.hour for s in mon})
    n = len(mon)
    # half the slots' worth of demand, all preferring the first hour; no day-to-day variance
    demand = tuple(
        DemandRate("acute", 0, n / 2, 0.0, n / 2, n / 2)
        if (r.weekday, r.visit_type) == (0, "acute")
        else r
        for r in m.demand
    )
    pref = tuple(p for p in m.preference if (p.weekday, p.visit_type) != (0, "acute")) + (
        HourlyValue(0, hours[0], 1.0, "acute"),
    )
    m2 = dataclasses.replace(m, demand=demand, preference=pref)
    fill = hourly_fill(m2, m2.current_template)
    first = sum(1 for s in mon if s.hour == hours[0])
    assert fill[(0, "acute", hours[0])] == pytest.approx(1.0)  # the preferred hour fills up
    rest = (n / 2 - first) / (n - first)  # the rest spreads over the other free slots
    assert fill[(0, "acute", hours[-1])] == pytest.approx(rest)
    # a 10% cancellation share leaves 10% of the booked slots empty (late cancellations)
    m3 = dataclasses.replace(m2, meta={**m2.meta, "history": {"cancellation": {"acute": 0.1}}})
    p0 = m.no_show_rate("acute", 0, hours[0])
    assert booked_model(m3, m3.current_template).no_show_rate(
        "acute", 0, hours[0]
    ) == pytest.approx(1 - (1 - p0) * 0.9)
