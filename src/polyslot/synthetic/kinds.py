"""The three kinds of polyclinic of the synthetic network, and the structure of each polyclinic.

A public primary-care network has clinics that run smoothly, clinics whose mornings are
congested by their own appointment template, and clinics that are simply overloaded.  Polyclinic
``i`` (0-based) is of kind ``KIND_ORDER[i % 3]``:

* ``congested``: patients strongly prefer the morning; today's template books a block of
  patients at the morning start and gives every morning slot 10 minutes whatever the visit type
  (shorter than most consultations), while the afternoon (after a two-hour lunch break) has
  spare capacity.  The doctors could cope over the day; the morning queue comes from the
  template (too many, too short morning slots) meeting the morning preference and the morning
  walk-ins.
* ``overloaded``: more demand than doctor time: slots shorter than the consultations all day,
  demand above the template's capacity, many walk-ins; sessions run over every day.
* ``well_run``: slots as long as the consultations (a little slack for long visits), no block
  booking, moderate demand and few walk-ins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from polyslot.synthetic.parameters import HOUR_PREFERENCE, VISIT_TYPES, WALK_IN_PROFILE

__all__ = [
    "ClinicKind",
    "KINDS",
    "KIND_ORDER",
    "PolyclinicSpec",
    "draw_polyclinic_spec",
    "polyclinic_truth",
]

_STANDARD_SLOTS: dict[str, int] = {v.name: v.slot_minutes for v in VISIT_TYPES}


@dataclass(frozen=True)
class ClinicKind:
    """The rules that make a polyclinic congested, overloaded or well run.

    Parameters
    ----------
    name : str
        ``congested``, ``overloaded`` or ``well_run``.
    doctors : tuple of int
        Inclusive range of the number of doctors (uniform).
    am_starts, pm_starts : tuple of int
        Possible session start minutes (uniform choice); mornings end 12:00, afternoons 17:00.
    pm_share : float
        Afternoon doctors ``max(2, round(pm_share * doctors))``.
    block_am, block_pm : int
        Patients booked together at the session start (1 = no block booking).
    am_slot_minutes, pm_slot_minutes : dict
        Slot length of each visit type in the current template, morning and afternoon.
    am_booking_minutes : int or None
        Morning slots have ``am_slot_minutes`` only in the first this many minutes of the
        session; after that they are ``am_late_slot`` minutes long whatever the visit type
        (sparse late-morning appointments, the rest left to walk-ins and overrun); None: the
        whole session.
    am_late_slot : int
        Length of the late-morning slots (when ``am_booking_minutes`` is set).
    utilisation : float
        Mean daily requests = ``utilisation * weekday_factor * template slots`` per visit type.
    hour_preference : dict
        Preference weight of each clock hour for booked appointments.
    walk_in_factor : float
        Multiplies the network's walk-in rate per doctor and hour.
    duration_factor : tuple of float
        Range of the consultation-time factor (uniform).
    """

    name: str
    doctors: tuple[int, int]
    am_starts: tuple[int, ...]
    pm_starts: tuple[int, ...]
    pm_share: float
    block_am: int
    block_pm: int
    am_slot_minutes: dict[str, int]
    pm_slot_minutes: dict[str, int]
    am_booking_minutes: int | None
    am_late_slot: int
    utilisation: float
    hour_preference: dict[int, float]
    walk_in_factor: float
    duration_factor: tuple[float, float]


KINDS: dict[str, ClinicKind] = {
    "congested": ClinicKind(
        name="congested",
        doctors=(6, 9),
        am_starts=(480,),
        pm_starts=(840,),
        pm_share=1.0,
        block_am=4,
        block_pm=1,
        am_slot_minutes={v.name: 10 for v in VISIT_TYPES},
        pm_slot_minutes=dict(_STANDARD_SLOTS),
        am_booking_minutes=120,
        am_late_slot=30,
        utilisation=0.80,
        hour_preference={
            8: 0.28,
            9: 0.26,
            10: 0.18,
            11: 0.12,
            12: 0.01,
            13: 0.02,
            14: 0.05,
            15: 0.05,
            16: 0.03,
        },
        walk_in_factor=1.5,
        duration_factor=(0.95, 1.0),
    ),
    "overloaded": ClinicKind(
        name="overloaded",
        doctors=(4, 6),
        am_starts=(480, 510),
        pm_starts=(780,),
        pm_share=0.75,
        block_am=2,
        block_pm=2,
        am_slot_minutes={**_STANDARD_SLOTS, "chronic_followup": 12, "new_patient": 15},
        pm_slot_minutes={**_STANDARD_SLOTS, "chronic_followup": 12, "new_patient": 15},
        am_booking_minutes=None,
        am_late_slot=0,
        utilisation=1.1,
        hour_preference=dict(HOUR_PREFERENCE),
        walk_in_factor=2.5,
        duration_factor=(1.15, 1.25),
    ),
    "well_run": ClinicKind(
        name="well_run",
        doctors=(5, 8),
        am_starts=(480, 510),
        pm_starts=(780, 840),
        pm_share=0.75,
        block_am=1,
        block_pm=1,
        am_slot_minutes={**_STANDARD_SLOTS, "new_patient": 25},
        pm_slot_minutes={**_STANDARD_SLOTS, "new_patient": 25},
        am_booking_minutes=None,
        am_late_slot=0,
        utilisation=0.9,
        hour_preference=dict(HOUR_PREFERENCE),
        walk_in_factor=0.6,
        duration_factor=(0.9, 1.0),
    ),
}
KIND_ORDER: tuple[str, ...] = ("congested", "overloaded", "well_run")


@dataclass(frozen=True)
class PolyclinicSpec:
    """Structural parameters of one synthetic polyclinic.

    Times are minutes after midnight.  ``pm_doctors``/``sat_doctors`` are the doctors of the
    afternoon and Saturday sessions (doctors D01..Dk of the morning list).
    """

    polyclinic_id: str
    kind: ClinicKind
    doctors: int
    am_start: int
    am_end: int
    pm_start: int
    pm_end: int
    pm_doctors: int
    sat_doctors: int
    duration_factor: float
    absence_prob: float
    population: int

    @property
    def block_size(self) -> int:
        """Patients booked together at the morning start."""
        return self.kind.block_am


def draw_polyclinic_spec(rng: np.random.Generator, index: int) -> PolyclinicSpec:
    """Draw the structure of polyclinic ``index`` (0-based) from its own generator."""
    kind = KINDS[KIND_ORDER[index % len(KIND_ORDER)]]
    doctors = int(rng.integers(kind.doctors[0], kind.doctors[1] + 1))
    am_start = int(rng.choice(kind.am_starts))
    pm_start = int(rng.choice(kind.pm_starts))
    lo, hi = kind.duration_factor
    return PolyclinicSpec(
        polyclinic_id=f"PC{index + 1:02d}",
        kind=kind,
        doctors=doctors,
        am_start=am_start,
        am_end=720,
        pm_start=pm_start,
        pm_end=1020,
        pm_doctors=max(2, round(kind.pm_share * doctors)),
        sat_doctors=max(2, math.ceil(doctors / 2)),
        duration_factor=round(float(rng.uniform(lo, hi)), 3),
        absence_prob=0.04,
        population=2500 * doctors,
    )


def _weekday_sessions(spec: PolyclinicSpec) -> list[dict[str, object]]:
    am, pm = f"{spec.am_start // 60:02d}:{spec.am_start % 60:02d}", "12:00"
    pm0 = f"{spec.pm_start // 60:02d}:{spec.pm_start % 60:02d}"
    mon_fri = ["Mon", "Tue", "Wed", "Thu", "Fri"]
    return [
        {"weekdays": mon_fri, "session": "AM", "start": am, "end": pm, "doctors": spec.doctors},
        {
            "weekdays": mon_fri,
            "session": "PM",
            "start": pm0,
            "end": "17:00",
            "doctors": spec.pm_doctors,
        },
        {"weekdays": ["Sat"], "session": "AM", "start": am, "end": pm, "doctors": spec.sat_doctors},
    ]


def polyclinic_truth(spec: PolyclinicSpec) -> dict[str, object]:
    """The structural part of ``truth.json["polyclinics"][id]``: kind, roster, template rule,
    consultation times, demand, preferences, walk-ins and cancellations of this polyclinic."""
    k = spec.kind
    f = spec.duration_factor
    return {
        "kind": k.name,
        "roster": {
            "sessions": _weekday_sessions(spec),
            "doctors": "nominal D01..Dk of the session; a roster row counts those present",
            "absence_prob": spec.absence_prob,
            "absence_rule": "each doctor is absent for the whole day independently with "
            "absence_prob; a session keeps at least one doctor (D01)",
            "closed": "Sundays and public holidays (closed_holidays)",
        },
        "template_rule": {
            "block_am": k.block_am,
            "block_pm": k.block_pm,
            "am_slot_minutes": dict(k.am_slot_minutes),
            "am_booking_minutes": k.am_booking_minutes,
            "am_late_slot": k.am_late_slot,
            "pm_slot_minutes": dict(k.pm_slot_minutes),
            "visit_type_share": {v.name: v.share for v in VISIT_TYPES},
            "rule": "each doctor session is filled from its start: a block of block_* slots at "
            "the start time, then consecutive slots until the next would end after the session "
            "end; visit types drawn with visit_type_share; the same AM and PM pattern every "
            "weekday per doctor (Saturday uses the AM one)",
        },
        "consultation_minutes": {
            v.name: {
                "distribution": "lognormal",
                "mean": round(v.mean_minutes * f, 6),
                "cv": v.cv,
                "rounded_to": 0.1,
                "clip": [0.1, 180.0],
            }
            for v in VISIT_TYPES
        },
        "utilisation": k.utilisation,
        "hour_preference": {str(h): w for h, w in k.hour_preference.items()},
        "walk_ins": {
            "factor": k.walk_in_factor,
            "per_doctor_per_hour": {
                str(h): round(r * k.walk_in_factor, 6) for h, r in WALK_IN_PROFILE.items()
            },
        },
        "cancellations": {
            "prob": {v.name: v.cancel_prob for v in VISIT_TYPES},
            "timing": "late",
            "late_share": 1.0,
            "rebook_prob": 0.0,
            "rule": "a cancelled booking never arrives and its slot stays empty (not rebooked)",
        },
    }
