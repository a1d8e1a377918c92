"""ClinicDay: the one specification of a clinic day that every stage evaluates.

A clinic day is what happens on one weekday of a polyclinic under one template: the doctor
sessions on duty (each a server from ``start`` to ``end``, minutes after midnight), the queue
discipline that decides which doctor sees whom, every slot of the template with its time, visit
type and doctor session, how likely the slot is to be booked and the booking kept (the booking
model and late cancellations), the no-show probability of its patient, the visit types'
consultation times and punctuality, the walk-in streams, and the late-arrival policy.

It is built in exactly one place (:func:`polyslot.day.build.build_day`) and is the only input of
the fast evaluator (:func:`polyslot.evaluation.clinic_day.evaluate_clinic_day`) and of the SimPy
reference simulator (:func:`polyslot.simulate.dayplan.sample_day`); the optimizer's calibration,
sequencing, the frontier, sensitivity, verdicts, the booking envelope, the report and the studio
all go through it. It round-trips to JSON (:meth:`ClinicDay.to_dict` / :meth:`from_dict`), so
any of them can be reproduced from a file.

The semantics of a day, shared by both engines
----------------------------------------------
* Slot ``j`` is booked with probability ``booked``; a booking is kept (not cancelled late) with
  probability ``kept``; a kept booking's patient comes with probability ``1 - no_show`` and
  arrives at ``minute + offset`` (offset drawn from the visit type's punctuality, in slots of
  ``slot_minutes``); consultation minutes are drawn from the visit type's PMF (in slots).
* Walk-ins of hour ``h`` arrive as a Poisson stream of ``rate`` per hour, uniform within it.
* A booked patient arriving more than ``late_threshold`` minutes after the appointment is seen
  as a walk-in (``None``: never).
* ``pooled``: one queue, first come first served by arrival, any doctor on duty takes the next
  patient. ``per_doctor``: a booked patient queues for the doctor session of the slot and each
  doctor sees the patients present in order of appointment; walk-ins (and late patients) join
  the doctor on duty with the fewest patients waiting or in consultation. ``dedicated``: like
  ``per_doctor`` but first come first served within each doctor's queue.
* A doctor starts at the session start; at the session end they stop taking patients, except
  that they wait for their own booked patients still on the way and, in the pooled queue, run on
  while patients wait and no other doctor is on duty (per doctor: until their queue is empty).
  A consultation in progress is always finished; patients nobody can see are ``unseen``.
* **Absences.** Each doctor (the sessions sharing a :attr:`DutySession.doctor`) is absent for
  the whole day with probability ``absence``, independently; a session whose time nobody else
  covers is kept (the clinic opens with at least one doctor). A booked patient of an absent
  doctor's slot does not come with probability ``absence_lost`` (the slot was blocked in
  advance and the request went elsewhere or was lost); otherwise they keep their appointment
  with a doctor on duty: of the present sessions whose time covers the appointment (else of all
  present sessions), the one of index ``j mod count`` for the slot of rank ``j``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from polyslot.errors import InputError

__all__ = [
    "Discipline",
    "DISCIPLINE_SPELLINGS",
    "parse_discipline",
    "DutySession",
    "VisitTypeSpec",
    "DaySlot",
    "WalkInStream",
    "ClinicDay",
]


class Discipline(StrEnum):
    """Which doctor sees whom (see the module docstring)."""

    POOLED = "pooled"
    PER_DOCTOR = "per_doctor"
    DEDICATED = "dedicated"

    @property
    def pooled(self) -> bool:
        """True when all doctors share one queue."""
        return self is Discipline.POOLED


#: Other accepted spellings (the simulator's former names and the settings' names).
DISCIPLINE_SPELLINGS = {
    "fcfs": "pooled",
    "pooled_fcfs": "pooled",
    "appointment": "per_doctor",
    "appointment_order": "per_doctor",
}


def parse_discipline(value: str | Discipline) -> Discipline:
    """A :class:`Discipline` from its name or one of :data:`DISCIPLINE_SPELLINGS`."""
    if isinstance(value, Discipline):
        return value
    name = str(value).strip().lower()
    try:
        return Discipline(DISCIPLINE_SPELLINGS.get(name, name))
    except ValueError:
        raise InputError(
            "unknown queue discipline; expected 'pooled', 'per_doctor' or 'dedicated' "
            "(also 'pooled_fcfs', 'fcfs', 'appointment_order', 'appointment')",
            field="discipline",
            value=value,
        ) from None


def _check_pmf(pmf: Sequence[float], name: str) -> tuple[float, ...]:
    out = tuple(float(p) for p in pmf)
    if not out or any((not math.isfinite(p)) or p < 0 for p in out):
        raise InputError("must be a non-empty list of probabilities >= 0", field=name, value=pmf)
    if abs(math.fsum(out) - 1.0) > 1e-6:
        raise InputError(f"must sum to 1 (got {math.fsum(out):.8f})", field=name, value=pmf)
    return out


def _prob(value: float, name: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise InputError("must be a probability in [0, 1]", field=name, value=value)
    return v


@dataclass(frozen=True)
class DutySession:
    """One doctor's session on duty: a server from ``start`` to ``end`` (minutes).

    ``doctor`` names the doctor: sessions of one doctor are absent together (whole-day
    absences); empty means the session is its own doctor.
    """

    name: str
    start: float
    end: float
    doctor: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", float(self.start))
        object.__setattr__(self, "end", float(self.end))
        object.__setattr__(self, "doctor", str(self.doctor or self.name))
        if not (math.isfinite(self.start) and math.isfinite(self.end) and self.end > self.start):
            raise InputError(
                "end must be after start", field=f"sessions[{self.name}]", value=(self.start,)
            )


@dataclass(frozen=True)
class VisitTypeSpec:
    """Consultation time (PMF in slots) and punctuality (offsets in slots) of a visit type."""

    name: str
    service_pmf: tuple[float, ...]
    mean_minutes: float
    cv: float
    punctuality_offsets: tuple[int, ...] = (0,)
    punctuality_pmf: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "service_pmf", _check_pmf(self.service_pmf, f"{self.name}.service_pmf")
        )
        object.__setattr__(
            self, "punctuality_offsets", tuple(int(o) for o in self.punctuality_offsets)
        )
        object.__setattr__(
            self,
            "punctuality_pmf",
            _check_pmf(self.punctuality_pmf, f"{self.name}.punctuality_pmf"),
        )
        if len(self.punctuality_offsets) != len(self.punctuality_pmf):
            raise InputError(
                "offsets and pmf must have the same length",
                field=f"{self.name}.punctuality",
                value=len(self.punctuality_offsets),
            )

    @property
    def punctual(self) -> bool:
        """Every patient of this visit type arrives on time."""
        return all(o == 0 or p == 0 for o, p in zip(self.punctuality_offsets,
                                                     self.punctuality_pmf, strict=True))


@dataclass(frozen=True)
class DaySlot:
    """One slot of the template on this day.

    ``booked``: probability the slot is booked (the booking model); ``kept``: probability the
    booking is not cancelled late (an early cancellation is rebooked and counts as booked);
    ``no_show``: probability a kept booking's patient does not come.
    """

    minute: int
    visit_type: str
    session: int
    booked: float = 1.0
    kept: float = 1.0
    no_show: float = 0.0
    overbooked: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "minute", int(self.minute))
        object.__setattr__(self, "session", int(self.session))
        for name in ("booked", "kept", "no_show"):
            object.__setattr__(self, name, _prob(getattr(self, name), f"slot.{name}"))

    @property
    def comes(self) -> float:
        """Probability a patient comes to this slot."""
        return self.booked * self.kept * (1.0 - self.no_show)


@dataclass(frozen=True)
class WalkInStream:
    """Walk-ins of one hour: a Poisson stream of ``rate`` patients of ``visit_type``."""

    hour: int
    rate: float
    visit_type: str

    def __post_init__(self) -> None:
        if not (math.isfinite(float(self.rate)) and float(self.rate) >= 0):
            raise InputError("must be a rate >= 0", field="walk_ins.rate", value=self.rate)
        if not 0 <= int(self.hour) <= 23:
            raise InputError("must be an hour 0..23", field="walk_ins.hour", value=self.hour)


@dataclass(frozen=True)
class ClinicDay:
    """One clinic day (see the module docstring for its semantics).

    Parameters
    ----------
    polyclinic_id : str
    weekday : int
    slot_minutes : int
        Grid of the consultation PMFs and punctuality offsets.
    discipline : Discipline
    sessions : tuple of DutySession
        Doctor sessions on duty, ordered by (start, name).
    slots : tuple of DaySlot
        Ordered by (minute, session); ``session`` indexes ``sessions``.
    visit_types : tuple of VisitTypeSpec
        Every visit type used by a slot or a walk-in stream.
    walk_ins : tuple of WalkInStream
    late_threshold : float or None
        Minutes late beyond which a booked patient is seen as a walk-in.
    requests : mapping visit type -> (mean, variance)
        Expected requests a day (for the unmet demand of the day; empty when unknown).
    label : str
        Free label (e.g. ``"current"``).
    absence : float
        Probability a doctor is absent for the whole day (see the module docstring).
    absence_lost : float
        Probability a booked patient of an absent doctor does not come.
    """

    polyclinic_id: str
    weekday: int
    slot_minutes: int
    discipline: Discipline
    sessions: tuple[DutySession, ...]
    slots: tuple[DaySlot, ...]
    visit_types: tuple[VisitTypeSpec, ...]
    walk_ins: tuple[WalkInStream, ...] = ()
    late_threshold: float | None = 15.0
    requests: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    label: str = ""
    absence: float = 0.0
    absence_lost: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "discipline", parse_discipline(self.discipline))
        object.__setattr__(self, "absence", _prob(self.absence, "absence"))
        object.__setattr__(self, "absence_lost", _prob(self.absence_lost, "absence_lost"))
        object.__setattr__(self, "sessions", tuple(self.sessions))
        object.__setattr__(
            self, "slots", tuple(sorted(self.slots, key=lambda s: (s.minute, s.session)))
        )
        object.__setattr__(self, "visit_types", tuple(self.visit_types))
        object.__setattr__(self, "walk_ins", tuple(self.walk_ins))
        object.__setattr__(
            self,
            "requests",
            {str(k): (float(v[0]), float(v[1])) for k, v in sorted(self.requests.items())},
        )
        if self.slot_minutes <= 0:
            raise InputError("must be > 0", field="slot_minutes", value=self.slot_minutes)
        if not 0 <= int(self.weekday) <= 6:
            raise InputError("must be 0..6", field="weekday", value=self.weekday)
        if (self.slots or self.walk_ins) and not self.sessions:
            raise InputError(
                "a day with patients needs at least one doctor session",
                field="sessions",
                value=self.polyclinic_id,
            )
        known = {v.name for v in self.visit_types}
        for s in self.slots:
            if not 0 <= s.session < len(self.sessions):
                raise InputError("must index the sessions", field="slot.session", value=s.session)
            if s.visit_type not in known:
                raise InputError("visit type has no spec", field="slot.visit_type",
                                 value=s.visit_type)
        for w in self.walk_ins:
            if w.visit_type not in known:
                raise InputError("visit type has no spec", field="walk_ins.visit_type",
                                 value=w.visit_type)
        lt = self.late_threshold
        if lt is not None and not (math.isfinite(float(lt)) and float(lt) >= 0):
            raise InputError("must be a number >= 0 or null", field="late_threshold", value=lt)

    # -- views -------------------------------------------------------------------------------
    def visit_type(self, name: str) -> VisitTypeSpec:
        """The spec of visit type ``name``."""
        for v in self.visit_types:
            if v.name == name:
                return v
        raise InputError("unknown visit type", field="visit_type", value=name)

    @property
    def doctors_at_once(self) -> int:
        """Most doctor sessions on duty at the same time."""
        edges = sorted([(s.start, 1) for s in self.sessions] + [(s.end, -1) for s in self.sessions])
        best = cur = 0
        for _, step in edges:
            cur += step
            best = max(best, cur)
        return best

    @property
    def doctors(self) -> tuple[str, ...]:
        """The doctors of the day (sessions grouped by :attr:`DutySession.doctor`), in order of
        their first session."""
        return tuple(dict.fromkeys(s.doctor for s in self.sessions))

    @property
    def exact_tractable(self) -> bool:
        """True when each doctor's queue is independent and served in appointment order, so the
        exact single-doctor recursion gives the day exactly: no walk-ins, no absences that move
        patients between doctors, and either one doctor at a time or per-doctor queues, with
        punctual patients (a late patient could otherwise become a walk-in or be overtaken)."""
        if any(w.rate > 0 for w in self.walk_ins):
            return False
        if self.absence > 0 and len(self.doctors) > 1:
            return False
        if not all(self.visit_type(s.visit_type).punctual for s in self.slots):
            return False
        return self.doctors_at_once <= 1 or self.discipline is not Discipline.POOLED

    def slots_of(self, session: int) -> tuple[DaySlot, ...]:
        """The slots of session index ``session`` in appointment order."""
        return tuple(s for s in self.slots if s.session == session)

    # -- (de)serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` inverts it."""
        return {
            "polyclinic_id": self.polyclinic_id,
            "weekday": int(self.weekday),
            "slot_minutes": int(self.slot_minutes),
            "discipline": self.discipline.value,
            "late_threshold": self.late_threshold,
            "label": self.label,
            "absence": self.absence,
            "absence_lost": self.absence_lost,
            "sessions": [[s.name, s.start, s.end, s.doctor] for s in self.sessions],
            "visit_types": [
                {
                    "name": v.name,
                    "service_pmf": list(v.service_pmf),
                    "mean_minutes": v.mean_minutes,
                    "cv": v.cv,
                    "punctuality_offsets": list(v.punctuality_offsets),
                    "punctuality_pmf": list(v.punctuality_pmf),
                }
                for v in self.visit_types
            ],
            "slots": [
                [s.minute, s.visit_type, s.session, s.booked, s.kept, s.no_show, s.overbooked]
                for s in self.slots
            ],
            "walk_ins": [[w.hour, w.rate, w.visit_type] for w in self.walk_ins],
            "requests": {k: list(v) for k, v in self.requests.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClinicDay:
        """Build from the output of :meth:`to_dict`."""
        try:
            return cls(
                polyclinic_id=str(data["polyclinic_id"]),
                weekday=int(data["weekday"]),
                slot_minutes=int(data["slot_minutes"]),
                discipline=parse_discipline(data["discipline"]),
                sessions=tuple(DutySession(str(x[0]), x[1], x[2], *(str(d) for d in x[3:4]))
                               for x in data["sessions"]),
                slots=tuple(
                    DaySlot(int(m), str(v), int(s), b, k, p, bool(o))
                    for m, v, s, b, k, p, o in data["slots"]
                ),
                visit_types=tuple(VisitTypeSpec(**v) for v in data["visit_types"]),
                walk_ins=tuple(WalkInStream(int(h), float(r), str(v))
                               for h, r, v in data.get("walk_ins", ())),
                late_threshold=data.get("late_threshold"),
                requests={k: (v[0], v[1]) for k, v in data.get("requests", {}).items()},
                label=str(data.get("label", "")),
                absence=data.get("absence", 0.0),
                absence_lost=data.get("absence_lost", 0.0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"not a clinic day ({exc})", field="clinic_day") from None
