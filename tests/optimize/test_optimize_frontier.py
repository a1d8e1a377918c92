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
    assert s[0] == (1.0, 1.5) and s[-1] == (0.6, 30.0)
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


def test_overloaded_weekday_frontier_trades_patients_for_overtime() -> None:
    import dataclasses

    from polyslot.analysis.verdict import Interval, decide
    from polyslot.optimize import OptimizeConfig
    from polyslot.optimize.frontier import plan_weekdays, weekday_frontier

    m = example_clinic_model()
    # Monday demand 60% above today's: the clinic is overloaded on Mondays
    m = dataclasses.replace(
        m,
        demand=tuple(
            dataclasses.replace(
                r, mean=r.mean * 1.6, variance=r.variance * 1.6, lower=r.lower, upper=r.upper * 1.6
            )
            if r.weekday == 0
            else r
            for r in m.demand
        ),
        sessions=tuple(s for s in m.sessions if s.weekday == 0),
    )
    cfg = OptimizeConfig(sequencing_max_iter=5)
    res, left = plan_weekdays(m, cfg, {0})
    assert left == {}
    f = weekday_frontier(m, 0, cfg, res.template.slots, overloaded=True)
    assert f.overloaded and len(f.points) == 6  # today + five templates
    assert [p.throughput_floor for p in f.points[1:]] == [1.0, 0.9, 0.8, 0.7, 0.6]
    assert f.points[1].label == "serve everyone served today"
    assert f.points[-1].label == "finish on time"
    on_time = f.points[choose_point(f.points, "on_time")]
    most = f.points[choose_point(f.points, "throughput")]
    # finishing on time costs patients; the throughput point serves the most
    assert on_time.overtime < most.overtime and on_time.patients_per_week < most.patients_per_week
    assert on_time.overtime == min(p.overtime for p in f.points[1:])
    # the lowest floor books far less than today (its MIP: <= 60% of today's booked minutes at
    # the visit types' mean consultation times, + one slot)
    minutes = {s.visit_type: s.duration_minutes for s in m.current_template.slots}
    today = sum(minutes[s.visit_type] for s in f.points[0].slots)
    low = sum(minutes[s.visit_type] for s in f.points[-1].slots)
    assert low <= 0.75 * today
    assert len(f.points[-1].slots) < len(f.points[1].slots)
    # under policy "throughput" a point serving fewer patients is recommended only as the
    # chosen frontier trade, and the trade is stated
    fewer = Interval(on_time.patients_per_week - most.patients_per_week, -20.0, -5.0, 16)
    better = Interval(-100.0, -150.0, -50.0, 16)
    assert decide(better, fewer, policy="throughput").verdict == "keep_current"
    traded = decide(better, fewer, policy="throughput", trade_allowed=True)
    assert traded.verdict == "recommend" and "fewer patients" in traded.reason
    assert decide(better, fewer, policy="on_time", trade_allowed=True).verdict == "recommend"


def test_frontier_when_todays_throughput_cannot_be_planned() -> None:
    """The overloaded kind of the sample: today's template books every slot twice, more than
    staff can serve, so no template holds today's throughput. The sweep starts at the largest
    feasible floor and still gives five distinct, efficient templates, ordered."""
    import dataclasses

    from polyslot.optimize import OptimizeConfig
    from polyslot.optimize.frontier import dominated, plan_weekdays, top_floor, weekday_frontier
    from polyslot.template import SlotTemplate

    m = example_clinic_model()
    mon = [s for s in m.current_template.slots if s.weekday == 0]
    twice = tuple(dataclasses.replace(s, overbooked=True) for s in mon)
    m = dataclasses.replace(
        m,
        demand=tuple(
            dataclasses.replace(r, mean=r.mean * 2, variance=r.variance * 2, upper=r.upper * 2)
            for r in m.demand
            if r.weekday == 0
        ),
        sessions=tuple(s for s in m.sessions if s.weekday == 0),
        current_template=SlotTemplate(m.polyclinic_id, (*mon, *twice)),
    )
    cfg = OptimizeConfig(sequencing_max_iter=5)
    _, left = plan_weekdays(m, cfg, {0})
    assert set(left) == {0}  # today's throughput cannot be planned
    top = top_floor(m, 0, cfg)
    assert top is not None and 0.6 < top < 1.0
    f = weekday_frontier(m, 0, cfg, None, overloaded=True)
    sweep = f.points[1:]
    assert f.points[0].label == "today" and len(sweep) >= 5 and f.note == ""
    assert sweep[0].throughput_floor == top and sweep[0].label.startswith("most patients")
    assert sweep[-1].label == "finish on time"
    # distinct templates, none dominated by another, floors falling
    assert len(
        {tuple(sorted((s.doctor_session, s.start_minute) for s in p.slots)) for p in sweep}
    ) == len(sweep)
    assert not any(dominated(p, q) for p in sweep for q in sweep if q is not p)
    floors = [p.throughput_floor for p in sweep]
    assert floors == sorted(floors, reverse=True) and len(set(floors)) == len(floors)
    # from the most patients to the least overtime
    assert sweep[0].patients_per_week > sweep[-1].patients_per_week
    assert sweep[0].overtime > sweep[-1].overtime
    assert sweep[0].patients_per_week < f.points[0].patients_per_week  # below today's
    assert 1 <= f.chosen < len(f.points)


def test_efficient_drops_duplicates_and_dominated_points() -> None:
    from polyslot.optimize.frontier import efficient
    from polyslot.template import Slot

    a = (Slot(0, 480, 15, "acute", "D1"),)
    b = (Slot(0, 495, 15, "acute", "D1"),)
    c = (Slot(0, 510, 15, "acute", "D1"),)
    pts = [
        FrontierPoint("x", 0.9, 1.5, 10.0, 100.0, 50.0, 1.0, a),
        FrontierPoint("y", 0.8, 2.0, 9.0, 95.0, 40.0, 1.0, a),  # same slots as x
        FrontierPoint("z", 0.7, 3.0, 12.0, 90.0, 60.0, 1.0, b),  # worse than x on all three
        FrontierPoint("w", 0.6, 4.0, 8.0, 80.0, 10.0, 1.0, c),
    ]
    assert [p.label for p in efficient(pts)] == ["x", "w"]
    # the first (highest floor) point is the anchor: kept even when dominated
    better = FrontierPoint("v", 0.85, 1.5, 9.0, 101.0, 40.0, 1.0, c)
    assert [p.label for p in efficient([pts[0], better])] == ["x", "v"]
