"""Unreserved ("any") slots: the visit-type mix, expected bookings, the optimizer's view."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from polyslot.day import build_day, hourly_fill
from polyslot.errors import InputError
from polyslot.evaluation.clinic_day import evaluate_clinic_day
from polyslot.examples import example_clinic_model
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.weekday_inputs import weekday_inputs
from polyslot.template import ANY_VISIT_TYPE, SlotTemplate, is_unreserved, normalise_visit_type
from polyslot.unreserved import apportion, demand_weights, with_unreserved


@pytest.fixture(scope="module")
def model():
    return example_clinic_model()


def _unreserved(model, every: int = 1) -> SlotTemplate:
    t = model.current_template
    slots = tuple(
        dataclasses.replace(s, visit_type=ANY_VISIT_TYPE) if i % every == 0 else s
        for i, s in enumerate(t.slots)
    )
    return SlotTemplate(t.polyclinic_id, slots, 60, "current")


def test_empty_and_any_mean_unreserved():
    for v in ("", " ", None, "any", "ANY", " Any "):
        assert is_unreserved(v)
        assert normalise_visit_type(v) == ANY_VISIT_TYPE
    assert normalise_visit_type(" acute ") == "acute"


def test_mixture_is_the_demand_weighted_mix(model):
    m = with_unreserved(model)
    w = demand_weights(model)
    assert sum(w.values()) == pytest.approx(1.0)
    mix = m.service_for(ANY_VISIT_TYPE)
    own = [model.service_for(v) for v in model.visit_types]
    assert mix.mean_minutes == pytest.approx(sum(w[s.visit_type] * s.mean_minutes for s in own))
    pmf_mean = float(np.dot(np.arange(len(mix.pmf)), mix.pmf))
    own_mean = sum(w[s.visit_type] * np.dot(np.arange(len(s.pmf)), s.pmf) for s in own)
    assert pmf_mean == pytest.approx(own_mean)
    rate = m.no_show_rate(ANY_VISIT_TYPE, 0, 9)
    w0 = demand_weights(model, 0)
    assert rate == pytest.approx(sum(w0[v] * model.no_show_rate(v, 0, 9) for v in w0))
    assert with_unreserved(m) is m  # idempotent
    with pytest.raises(InputError, match="unknown visit type"):
        model.service_for(ANY_VISIT_TYPE)  # only after with_unreserved


def test_unreserved_slots_take_the_overflow_of_reserved_ones(model):
    all_any = _unreserved(model)
    fill = hourly_fill(model, all_any.slots)
    n = sum(1 for s in all_any.slots if s.weekday == 0)
    demand = sum(r.mean for r in model.demand if r.weekday == 0)
    booked = sum(f * sum(1 for s in all_any.slots if s.weekday == 0 and s.hour == h)
                 for (wd, vt, h), f in fill.items() if wd == 0)  # fmt: skip
    # every request can use an unreserved slot: bookings ~ min(demand, slots)
    assert booked == pytest.approx(min(demand, n), rel=0.15)
    day = build_day(model, all_any, 0)
    assert {v.name for v in day.visit_types} >= {ANY_VISIT_TYPE}
    # the day's slots carry the same booked fraction as the rule
    assert sum(s.booked for s in day.slots) == pytest.approx(booked)


def test_one_model_kpis_of_an_unreserved_template(model):
    half = _unreserved(model, every=2)
    day = build_day(model, half, 0)
    assert len(day.slots) == sum(1 for s in half.slots if s.weekday == 0)
    m = evaluate_clinic_day(day, seed=3)
    assert np.isfinite(m.value("wait_mean")) and m.value("wait_mean") >= 0
    assert 0 < m.value("patients_served") <= len(day.slots) + 100


def test_optimizer_counts_unreserved_slots_as_the_mix(model):
    config = OptimizeConfig()
    reserved = weekday_inputs(model, 0, config)
    shared = weekday_inputs(
        dataclasses.replace(model, current_template=_unreserved(model)), 0, config
    )
    assert sum(map(sum, shared.current)) == sum(map(sum, reserved.current))
    assert apportion(7, (2.0, 1.0, 1.0), ("a", "b", "c")) == {"a": 3, "b": 2, "c": 2}
    assert sum(apportion(5, (0.0, 0.0), ("a", "b")).values()) == 5
