"""The booking model and the queue discipline, learned from the history."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd
import pytest

from polyslot.day import build_day
from polyslot.estimate.aggregates import DUCKDB, aggregate_sql
from polyslot.estimate.booking import FULL_SIGMAS, booked_per_day, calibrate_booking
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.queue import MIN_WAITED, estimate_queue
from polyslot.examples import example_clinic_model


def _history(model, per_day: dict[str, list[int]], weekday: int = 0, weeks: int = 10):
    """``agg_daily`` / ``agg_open_days`` frames: bookings of each visit type on each open day."""
    start = dt.date(2025, 1, 6) + dt.timedelta(days=weekday)  # a Monday + weekday
    days = [start + dt.timedelta(weeks=k) for k in range(weeks)]
    rows = [
        {"polyclinic_id": model.polyclinic_id, "visit_type": vt, "d": d, "y": ys[k % len(ys)]}
        for vt, ys in per_day.items()
        for k, d in enumerate(days)
    ]
    open_days = pd.DataFrame({"polyclinic_id": model.polyclinic_id, "d": days})
    return pd.DataFrame(rows), open_days


def test_a_weekday_always_full_is_full_in_the_model() -> None:
    m = example_clinic_model(doctors=2)
    vt = m.visit_types[0]
    n = sum(1 for s in m.current_template.slots if s.weekday == 0 and s.visit_type == vt)
    m = dataclasses.replace(m, demand=tuple(
        dataclasses.replace(r, mean=0.7 * n, variance=4.0) if (r.weekday, r.visit_type) == (0, vt)
        else r for r in m.demand))  # fmt: skip
    daily, open_days = _history(m, {vt: [n, n, n, n + 2]})
    got = calibrate_booking(m, daily, open_days, {vt: 0.05})
    rate = next(r for r in got.demand if (r.weekday, r.visit_type) == (0, vt))
    assert rate.mean == pytest.approx(max(n + FULL_SIGMAS * 2.0, n + 1.0))
    (cal,) = [c for c in got.booking.calibration if c["visit_type"] == vt]
    assert cal["applies_to"] == "demand" and cal["full_share"] == 1.0
    assert got.booking.cancellation == {vt: 0.05}
    # the day books (nearly) every slot of that visit type, as the history did
    day = build_day(got, got.current_template, 0)
    booked = [s.booked for s in day.slots if s.visit_type == vt]
    assert min(booked) > 0.97


def test_a_moderate_miss_moves_the_booking_demand_only() -> None:
    m = example_clinic_model(doctors=2)
    vt = m.visit_types[1]
    n = sum(1 for s in m.current_template.slots if s.weekday == 0 and s.visit_type == vt)
    rate = next(r for r in m.demand if (r.weekday, r.visit_type) == (0, vt))
    target = round(0.6 * n)
    daily, open_days = _history(m, {vt: [target]})
    got = calibrate_booking(m, daily, open_days, {})
    assert got.demand == m.demand  # the forecast is kept
    (moved,) = [r for r in got.booking.demand if (r.weekday, r.visit_type) == (0, vt)]
    assert moved.variance == rate.variance
    assert booked_per_day(moved.mean, moved.variance, n) == pytest.approx(target, abs=1e-6)
    (cal,) = got.booking.calibration
    assert cal["applies_to"] == "booking" and cal["observed"] == target
    assert (r for r in got.booking_demand() if r is moved)


def test_a_history_the_model_already_reproduces_changes_nothing() -> None:
    m = example_clinic_model(doctors=2)
    vt = m.visit_types[0]
    n = sum(1 for s in m.current_template.slots if s.weekday == 0 and s.visit_type == vt)
    rate = next(r for r in m.demand if (r.weekday, r.visit_type) == (0, vt))
    now = booked_per_day(rate.mean, rate.variance, n)
    daily, open_days = _history(m, {vt: [round(now)]})
    got = calibrate_booking(m, daily, open_days, {})
    assert got.booking.calibration == () and got.demand == m.demand


def test_queue_discipline_from_the_overtaking_share() -> None:
    m = example_clinic_model(doctors=3)
    pooled = estimate_queue(m, 1000, 12)
    assert pooled.queue.discipline == "pooled" and pooled.queue.overtaken_share == 0.012
    assert "1.2%" in pooled.queue.evidence
    per = estimate_queue(m, 1000, 300)
    assert per.queue.discipline == "per_doctor" and per.queue.source == "arrival_order"
    few = estimate_queue(m, MIN_WAITED - 1, 0)
    assert few.queue.discipline == "pooled" and few.queue.source == "no_history"
    one = estimate_queue(example_clinic_model(doctors=1), 0, 0)
    assert one.queue.discipline == "per_doctor" and one.queue.source == "one_doctor"


def _visit(i, arr, start, doctor):
    day = "2025-03-03 "
    return {
        "attendance_id": f"a{i}", "polyclinic_id": "P", "status": "attended",
        "arrival_ts": pd.Timestamp(day + arr), "consult_start_ts": pd.Timestamp(day + start),
        "doctor_id": doctor,
    }  # fmt: skip


def test_the_overtaking_aggregate_counts_who_went_first() -> None:
    """By hand: four visits; C arrives after B but starts before B (overtaking); A is never
    overtaken; D waits and nobody later starts earlier."""
    rows = [
        _visit(1, "08:00", "08:00", "x"),  # A: no wait
        _visit(2, "08:01", "08:20", "x"),  # B: waits 19 min, overtaken by C
        _visit(3, "08:05", "08:06", "y"),  # C: arrives later, starts first
        _visit(4, "08:10", "08:25", "y"),  # D: waits, nobody after it
    ]
    con = duckdb.connect()
    con.register("attendances", pd.DataFrame(rows))
    sql = aggregate_sql(DUCKDB, "agg_overtaking", EstimateConfig())
    (pid, waited, overtaken), = con.execute(sql).fetchall()
    assert (pid, waited, overtaken) == ("P", 2, 1)
