"""Frontier points and their order: one template's KPIs, a weekday's points, which points are
efficient (distinct, not dominated) and which one a policy recommends.

See :mod:`polyslot.optimize.frontier` for the sweep that produces them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from polyslot.template import Slot

__all__ = ["FrontierPoint", "WeekdayFrontier", "choose_point", "dominated", "efficient"]


@dataclass(frozen=True)
class FrontierPoint:
    """One template of the frontier with its exact KPIs (minutes; patients per week)."""

    label: str
    throughput_floor: float
    overtime_weight: float
    wait_mean: float
    patients_per_week: float
    overtime: float
    utilization: float
    slots: tuple[Slot, ...]

    def to_dict(self, with_slots: bool = True) -> dict[str, Any]:
        """JSON-ready (the frontier-file point of the shared contract)."""
        out: dict[str, Any] = {
            "label": self.label,
            "throughput_floor": round(self.throughput_floor, 6),
            "overtime_weight": round(self.overtime_weight, 6),
            "wait_mean": _r(self.wait_mean),
            "patients_per_week": _r(self.patients_per_week),
            "overtime": _r(self.overtime),
            "utilization": _r(self.utilization),
        }
        if with_slots:
            out["slots"] = [
                {
                    "start_time": s.start_time,
                    "duration_minutes": int(s.duration_minutes),
                    "visit_type": s.visit_type,
                    "doctor_session": s.doctor_session,
                    "overbooked": bool(s.overbooked),
                }
                for s in sorted(self.slots, key=lambda s: (s.doctor_session, s.start_minute))
            ]
        return out


def _r(v: float) -> float | None:
    return round(float(v), 6) if math.isfinite(float(v)) else None


@dataclass(frozen=True)
class WeekdayFrontier:
    """The points of one weekday (``points[0]`` is today's template) and the chosen index."""

    weekday: int
    points: tuple[FrontierPoint, ...]
    chosen: int
    overloaded: bool
    #: Why an overloaded weekday has fewer than ``frontier_points`` templates (else empty).
    note: str = ""
    #: Points whose solve stopped at the wall-clock time limit (their slots may depend on load).
    wall_clock_limited: int = 0

    @property
    def chosen_point(self) -> FrontierPoint:
        """The recommended point."""
        return self.points[self.chosen]

    def to_dict(self, with_slots: bool = True) -> dict[str, Any]:
        """``{"chosen": index, "overloaded": bool, "points": [...]}`` (+ ``"note"`` when an
        overloaded weekday has fewer templates than asked for, saying why)."""
        out: dict[str, Any] = {
            "chosen": self.chosen,
            "overloaded": self.overloaded,
            "points": [p.to_dict(with_slots) for p in self.points],
        }
        if self.note:
            out["note"] = self.note
        if self.wall_clock_limited:
            out["wall_clock_limited_points"] = self.wall_clock_limited
        return out


def choose_point(points: Sequence[FrontierPoint], policy: str) -> int:
    """Index of the recommended point (``points[0]``, today's template, is never chosen
    unless it is the only point)."""
    cand = list(range(1, len(points))) or [0]
    if policy == "throughput":
        return max(cand, key=lambda i: (round(points[i].patients_per_week, 3), -points[i].overtime))
    if policy == "on_time":
        return min(cand, key=lambda i: (round(points[i].overtime, 3), -points[i].patients_per_week))

    def span(vals: list[float]) -> tuple[float, float]:
        lo, hi = min(vals), max(vals)
        return lo, (hi - lo) or 1.0

    w_lo, w_s = span([p.wait_mean for p in points])
    o_lo, o_s = span([p.overtime for p in points])
    n_lo, n_s = span([p.patients_per_week for p in points])
    n_hi = n_lo + n_s

    def dist(i: int) -> float:
        p = points[i]
        return math.hypot(
            (p.wait_mean - w_lo) / w_s,
            (p.overtime - o_lo) / o_s,
            (n_hi - p.patients_per_week) / n_s,
        )

    return min(cand, key=lambda i: (round(dist(i), 9), i))


def _key(slots: Sequence[Slot]) -> tuple:
    return tuple(sorted((s.doctor_session, s.start_minute, s.visit_type) for s in slots))


def dominated(p: FrontierPoint, q: FrontierPoint) -> bool:
    """Whether ``q`` dominates ``p``: no more wait, no more overtime, no fewer patients, and
    better in one of them."""
    no_worse = (
        q.wait_mean <= p.wait_mean
        and q.overtime <= p.overtime
        and q.patients_per_week >= p.patients_per_week
    )
    better = (
        q.wait_mean < p.wait_mean
        or q.overtime < p.overtime
        or q.patients_per_week > p.patients_per_week
    )
    return no_worse and better


def efficient(points: Sequence[FrontierPoint]) -> list[FrontierPoint]:
    """The distinct (by slots), non-dominated points, highest throughput floor first.

    The first point (highest floor) is kept even when another dominates it: it is the template
    the MIP holds at today's (or the largest feasible) throughput, the anchor of the ``throughput``
    policy; its measured KPIs may still lose to a lower floor's (the MIP's throughput is
    expected requests served, the KPIs are simulated or exact).
    """
    seen: set[tuple] = set()
    distinct = []
    for p in sorted(points, key=lambda p: -p.throughput_floor):
        k = _key(p.slots)
        if k not in seen:
            seen.add(k)
            distinct.append(p)
    return [
        p
        for i, p in enumerate(distinct)
        if i == 0 or not any(dominated(p, q) for q in distinct if q is not p)
    ]
