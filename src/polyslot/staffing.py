"""Staffing responses: one polyclinic's best template and its KPIs with more or fewer
doctor-sessions on the half-days (AM, PM) of a weekday (issue 23, the network answer).

A doctor-session is one doctor on one weekday's half-day: a :class:`DoctorSession` starting
before 12:00 is a morning (``AM``) session, any other an afternoon (``PM``) one. A
:class:`StaffingPoint` is the weekday re-optimised with ``am`` and ``pm`` doctor-sessions more
(negative: fewer) than today's roster, with the one clinic model's KPIs of its template (mean and
standard error); ``(0, 0)`` is the polyclinic's recommended plan. :class:`WeekdayStaffing` holds
the points of one weekday with the role the polyclinic plays there (``borrow`` on an overloaded
weekday, ``lend`` on a weekday a groupmate is overloaded), and :class:`StaffingResponse` all of
one polyclinic's. They are plain data (JSON round trip) computed by
:mod:`polyslot.network.respond` and read by the network plan (:mod:`polyslot.network.plan`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from polyslot.clinic_model import DoctorSession
from polyslot.errors import InputError
from polyslot.template import WEEKDAYS, Slot

__all__ = [
    "HALVES",
    "NOON",
    "RESPONSE_KPIS",
    "ROLES",
    "TEMPLATES",
    "half_of",
    "day_objective",
    "StaffingPoint",
    "WeekdayStaffing",
    "StaffingResponse",
]

#: The half-days of a weekday.
HALVES = ("AM", "PM")
#: A doctor-session starting before this minute (12:00) is a morning session.
NOON = 720
#: What a polyclinic does on a weekday of the network plan.
ROLES = ("borrow", "lend")
#: Where a point's template comes from: re-optimised for its staffing, or today's template kept
#: (a borrower's added doctors then work today's bookings).
TEMPLATES = ("optimised", "today")
#: The KPIs of a point (per day; minutes, patients; utilisation a fraction); ``capacity_minutes``
#: is the rostered doctor-minutes of the day (exact).
RESPONSE_KPIS = (
    "wait_mean",
    "wait_p90",
    "utilization",
    "overtime",
    "idle",
    "patients_served",
    "unmet_demand",
    "capacity_minutes",
)

Kpis = Mapping[str, tuple[float, float]]


def half_of(session: DoctorSession) -> str:
    """``"AM"`` when ``session`` starts before 12:00, else ``"PM"``."""
    return "AM" if session.start_minute < NOON else "PM"


def day_objective(kpis: Kpis, weights: Mapping[str, float]) -> float:
    """The per-polyclinic objective of one day in minutes of patient waiting:
    ``w_wait x total wait + w_idle x idle + w_overtime x overtime + w_unmet x unmet demand``
    (total wait = mean wait x patients served; ``weights`` keys ``wait``, ``idle``,
    ``overtime``, ``unmet``)."""
    wait = kpis["wait_mean"][0] * kpis["patients_served"][0]
    return (
        weights["wait"] * wait
        + weights["idle"] * kpis["idle"][0]
        + weights["overtime"] * kpis["overtime"][0]
        + weights["unmet"] * kpis["unmet_demand"][0]
    )


def _kpis(values: Kpis, where: str) -> dict[str, tuple[float, float]]:
    out = {}
    for k in RESPONSE_KPIS:
        if k not in values:
            raise InputError(f"missing KPI {k!r}", field=where, value=sorted(values))
        mean, se = values[k]
        out[k] = (float(mean), float(se))
    return out


def _slot_dict(s: Slot) -> dict[str, Any]:
    return {
        "start_minute": s.start_minute,
        "duration_minutes": s.duration_minutes,
        "visit_type": s.visit_type,
        "doctor_session": s.doctor_session,
        "overbooked": s.overbooked,
    }


@dataclass(frozen=True)
class StaffingPoint:
    """One weekday re-optimised with ``am`` / ``pm`` doctor-sessions more (negative: fewer).

    ``slots`` are the weekday's template, ``added`` the doctor-sessions put on duty (a borrowed
    doctor works the polyclinic's own hours of that half-day), ``removed`` the ids of the
    sessions taken off (lent), ``relaxed`` what the optimizer could not meet (its relaxation),
    ``template`` where the slots come from (:data:`TEMPLATES`).
    """

    am: int
    pm: int
    kpis: Kpis
    slots: tuple[Slot, ...] = ()
    added: tuple[DoctorSession, ...] = ()
    removed: tuple[str, ...] = ()
    relaxed: tuple[str, ...] = ()
    template: str = "optimised"

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise InputError(f"must be one of {TEMPLATES}", field="point.template",
                             value=self.template)
        object.__setattr__(self, "kpis", _kpis(self.kpis, "point.kpis"))
        for name in ("slots", "added", "removed", "relaxed"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if (self.am > 0 or self.pm > 0) and (self.am < 0 or self.pm < 0):
            raise InputError("a point borrows or lends, not both", field="point",
                             value=(self.am, self.pm))

    def value(self, kpi: str) -> float:
        """Mean of ``kpi``."""
        return self.kpis[kpi][0]

    def se(self, kpi: str) -> float:
        """Standard error of ``kpi``."""
        return self.kpis[kpi][1]

    @property
    def change(self) -> int:
        """Doctor-sessions more (negative: fewer) than today."""
        return self.am + self.pm

    @property
    def key(self) -> tuple[int, int, str]:
        """``(am, pm, template)``: unique within a weekday."""
        return self.am, self.pm, self.template

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "am": self.am,
            "pm": self.pm,
            "template": self.template,
            "kpis": {k: [_r(v[0]), _r(v[1])] for k, v in self.kpis.items()},
            "added": [
                {"session_id": s.session_id, "start_minute": s.start_minute,
                 "end_minute": s.end_minute}
                for s in self.added
            ],
            "removed": list(self.removed),
            "relaxed": list(self.relaxed),
            "slots": [_slot_dict(s) for s in self.slots],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], weekday: int) -> StaffingPoint:
        """Inverse of :meth:`to_dict` (``weekday``: the point's weekday)."""
        return cls(
            am=int(data["am"]),
            pm=int(data["pm"]),
            kpis={k: (_f(v[0]), _f(v[1])) for k, v in data["kpis"].items()},
            slots=tuple(Slot(weekday=weekday, **s) for s in data.get("slots", ())),
            added=tuple(DoctorSession(weekday, **s) for s in data.get("added", ())),
            removed=tuple(str(s) for s in data.get("removed", ())),
            relaxed=tuple(str(s) for s in data.get("relaxed", ())),
            template=str(data.get("template", "optimised")),
        )


def _r(v: float) -> float | None:
    return round(float(v), 6) if math.isfinite(float(v)) else None


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


@dataclass(frozen=True)
class WeekdayStaffing:
    """The points of one weekday (``points[0]`` is the recommended plan, ``(0, 0)``).

    ``sessions`` are today's doctor-sessions per half-day, ``today`` the KPIs of today's
    template, ``notes`` why a point was not computed (a lender's point beyond the tolerance, an
    infeasible staffing), ``driver`` whether the network plan asked for it on the driver (a
    lender asked where the first ones fell short, :mod:`polyslot.network.topup`).
    """

    weekday: int
    role: str
    sessions: Mapping[str, int]
    today: Kpis
    points: tuple[StaffingPoint, ...]
    notes: tuple[str, ...] = ()
    driver: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(f"must be one of {ROLES}", field="role", value=self.role)
        if not 0 <= int(self.weekday) <= 6:
            raise InputError("must be 0..6", field="weekday", value=self.weekday)
        object.__setattr__(self, "sessions", {h: int(self.sessions.get(h, 0)) for h in HALVES})
        object.__setattr__(self, "today", _kpis(self.today, "weekday.today"))
        points = tuple(self.points)
        if not points or points[0].key != (0, 0, "optimised"):
            raise InputError("points[0] must be the recommended plan (0, 0)", field="points",
                             value=[p.key for p in points[:1]])
        if len({p.key for p in points}) != len(points):
            raise InputError("one point per (am, pm, template)", field="points",
                             value=[p.key for p in points])
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def recommended(self) -> StaffingPoint:
        """The recommended plan (today's staffing)."""
        return self.points[0]

    def on_duty(self, point: StaffingPoint) -> int:
        """Doctor-sessions on duty at ``point``."""
        return sum(self.sessions.values()) + point.change

    def lender_excess(self, point: StaffingPoint) -> tuple[float, float]:
        """How much longer ``point``'s mean wait is than the recommended plan's (minutes), and
        how much more overtime per doctor-session on duty (minutes)."""
        base = self.recommended
        wait = point.value("wait_mean") - base.value("wait_mean")
        over = point.value("overtime") / max(self.on_duty(point), 1) - base.value(
            "overtime"
        ) / max(self.on_duty(base), 1)
        return wait, over

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "weekday": WEEKDAYS[self.weekday],
            "role": self.role,
            "sessions": dict(self.sessions),
            "today": {k: [_r(v[0]), _r(v[1])] for k, v in self.today.items()},
            "notes": list(self.notes),
            "driver": self.driver,
            "points": [p.to_dict() for p in self.points],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WeekdayStaffing:
        """Inverse of :meth:`to_dict`."""
        day = data["weekday"]
        if day not in WEEKDAYS:
            raise InputError("must be Mon..Sun", field="weekday", value=day)
        d = WEEKDAYS.index(day)
        return cls(
            weekday=d,
            role=str(data["role"]),
            sessions=dict(data["sessions"]),
            today={k: (_f(v[0]), _f(v[1])) for k, v in data["today"].items()},
            points=tuple(StaffingPoint.from_dict(p, d) for p in data["points"]),
            notes=tuple(data.get("notes", ())),
            driver=bool(data.get("driver", False)),
        )


@dataclass(frozen=True)
class StaffingResponse:
    """Every weekday a polyclinic borrows or lends on, with its points."""

    polyclinic_id: str
    weekdays: tuple[WeekdayStaffing, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        days = tuple(sorted(self.weekdays, key=lambda w: w.weekday))
        if len({w.weekday for w in days}) != len(days):
            raise InputError("one entry per weekday", field="weekdays",
                             value=[w.weekday for w in days])
        object.__setattr__(self, "weekdays", days)

    def weekday(self, weekday: int) -> WeekdayStaffing | None:
        """The entry of ``weekday`` (None when the polyclinic neither borrows nor lends)."""
        return next((w for w in self.weekdays if w.weekday == weekday), None)

    @property
    def points(self) -> int:
        """Points computed (the recommended plans not counted)."""
        return sum(len(w.points) - 1 for w in self.weekdays)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``network/responses/<polyclinic_id>.json``)."""
        return {
            "format_version": 1,
            "polyclinic_id": self.polyclinic_id,
            "weekdays": [w.to_dict() for w in self.weekdays],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StaffingResponse:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(data["polyclinic_id"]),
            tuple(WeekdayStaffing.from_dict(w) for w in data.get("weekdays", ())),
        )

    def canonical(self) -> StaffingResponse:
        """The response as its file holds it (KPIs rounded as written): a plan made from it
        is the plan ``polyslot network`` makes from the file."""
        return StaffingResponse.from_dict(self.to_dict())
