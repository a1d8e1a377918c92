"""Frontier points: the sweep, the policies' choice, the shared-contract document."""

from __future__ import annotations

import json

import pytest

from polyslot.examples import example_clinic_model
from polyslot.optimize.frontier import (
    FrontierPoint,
    WeekdayFrontier,
    choose_point,
    frontier_document,
    frontier_schedule,
    point_kpis,
)


def _p(label: str, wait: float, patients: float, overtime: float, floor: float = 1.0):
    return FrontierPoint(label, floor, 1.5, wait, patients, overtime, 0.9, ())


POINTS = [
    _p("today", 20.0, 100.0, 60.0),
    _p("serve everyone served today", 15.0, 100.0, 50.0),
    _p("97%", 12.0, 98.0, 30.0, 0.97),
    _p("92%", 10.0, 95.0, 12.0, 0.92),
    _p("85%", 9.5, 88.0, 5.0, 0.85),
    _p("finish on time", 9.4, 80.0, 0.0, 0.8),
]


def test_schedule_runs_from_throughput_to_on_time() -> None:
    s = frontier_schedule(5, 1.5)
    assert len(s) == 5
    assert s[0] == (1.0, 1.5) and s[-1] == (0.8, 30.0)
    assert all(a[0] > b[0] and a[1] < b[1] for a, b in zip(s, s[1:], strict=False))


def test_policies_pick_their_point() -> None:
    assert choose_point(POINTS, "throughput") == 1
    assert choose_point(POINTS, "on_time") == 5
    knee = choose_point(POINTS, "balanced")
    assert knee == 3  # 95 patients, 12 min overtime: nearest the ideal after scaling
    assert choose_point(POINTS[:1], "balanced") == 0


def test_point_kpis_of_the_current_template_and_document() -> None:
    m = example_clinic_model()
    slots = [s for s in m.current_template.slots if s.weekday == 0]
    p = point_kpis(m, slots, "today", 1.0, 1.5)
    assert p.patients_per_week > 0 and p.wait_mean >= 0 and 0 < p.utilization < 1.5
    # patients seen = booked slots that come: at most the Monday slots
    assert p.patients_per_week <= len(slots)
    doc = frontier_document("PC01", "balanced", {0: WeekdayFrontier(0, (p, p), 1, False)})
    assert doc["polyclinic_id"] == "PC01" and doc["weekdays"]["Mon"]["chosen"] == 1
    row = doc["weekdays"]["Mon"]["points"][0]
    assert set(row) >= {
        "label",
        "throughput_floor",
        "overtime_weight",
        "wait_mean",
        "patients_per_week",
        "overtime",
        "utilization",
        "slots",
    }
    assert set(row["slots"][0]) == {
        "start_time",
        "duration_minutes",
        "visit_type",
        "doctor_session",
        "overbooked",
    }
    assert len(row["slots"]) == len(slots)
    json.dumps(doc, allow_nan=False)
    assert p.to_dict()["wait_mean"] == pytest.approx(round(p.wait_mean, 6))
