"""The hiring answer: the fewest *added* doctor-sessions that let an overloaded polyclinic serve
today's patients on a weekday with overtime no higher than today's and a mean wait at most the
target, read off its staffing response (points ``am, pm >= 0``; the recommended plan ``(0, 0)``
counts as none added).

"Serves today's patients": its patients served are not below today's beyond the 95% interval of
the difference (``patients >= today - 1.96 sqrt(se^2 + se_today^2)``; the one model's estimates
are paired by common random numbers, so this is the noise of the estimates, not a trade).
Ties between equally few sessions go to the smaller day objective.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polyslot.staffing import StaffingPoint, WeekdayStaffing, day_objective
from polyslot.template import WEEKDAYS

__all__ = ["HireAnswer", "hire", "misses", "serves_today", "patient_shortfall", "Z95"]

Z95 = 1.959963984540054


def patient_shortfall(patients: tuple[float, float], today: tuple[float, float]) -> float:
    """Patients ``patients`` (mean, se) serves fewer than ``today`` (mean, se) beyond the 95%
    interval of the difference (0 when none)."""
    return max(0.0, today[0] - Z95 * math.hypot(patients[1], today[1]) - patients[0])


def serves_today(patients: tuple[float, float], today: tuple[float, float]) -> bool:
    """Whether ``patients`` (mean, se) is at least ``today`` (mean, se) within the 95% interval
    of the difference."""
    return patient_shortfall(patients, today) <= 0.0


@dataclass(frozen=True)
class HireAnswer:
    """The added doctor-sessions of one polyclinic and weekday (``reachable`` False: no point
    up to ``max_borrow`` per half-day meets the target; ``am``/``pm`` then the best point's)."""

    polyclinic_id: str
    weekday: int
    am: int
    pm: int
    reachable: bool
    kpis: Mapping[str, tuple[float, float]]
    reason: str = ""
    template: str = "optimised"

    @property
    def added(self) -> int:
        """Doctor-sessions added."""
        return self.am + self.pm

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "polyclinic_id": self.polyclinic_id,
            "weekday": WEEKDAYS[self.weekday],
            "AM": self.am,
            "PM": self.pm,
            "added": self.added,
            "reachable": self.reachable,
            "template": self.template,
            "reason": self.reason,
            "wait_mean": round(self.kpis["wait_mean"][0], 4),
            "overtime": round(self.kpis["overtime"][0], 4),
            "patients_served": round(self.kpis["patients_served"][0], 4),
        }


def misses(p: StaffingPoint, w: WeekdayStaffing, target: float) -> list[str]:
    """What ``p`` misses of the hiring criteria (empty: meets them)."""
    miss = []
    if not serves_today(p.kpis["patients_served"], w.today["patients_served"]):
        today = w.today["patients_served"][0]
        miss.append(f"serves {p.value('patients_served'):.1f} patients, today {today:.1f}")
    if p.value("overtime") > w.today["overtime"][0]:
        miss.append(f"overtime {p.value('overtime'):.0f} min, today {w.today['overtime'][0]:.0f}")
    if p.value("wait_mean") > target:
        miss.append(f"mean wait {p.value('wait_mean'):.1f} min > {target:.1f}")
    return miss


def hire(
    pid: str,
    w: WeekdayStaffing,
    target: float,
    weights: Mapping[str, float],
    base: tuple[int, int] = (0, 0),
) -> HireAnswer:
    """The hiring answer of ``pid`` on ``w``'s weekday (see the module docstring): the fewest
    doctor-sessions added to ``base`` (``(am, pm)`` already there, e.g. the network plan's
    moves); ``am``/``pm`` of the answer are the added ones."""
    cands = [p for p in w.points if p.am >= max(0, base[0]) and p.pm >= max(0, base[1])]
    ok = [p for p in cands if not misses(p, w, target)]
    if ok:
        best = min(ok, key=lambda p: (p.change, day_objective(p.kpis, weights), p.am,
                                      p.template))
        return HireAnswer(pid, w.weekday, best.am - base[0], best.pm - base[1], True, best.kpis,
                          "", best.template)  # fmt: skip
    # not reachable: say what the most-staffed point still misses
    top = max(cands, key=lambda p: (p.change, -len(misses(p, w, target)),
                                    -day_objective(p.kpis, weights), -p.am, p.template))
    why = "; ".join(misses(top, w, target))
    return HireAnswer(
        pid,
        w.weekday,
        top.am - base[0],
        top.pm - base[1],
        False,
        top.kpis,
        f"more than {top.change - base[0] - base[1]} added doctor-sessions needed (with "
        f"{top.am - base[0]} AM + {top.pm - base[1]} PM: {why}); raise [network] max_borrow to "
        "look further",
        top.template,
    )
