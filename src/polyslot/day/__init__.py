"""The one clinic-day model: :class:`ClinicDay`, built in one place (:func:`build_day`) from a
template, a ClinicModel and its roster, with the one booking rule (:mod:`polyslot.day.booking`).

Every stage that asks "what happens on this clinic day with this template?" builds the day here
and evaluates it with :func:`polyslot.evaluation.clinic_day.evaluate_clinic_day` (or the SimPy
reference simulator), so the planner sees one number for one template.
"""

from polyslot.day.booking import hourly_fill, unmet_requests
from polyslot.day.build import bucket_day, build_day, day_sessions, doctor_of, model_discipline
from polyslot.day.spec import (
    ClinicDay,
    DaySlot,
    Discipline,
    DutySession,
    VisitTypeSpec,
    WalkInStream,
    parse_discipline,
)

__all__ = [
    "ClinicDay",
    "DaySlot",
    "Discipline",
    "DutySession",
    "VisitTypeSpec",
    "WalkInStream",
    "bucket_day",
    "build_day",
    "day_sessions",
    "doctor_of",
    "hourly_fill",
    "model_discipline",
    "parse_discipline",
    "unmet_requests",
]
