"""The studio's day KPIs (the one clinic model), what-if factors and edits, against
independent references."""

from __future__ import annotations

import importlib

import pytest

from polyslot.analysis.perturb import perturb
from polyslot.errors import InputError
from polyslot.studio import edits
from polyslot.studio.kpis import ModelIndex, WhatIf, day_kpis
from polyslot.template import Slot

from .reference import reference_day


@pytest.mark.parametrize("weekday", [0, 2, 5])
def test_day_kpis_equal_the_one_model(model, weekday) -> None:
    tpl = model.current_template
    got = day_kpis(ModelIndex(model), tpl, weekday)
    ref = reference_day(model, tpl, weekday)
    assert got.slots == len(tpl.for_weekday(weekday).slots) > 0
    for key, value in ref.items():
        if key != "se":
            assert getattr(got, key) == pytest.approx(value, rel=1e-9, abs=1e-9), key
    assert 0 < got.utilization < 1.5
    # waiting by hour: patient-weighted, so its weighted mean is the day's mean
    assert set(got.by_hour) == {s.hour for s in tpl.for_weekday(weekday).slots}


def test_what_if_factors_are_the_perturbed_model(model) -> None:
    tpl = model.current_template
    wi = WhatIf(no_show=1.5, duration_mean=1.2, punctuality=0.5, demand=0.8)
    got = day_kpis(ModelIndex(model, wi), tpl, 0)
    m = perturb(perturb(perturb(model, "no_show", 1.5), "duration_mean", 1.2), "punctuality", 0.5)
    ref = reference_day(m, tpl, 0, factor=0.8)
    assert got.wait_mean == pytest.approx(ref["wait_mean"], rel=1e-9)
    assert got.patients_served == pytest.approx(ref["patients_served"], rel=1e-9)
    base = day_kpis(ModelIndex(model), tpl, 0)
    assert got.patients_served < base.patients_served  # more no-shows, fewer bookings
    longer = day_kpis(ModelIndex(model, WhatIf(duration_mean=1.2)), tpl, 0)
    assert longer.wait_mean > base.wait_mean


@pytest.mark.parametrize(
    ("field", "value"),
    [("no_show", -0.1), ("demand", 5.0), ("duration_mean", 0.0), ("punctuality", "x")],
)
def test_what_if_rejects_bad_factors(field, value) -> None:
    with pytest.raises(InputError) as err:
        WhatIf(**{field: value})
    assert field in str(err.value)


def _hour_with_duty(index, tpl, weekday=0) -> tuple[int, str]:
    slots = [s for s in tpl.slots if s.weekday == weekday]
    return slots[0].hour, slots[0].visit_type


def test_set_count_adds_and_removes_in_duty_hours(model) -> None:
    index = ModelIndex(model)
    tpl = model.current_template
    hour, vt = _hour_with_duty(index, tpl)
    n = edits.grid_counts(tpl, 0)[(hour, vt)][0]
    more = edits.set_count(index, tpl, 0, hour, vt, n + 2)
    assert edits.grid_counts(more, 0)[(hour, vt)][0] == n + 2
    assert len(more.slots) == len(tpl.slots) + 2
    windows = edits.duty_windows(index, more, 0)
    for s in set(more.slots) - set(tpl.slots):
        a, b = windows[s.doctor_session]
        assert a <= s.start_minute < b and s.hour == hour and s.visit_type == vt
    less = edits.set_count(index, more, 0, hour, vt, 0)
    assert (hour, vt) not in edits.grid_counts(less, 0)
    assert edits.change_list(tpl, more) == [f"Mon {hour:02d}:00: {vt} {n} -> {n + 2}"]


def test_set_count_rejections_name_field_and_value(model) -> None:
    index = ModelIndex(model)
    tpl = model.current_template
    hour, vt = _hour_with_duty(index, tpl)
    cases = {
        -1: "must be 0 or more",
        "three": "must be a whole number",
        edits.MAX_SLOTS_PER_CELL + 1: "at most",
    }
    for value, text in cases.items():
        with pytest.raises(edits.EditError) as err:
            edits.set_count(index, tpl, 0, hour, vt, value)
        assert text in err.value.message and str(value) in str(err.value)
        assert err.value.field.startswith("count (Mon")
    with pytest.raises(edits.EditError) as err:
        edits.set_count(index, tpl, 0, hour, "dentistry", 1)
    assert err.value.field == "visit_type" and err.value.value == "dentistry"
    with pytest.raises(edits.EditError) as err:
        edits.set_count(index, tpl, 0, 5, vt, 1)
    assert "outside duty hours" in err.value.message


