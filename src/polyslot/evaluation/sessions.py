"""The one adapter from a template's doctor session to the evaluator's :class:`Schedule`.

A doctor session of a :class:`~polyslot.template.SlotTemplate` becomes a
:class:`~polyslot.schedule.Schedule`: appointment slots relative to the session start, the visit
type's consultation-time PMF, the no-show rate of the visit type at that weekday and hour, and
(optionally) the visit type's punctuality. The session window is the roster session of the model
(:func:`session_window`), or the span of its slots when the session is not in the model; a slot
before the roster start opens the session at that slot. Unfilled slots are modelled as no-shows:
with ``fill`` < 1 a slot is booked with probability ``fill`` and the patient then comes with
probability ``1 - p``.

Every stage that evaluates a template's sessions (the exact KPIs of the report, the optimizer's
figures of the current template, estimation of sessions from a supplied template) goes through
these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from polyslot.clinic_model import ClinicModel
from polyslot.schedule import ArrivalOffsets, PatientSpec, Schedule
from polyslot.template import Slot

__all__ = ["slot_span", "session_window", "session_schedule"]


def slot_span(slots: Iterable[Slot]) -> tuple[int, int]:
    """``(start, end)`` minutes of a session given only by its slots: first start, last end."""
    group = list(slots)
    if not group:
        raise ValueError("a session needs at least one slot")
    start = min(s.start_minute for s in group)
    end = max(s.start_minute + s.duration_minutes for s in group)
    return start, end


def session_window(model: ClinicModel, slots: Sequence[Slot]) -> tuple[int, int]:
    """``(start, end)`` minutes of the doctor session of ``slots`` (all of one session).

    The model's session of that weekday and id when there is one, else :func:`slot_span`.
    """
    if not slots:
        raise ValueError("a session needs at least one slot")
    sid, weekday = slots[0].doctor_session, slots[0].weekday
    sessions = {s.session_id: s for s in model.sessions if s.weekday == weekday}
    if sid in sessions:
        return sessions[sid].start_minute, sessions[sid].end_minute
    return slot_span(slots)


def session_schedule(
    model: ClinicModel,
    slots: Iterable[Slot],
    *,
    punctual: bool = False,
    fill: float = 1.0,
) -> Schedule:
    """The exact-evaluator schedule of one doctor session's slots (see the module docstring)."""
    group = sorted(slots, key=lambda s: s.start_minute)
    if not group:
        raise ValueError("a session needs at least one slot")
    sid = group[0].doctor_session
    weekday = group[0].weekday
    start, end = session_window(model, group)
    start = min(start, group[0].start_minute)
    sm = model.slot_minutes
    booked = min(1.0, max(0.0, fill))
    patients = []
    for s in group:
        p = model.no_show_rate(s.visit_type, weekday, s.hour)
        p_absent = p if booked >= 1.0 else 1.0 - (1.0 - p) * booked
        punct = None
        if not punctual:
            pu = model.punctuality_for(s.visit_type)
            if pu.offsets != (0,):
                punct = ArrivalOffsets(pu.offsets, pu.pmf)
        patients.append(
            PatientSpec(
                appointment=int(round((s.start_minute - start) / sm)),
                service=model.service_for(s.visit_type).pmf,
                no_show=p_absent,
                punctuality=punct,
                visit_type=s.visit_type,
            )
        )
    return Schedule(
        session_end=max(1, int(round((end - start) / sm))),
        patients=tuple(patients),
        slot_minutes=float(sm),
        meta={"session": sid, "weekday": weekday, "start_minute": start},
    )
