"""The stated trade of an overloaded clinic reads the same numbers as its verdict and table."""

from __future__ import annotations

from polyslot.analysis.trust import _traded
from polyslot.analysis.verdict import Interval, decide
from polyslot.optimize.frontier_points import FrontierPoint, WeekdayFrontier


def _point(label: str, floor: float, patients: float, overtime: float) -> FrontierPoint:
    return FrontierPoint(label, floor, 1.5, 10.0, patients, overtime, 0.9, ())


def _frontiers() -> dict[int, WeekdayFrontier]:
    # Two overloaded weekdays; the frontier's own (16-day) estimates: 20 + 21 fewer patients.
    pts = (_point("today", 1.0, 150.0, 60.0), _point("knee", 0.85, 130.0, 10.0))
    pts2 = (_point("today", 1.0, 140.0, 50.0), _point("knee", 0.85, 119.0, 20.0))
    return {0: WeekdayFrontier(0, pts, 1, True), 1: WeekdayFrontier(1, pts2, 1, True)}


def test_trade_uses_the_paired_week_when_given() -> None:
    patients = Interval(-43.4, -47.0, -39.8, 60)
    overtime = Interval(-150.0, -170.0, -130.0, 60)  # doctor-minutes a week over 2 weekdays
    paired = {"patients": patients, "overtime": overtime, "weekdays": {0: {}, 1: {}}}
    trade, text = _traded(_frontiers(), paired)
    assert trade
    assert text == "43 fewer patients a week, 75 fewer overtime minutes a day"
    verdict = decide(Interval(-900.0, -1000.0, -800.0, 60), patients, trade_allowed=True)
    assert "trades 43 fewer patients a week" in verdict.reason


def test_trade_falls_back_to_the_frontier_points() -> None:
    trade, text = _traded(_frontiers())
    assert trade
    assert text == "41 fewer patients a week, 40 fewer overtime minutes a day"


def test_no_trade_when_no_overloaded_point_lowers_the_floor() -> None:
    f = _frontiers()
    f = {d: WeekdayFrontier(d, w.points, 0, True) for d, w in f.items()}
    assert _traded(f) == (False, "")