def test_break_between_sessions_is_named(model) -> None:
    index = ModelIndex(model)
    tpl = model.current_template
    windows = edits.duty_windows(index, tpl, 0)
    covered = {h for a, b in windows.values() for h in range(a // 60, (b - 1) // 60 + 1)}
    first = min(a for a, _ in windows.values()) // 60
    last = max(b for _, b in windows.values()) // 60
    gaps = [h for h in range(first, last) if h not in covered]
    assert gaps, "the sample has a lunch break"
    with pytest.raises(edits.EditError) as err:
        edits.set_count(index, tpl, 0, gaps[0], model.visit_types[0], 1)
    assert "inside a break" in err.value.message
    sid = next(iter(windows))
    with pytest.raises(edits.EditError) as err:
        edits.add_slot(index, tpl, 0, sid, f"{gaps[0]:02d}:10", model.visit_types[0])
    assert err.value.field == "start_time" and err.value.value == f"{gaps[0]:02d}:10"
    assert "inside a break" in err.value.message


def test_timeline_edits(model) -> None:
    index = ModelIndex(model)
    tpl = model.current_template
    windows = edits.duty_windows(index, tpl, 0)
    sid, (a, _) = next(iter(windows.items()))
    t = f"{a // 60:02d}:{a % 60:02d}"
    added = edits.add_slot(index, tpl, 0, sid, t, "any")
    new = set(added.slots) - set(tpl.slots)
    assert len(new) == 1
    (slot,) = new
    assert slot.visit_type == "any" and slot.start_minute == a
    assert slot.overbooked  # the session already books that time
    moved = edits.move_slot(index, tpl, 0, sid, 0, f"{(a + 7) // 60:02d}:{(a + 7) % 60:02d}")
    assert any(s.start_minute == a + 7 and s.doctor_session == sid for s in moved.slots)
    retyped = edits.retype_slot(index, tpl, 0, sid, 0, model.visit_types[-1])
    first = min(
        (s for s in retyped.slots if s.weekday == 0 and s.doctor_session == sid),
        key=lambda s: (s.start_minute, s.visit_type != model.visit_types[-1]),
    )
    assert first.visit_type == model.visit_types[-1]
    removed = edits.remove_slot(index, tpl, 0, sid, 0)
    assert len(removed.slots) == len(tpl.slots) - 1
    for bad, field in (("99", "slot"), ("x", "slot")):
        with pytest.raises(edits.EditError) as err:
            edits.remove_slot(index, tpl, 0, sid, bad)
        assert err.value.field == field and err.value.value == bad
    with pytest.raises(edits.EditError) as err:
        edits.add_slot(index, tpl, 0, "nobody", "09:00", "any")
    assert err.value.field == "doctor_session"
    with pytest.raises(edits.EditError) as err:
        edits.add_slot(index, tpl, 0, sid, "25:99", "any")
    assert err.value.field == "start_time"


def test_unreserved_slots_are_evaluated_as_the_demand_mix(model) -> None:
    index = ModelIndex(model)
    tpl = model.current_template
    slots = [s for s in tpl.slots if s.weekday == 0]
    s0 = slots[0]
    anyslot = Slot(0, s0.start_minute, s0.duration_minutes, "any", s0.doctor_session)
    with_any = edits.replace_day(tpl, 0, (*slots[1:], anyslot))
    got = day_kpis(index, with_any, 0)
    assert got.slots == len(slots)
    day = index.day(with_any, 0)
    spec = day.visit_type("any")  # the demand-weighted mix of the visit types
    assert abs(sum(spec.service_pmf) - 1) < 1e-9
    anys = [s for s in day.slots if s.visit_type == "any"]
    assert len(anys) == 1 and 0 < anys[0].no_show < 1
    unreserved = importlib.import_module("polyslot.unreserved")
    ref = reference_day(unreserved.with_unreserved(model), with_any, 0)  # polyslot's "any" rows
    assert got.wait_mean == pytest.approx(ref["wait_mean"], rel=1e-9)


def test_day_kpis_carry_standard_errors_source_and_unmet_demand(model) -> None:
    """The one model's engine: every KPI with its standard error (the mean wait to the run's
    precision), source "model"; the requests beyond the slots are the unmet demand,
    sum over visit types of E[(D_v - n_v)^+] for normal demand (the closed form)."""
    from polyslot.distributions import expected_unmet
    from polyslot.studio.kpis import KPI_KEYS

    tpl = model.current_template
    day = [s for s in tpl.slots if s.weekday == 0]
    got = day_kpis(ModelIndex(model), tpl, 0)
    assert got.source == "model" and set(got.se) == set(KPI_KEYS)
    se = got.se["wait_mean"]
    assert se is not None and 0 < se <= max(0.01 * got.wait_mean, 0.05) + 1e-12
    counts: dict[str, int] = {}
    for s in day:
        counts[s.visit_type] = counts.get(s.visit_type, 0) + 1
    closed = sum(
        expected_unmet(r.mean, r.variance, counts.get(r.visit_type, 0))
        for r in model.demand
        if r.weekday == 0
    )
    assert got.unmet_demand == pytest.approx(closed, rel=1e-12)
    short = edits.replace_day(tpl, 0, tuple(day[: len(day) // 3]))
    doubled = day_kpis(ModelIndex(model, WhatIf(demand=2.0)), short, 0)
    assert doubled.unmet_demand > got.unmet_demand
    assert set(KPI_KEYS) <= set(got.as_dict())
