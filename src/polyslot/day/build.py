"""build_day: the one place a clinic day is built, from a template, a ClinicModel and its roster.

* **Doctors.** The template's doctor sessions of the weekday; their duty times are the model's
  sessions (taken from the roster at estimation), else the span of the session's slots; a
  session of the model with no slot is a doctor on duty for walk-ins only.
* **Slots.** Every slot of the weekday with its time, visit type and session; unreserved slots
  (``"any"``) take the demand-weighted mix of the visit types
  (:func:`polyslot.unreserved.with_unreserved`).
* **Booking.** The probability a slot is booked is its hour's fill under the one booking rule
  (:func:`polyslot.day.booking.hourly_fill`); a booking is kept with ``1 - c`` (the visit type's
  late-cancellation share, :attr:`ClinicModel.booking`); its patient does not come with the
  model's no-show rate of that visit type, weekday and hour.
* **Patients.** Consultation PMFs and punctuality of the visit types; walk-in streams per hour.
* **Queue.** The discipline the history shows (:attr:`ClinicModel.queue`), unless overridden.
* **Absences.** The weekday's whole-day doctor absence rate and the share of an absent doctor's
  booked patients who are lost (:attr:`ClinicModel.absence`); the sessions ``<Day>-<AM|PM>-Dkk``
  of one ``Dkk`` are one doctor.

What-if changes (no-shows, consultation times, demand, punctuality) are made on the ClinicModel
(:func:`polyslot.analysis.perturb.perturb`) before the day is built, so they go through the same
rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from polyslot.clinic_model import ClinicModel
from polyslot.day.booking import hourly_fill
from polyslot.day.spec import (
    ClinicDay,
    DaySlot,
    Discipline,
    DutySession,
    VisitTypeSpec,
    WalkInStream,
    parse_discipline,
)
from polyslot.errors import InputError
from polyslot.template import ANY_VISIT_TYPE, Slot, SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = [
    "build_day",
    "bucket_day",
    "doctor_of",
    "day_sessions",
    "model_discipline",
    "visit_type_specs",
]


_DOCTOR = re.compile(r"-(D\d+)(?:-\d+)?$")


def doctor_of(session_name: str) -> str:
    """The doctor of a session named ``<Day>-<AM|PM>-Dkk[-hh]`` (``Dkk``), else the name."""
    m = _DOCTOR.search(session_name)
    return m.group(1) if m else session_name


def model_discipline(model: ClinicModel, override: str | Discipline | None = None) -> Discipline:
    """The discipline of ``model``'s days: ``override`` unless None or ``"auto"``, else the one
    the history shows (:attr:`ClinicModel.queue`)."""
    if override is not None and str(override).lower() != "auto":
        return parse_discipline(override)
    return parse_discipline(model.queue.discipline)


def day_sessions(
    model: ClinicModel, slots: Sequence[Slot], weekday: int
) -> tuple[DutySession, ...]:
    """Doctor sessions on duty on ``weekday``: the template's sessions with the model's duty
    times (else their slots' span), and the model's sessions without slots; by (start, name)."""
    known = {s.session_id: s for s in model.sessions if s.weekday == weekday}
    spans: dict[str, list[int]] = {}
    for s in slots:
        if s.weekday != weekday:
            continue
        span = spans.setdefault(s.doctor_session, [s.start_minute, s.start_minute])
        span[0] = min(span[0], s.start_minute)
        span[1] = max(span[1], s.start_minute + s.duration_minutes)
    out = []
    for sid, (lo, hi) in spans.items():
        if sid in known:
            # a slot before the rostered start opens the session at that slot
            out.append(DutySession(sid, min(known[sid].start_minute, lo), known[sid].end_minute,
                                   doctor_of(sid)))
        else:
            out.append(DutySession(sid, lo, hi, doctor_of(sid)))
    for sid, sess in known.items():
        if sid not in spans:
            out.append(DutySession(sid, sess.start_minute, sess.end_minute, doctor_of(sid)))
    return tuple(sorted(out, key=lambda s: (s.start, s.name)))


def visit_type_specs(model: ClinicModel, names: Iterable[str]) -> tuple[VisitTypeSpec, ...]:
    """The consultation times and punctuality of visit types ``names`` (sorted)."""
    out = []
    for name in sorted(set(names)):
        svc = model.service_for(name)
        pu = model.punctuality_for(name)
        out.append(
            VisitTypeSpec(
                name,
                svc.pmf,
                svc.mean_minutes,
                svc.cv,
                pu.offsets,
                pu.pmf,
            )
        )
    return tuple(out)


def build_day(
    model: ClinicModel,
    template: SlotTemplate | Sequence[Slot],
    weekday: int,
    *,
    discipline: str | Discipline | None = None,
    late_threshold: float | None = 15.0,
    label: str = "",
    punctual: bool = False,
    walk_in_visit_type: str | None = None,
    absences: bool = True,
) -> ClinicDay:
    """The clinic day of ``template`` on ``weekday`` (see the module docstring).

    Parameters
    ----------
    model : ClinicModel
    template : SlotTemplate or sequence of Slot
        Slots of other weekdays are ignored.
    weekday : int
    discipline : str, optional
        Overrides the model's estimated discipline (``"auto"`` or None: the model's).
    late_threshold : float or None
        Minutes late beyond which a booked patient is seen as a walk-in.
    label : str
    punctual : bool
        Every patient on time (the booking envelope's and sequencing's idealisation).
    walk_in_visit_type : str, optional
        Visit type of walk-ins whose type the model does not give (default: the model's first).
    absences : bool
        Doctors are absent as the roster shows (False: every planned doctor present).
    """
    if not 0 <= int(weekday) <= 6:
        raise InputError("must be 0..6", field="weekday", value=weekday)
    all_slots = template.slots if isinstance(template, SlotTemplate) else tuple(template)
    slots = [s for s in all_slots if s.weekday == weekday]
    if any(s.visit_type == ANY_VISIT_TYPE for s in slots):
        model = with_unreserved(model)
    sessions = day_sessions(model, slots, weekday)
    index = {s.name: i for i, s in enumerate(sessions)}
    fill = hourly_fill(model, slots)
    cancel = model.booking.cancellation
    day_slots = []
    for s in slots:
        day_slots.append(
            DaySlot(
                minute=s.start_minute,
                visit_type=s.visit_type,
                session=index[s.doctor_session],
                booked=fill.get((weekday, s.visit_type, s.hour), 1.0),
                kept=1.0 - cancel.get(s.visit_type, 0.0),
                no_show=model.no_show_rate(s.visit_type, weekday, s.hour),
                overbooked=s.overbooked,
            )
        )
    walk_vt = walk_in_visit_type or (model.visit_types[0] if model.visit_types else "")
    walk_ins = tuple(
        WalkInStream(int(w.hour), float(w.value), w.visit_type or walk_vt)
        for w in sorted(model.walk_ins, key=lambda w: (w.hour, w.visit_type or ""))
        if w.weekday == weekday and w.value > 0 and sessions
    )
    names = {s.visit_type for s in slots} | {w.visit_type for w in walk_ins}
    vts = visit_type_specs(model, names)
    if punctual:
        vts = tuple(
            VisitTypeSpec(v.name, v.service_pmf, v.mean_minutes, v.cv) for v in vts
        )
    requests = {
        r.visit_type: (float(r.mean), float(r.variance))
        for r in model.demand
        if r.weekday == weekday and r.visit_type != ANY_VISIT_TYPE
    }
    return ClinicDay(
        polyclinic_id=model.polyclinic_id,
        weekday=int(weekday),
        slot_minutes=int(model.slot_minutes),
        discipline=model_discipline(model, discipline),
        sessions=sessions,
        slots=tuple(day_slots),
        visit_types=vts,
        walk_ins=walk_ins,
        late_threshold=late_threshold,
        requests=requests,
        label=label,
        absence=model.absence.on(weekday) if absences else 0.0,
        absence_lost=model.absence.lost if absences else 0.0,
    )


def bucket_day(
    service_pmf: Sequence[float],
    no_show: float,
    bucket_minutes: int,
    doctors: int,
    patients: int,
    slot_minutes: int = 1,
    absence: float = 0.0,
    absence_lost: float = 0.0,
) -> ClinicDay:
    """The clinic day behind one point of the optimizer's waiting curves: ``doctors`` doctors
    sharing one queue over one bucket, ``patients`` booked as one evenly staggered stream
    (patient ``j`` at ``floor(j x bucket / patients)``, dealt to the doctors in turn), every
    slot booked, no-show ``no_show``, punctual, no walk-ins; each doctor absent with
    probability ``absence`` (their patients lost with ``absence_lost``)."""
    pmf = tuple(float(p) for p in service_pmf)
    total = sum(pmf)
    pmf = tuple(p / total for p in pmf)
    mean = sum(i * p for i, p in enumerate(pmf)) * slot_minutes
    vt = VisitTypeSpec("mix", pmf, max(mean, 1e-9), 0.0)
    sessions = tuple(DutySession(f"d{k}", 0.0, float(bucket_minutes)) for k in range(doctors))
    slots = tuple(
        DaySlot(j * bucket_minutes // patients, "mix", j % doctors, 1.0, 1.0, float(no_show))
        for j in range(patients)
    )
    return ClinicDay("bucket", 0, int(slot_minutes), Discipline.POOLED, sessions, slots, (vt,),
                     absence=absence, absence_lost=absence_lost)
